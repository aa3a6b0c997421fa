// Leadership for work that must run once across every Hecate sharing a store (the reconcile
// loop): the leader is whoever holds the leader lock, a lease renewed in the background (an etcd
// lease on the etcd store). Losing the lease aborts the leader's work at once; the others keep
// trying and one takes over when the lease has lapsed (within its ttl).
import { HecateError } from "../diag.js";
import type { Store } from "../store/store.js";
import { acquire, newHolder } from "./lock.js";
import { sleep } from "./reconcile.js";

export const RECONCILE_LEADER = "reconcile.leader";

export interface LeaderOptions {
  /** The leader lock (default reconcile.leader). */
  lock?: string;
  /** Lease ttl (default 15 s): how long the others wait for a leader that died without a word. */
  ttlMs?: number;
  /** How often the leader renews (default a third of the ttl). */
  renewEveryMs?: number;
  /** How often a follower asks whether the lock is free (default half the ttl). */
  pollMs?: number;
  actor: string;
  /** Holder name (default newHolder(actor): unique per call, so two competitors in one process differ). */
  holder?: string;
  /** Stops leading (or waiting to lead) and releases the lock. */
  signal: AbortSignal;
  /** Told when this process becomes leader and when it stops being one (with why). */
  onChange?: (e: { leading: true; token: number } | { leading: false; reason: string }) => void;
}

/**
 * Run `work` only while this process leads: take the leader lock (or wait for it), run work with a
 * signal that aborts when the lease is lost or `opts.signal` fires, release, and compete again.
 * Returns when opts.signal is aborted. Store outages while following are waited out.
 */
export async function whileLeader(store: Store, opts: LeaderOptions, work: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const ttlMs = opts.ttlMs ?? 15_000;
  const pollMs = opts.pollMs ?? ttlMs / 2;
  const holder = opts.holder ?? newHolder(opts.actor);
  while (!opts.signal.aborted) {
    let held: Awaited<ReturnType<typeof acquire>> | undefined;
    try {
      held = await acquire(store, holder, { lock: opts.lock ?? RECONCILE_LEADER, timeoutMs: 0, ttlMs, ...(opts.renewEveryMs ? { renewEveryMs: opts.renewEveryMs } : {}), actor: opts.actor });
    } catch (e) {
      if (!(e instanceof HecateError) || !["locked", "store-unavailable", "store-busy"].includes(e.code)) throw e;
    }
    if (!held) {
      await sleep(pollMs, opts.signal);
      continue;
    }
    opts.onChange?.({ leading: true, token: held.token });
    const signal = AbortSignal.any([opts.signal, held.signal]);
    try {
      await work(signal);
    } finally {
      const reason = held.signal.aborted ? (held.signal.reason as Error).message : opts.signal.aborted ? "stopped" : "the work ended";
      opts.onChange?.({ leading: false, reason });
      await held.release().catch(() => undefined); // a lost lease is not ours to release
    }
  }
}
