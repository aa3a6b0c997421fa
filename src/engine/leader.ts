// Leadership: which of several processes sharing one store runs the jobs only one should run (the
// reconcile loop inside `hecate serve`). The interface is all the loop knows; leaseLeadership
// implements it on any store's leases (tryLock renews our own live lease or takes a free or
// expired one), so with SQLite the one process holding the lease leads, and a distributed store
// (etcd) can give its own election behind the same two methods.
import type { Store } from "../store/store.js";

export interface Leadership {
  /** Whether this process leads now; called once per round, it also keeps the lead alive. */
  lead(): Promise<boolean>;
  /** Give the lead up (shutdown), so another process takes over without waiting for the lease. */
  resign(): Promise<void>;
}

export const LEADER_LOCK = "leader:reconcile";

/** Leadership by a lease of `ttlMs` in the store, renewed each time `lead()` is asked. */
export function leaseLeadership(store: Store, holder: string, ttlMs: number, name = LEADER_LOCK): Leadership {
  let held = false;
  return {
    async lead() {
      const r = await store.tryLock(name, holder, ttlMs);
      held = r.acquired;
      return held;
    },
    async resign() {
      if (held) await store.unlock(name, holder);
      held = false;
    },
  };
}
