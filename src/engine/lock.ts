// The store lock "apply": one writer at a time across processes and hosts. Holder ids carry host
// and pid so a crashed holder on this host is recognised at once instead of after its lease.
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { HecateError } from "../diag.js";
import type { LockInfo, Store } from "../store/store.js";
import type { EngineEvent } from "./types.js";

export const APPLY_LOCK = "apply";

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
  /** Aborted when the lease is lost: the apply holding it must stop and undo. */
  signal: AbortSignal;
  release(): Promise<void>;
}

/**
 * Take the lock, waiting up to timeoutMs. A lock whose holder died on this host is broken
 * (audited). The lease is renewed in the background until release().
 */
export async function acquire(
  store: Store,
  holder: string,
  opts: { timeoutMs: number; ttlMs?: number; onEvent?: (e: EngineEvent) => void | Promise<void>; actor: string },
): Promise<HeldLock> {
  const ttl = opts.ttlMs ?? 30_000;
  const deadline = Date.now() + opts.timeoutMs;
  let announced = false;
  for (;;) {
    const taken = await store.tryLock(APPLY_LOCK, holder, ttl);
    if (!taken) break;
    if (holderDead(taken.holder, taken)) {
      await store.audit({ actor: opts.actor, action: "lock.break", target: APPLY_LOCK, detail: { holder: taken.holder, since: taken.acquiredAt } });
      await store.unlock(APPLY_LOCK, taken.holder);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new HecateError("locked", `another apply holds the lock: ${taken.holder} since ${taken.acquiredAt} (lease until ${taken.expiresAt})`, { status: 409 });
    }
    if (!announced) {
      announced = true;
      await opts.onEvent?.({ type: "lock.wait", holder: taken.holder });
    }
    await new Promise((r) => setTimeout(r, Math.min(100, Math.max(1, deadline - Date.now()))));
  }
  const lost = new AbortController();
  const timer = setInterval(() => void store.tryLock(APPLY_LOCK, holder, ttl).catch(() => undefined), Math.max(1000, ttl / 3));
  timer.unref();
  return {
    holder,
    signal: lost.signal,
    release: async () => {
      clearInterval(timer);
      await store.unlock(APPLY_LOCK, holder);
    },
  };
}
