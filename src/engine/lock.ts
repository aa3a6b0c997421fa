// The store lock "apply": one writer at a time across processes and hosts. Holder ids carry host
// and pid so a crashed holder on this host is recognised at once instead of after its lease.
// A held lock is a lease with a fencing token: writes carry it, and losing the lease aborts.
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { HecateError } from "../diag.js";
import type { Fence, LockInfo, Store } from "../store/store.js";
import type { EngineEvent } from "./types.js";

export const APPLY_LOCK = "apply";

/** Remove a lock whoever holds it, audited with its holder (`hecate unlock --force`, DELETE /v1/locks/{name}). */
export async function breakLock(store: Store, name: string, actor: string): Promise<LockInfo | undefined> {
  const removed = await store.breakLock(name);
  if (removed) await store.audit({ actor, action: "lock.break", target: name, detail: { holder: removed.holder } });
  return removed;
}

export function newHolder(actor: string): string {
  return `${actor}@${hostname()}/${process.pid}/${randomBytes(3).toString("hex")}`;
}

/** Whether the holder is certainly gone: its lease ran out, or its process on this host is dead. */
export function holderDead(holder: string, lock: LockInfo | undefined): boolean {
  if (!lock || lock.holder !== holder) return true; // lease expired (and maybe taken by someone else)
  if (Date.parse(lock.expiresAt) <= Date.now()) return true;
  const m = /@([^/]+)\/(\d+)\/[0-9a-f]+$/.exec(holder);
  if (!m || m[1] !== hostname()) return false; // another host: only its lease tells
  const pid = Number(m[2]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

export interface HeldLock {
  holder: string;
  /** Fencing token of this acquisition (see Store.tryLock). */
  token: number;
  /** What every store write of the apply carries: refused once the lease is no longer ours. */
  fence: Fence;
  /**
   * Aborted, with a HecateError "lock-lost" as reason, as soon as a renewal finds the lease taken
   * by someone else, lapsed, or not renewable before it runs out: stop work, write nothing more.
   */
  signal: AbortSignal;
  release(): Promise<void>;
}

export interface AcquireOptions {
  timeoutMs: number;
  /** Which lock (default the apply lock; the reconcile leader lock is another). */
  lock?: string;
  ttlMs?: number;
  /** How often the lease is renewed; default a third of the ttl, at least once a second. */
  renewEveryMs?: number;
  onEvent?: (e: EngineEvent) => void | Promise<void>;
  actor: string;
}

/**
 * Take the lock, waiting up to timeoutMs. A lock whose holder died on this host is broken
 * (audited). The lease is renewed in the background until release(); a renewal that fails is
 * retried until the lease would run out, and a lost lease aborts `signal` at once.
 */
export async function acquire(store: Store, holder: string, opts: AcquireOptions): Promise<HeldLock> {
  const ttl = opts.ttlMs ?? 30_000;
  const name = opts.lock ?? APPLY_LOCK;
  const what = name === APPLY_LOCK ? "the apply lock" : `the ${name} lock`;
  const deadline = Date.now() + opts.timeoutMs;
  let announced = false;
  let lock: LockInfo;
  let leaseEnd: number;
  for (;;) {
    const asked = Date.now();
    const attempt = await store.tryLock(name, holder, ttl);
    if (attempt.acquired) {
      lock = attempt.lock;
      leaseEnd = asked + ttl; // measured from before the request: never later than the store's own expiry
      break;
    }
    const taken = attempt.lock;
    if (holderDead(taken.holder, taken)) {
      await store.audit({ actor: opts.actor, action: "lock.break", target: name, detail: { holder: taken.holder, since: taken.acquiredAt } });
      await store.unlock(name, taken.holder);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new HecateError("locked", `${name === APPLY_LOCK ? "another apply holds the lock" : `another process holds ${what}`}: ${taken.holder} since ${taken.acquiredAt} (lease until ${taken.expiresAt})`, { status: 409 });
    }
    if (!announced) {
      announced = true;
      await opts.onEvent?.({ type: "lock.wait", holder: taken.holder });
    }
    await new Promise((r) => setTimeout(r, Math.min(100, Math.max(1, deadline - Date.now()))));
  }

  const token = lock.token;
  const every = opts.renewEveryMs ?? Math.max(1000, ttl / 3);
  const retryEvery = Math.max(20, Math.min(every, ttl) / 4);
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let released = false;
  const lose = (why: string) => {
    if (!ac.signal.aborted) ac.abort(new HecateError("lock-lost", `${why}; ${name === APPLY_LOCK ? "this apply stops" : "the work it guards stops"} and writes nothing more`, { status: 409 }));
  };
  const schedule = (ms: number) => {
    if (released || ac.signal.aborted) return;
    timer = setTimeout(() => void renew(), ms);
    timer.unref();
  };
  const renew = async () => {
    const asked = Date.now();
    let renewed: boolean;
    try {
      renewed = await store.renewLock(name, holder, token, ttl);
    } catch (e) {
      // Transient (store busy, network): try again while the lease still stands.
      if (Date.now() + retryEvery < leaseEnd) schedule(retryEvery);
      else lose(`lost ${what}: its lease ran out before it could be renewed (${(e as Error).message})`);
      return;
    }
    if (released) return;
    if (renewed) {
      leaseEnd = asked + ttl;
      schedule(every);
      return;
    }
    const now = await store.getLock(name).catch(() => undefined);
    lose(now ? `lost ${what} to ${now.holder}` : `lost ${what}: it was broken (hecate unlock --force) or its lease ran out`);
  };
  schedule(every);
  return {
    holder,
    token,
    fence: { lock: name, token },
    signal: ac.signal,
    release: async () => {
      released = true;
      clearTimeout(timer);
      await store.unlock(name, holder);
    },
  };
}
