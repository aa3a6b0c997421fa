// The reconcile loop inside `hecate serve --reconcile 1m`: the engine's own loop (backoff,
// circuit breaker, suspend switch in the store), run only while this process leads (a lease in
// the store: of several servers on one store, one reconciles), with its rounds counted, drift per
// system in the metrics, and drift.detected / apply.failed sent to webhooks.
import { hostname } from "node:os";
import { leaseLeadership, type Leadership } from "../engine/leader.js";
import type { ApplyResult } from "../engine/types.js";
import type { Server } from "./app.js";
import { driftEvent } from "./actions.js";

export interface ReconcileOptions {
  intervalMs: number;
  /** How long the lead lasts without renewal (default 3 rounds, at least 15 s). */
  leaseMs?: number;
  /** Another election than the store lease (a distributed store's own). */
  leadership?: Leadership;
}

export const RECONCILE_ACTOR = "hecate-serve";

/** Start the loop; the returned function stops it (and gives the lead up). */
export function startReconcile(s: Server, o: ReconcileOptions): () => Promise<void> {
  const holder = `serve:${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  const leadership = o.leadership ?? leaseLeadership(s.store, holder, o.leaseMs ?? Math.max(15_000, o.intervalMs * 3));
  const engine = s.systemEngine(RECONCILE_ACTOR);
  const ac = new AbortController();
  const done = engine.reconcileLoop({
    intervalMs: o.intervalMs,
    signal: ac.signal,
    leader: async () => {
      const lead = await leadership.lead();
      s.metrics.leader.set(lead ? 1 : 0);
      return lead;
    },
    // As `hecate reconcile --watch` without --yes: put back what was changed or removed, never delete.
    apply: { maxDeletes: 0, onEvent: (e) => s.metrics.onEvent(e) },
    onRound: (r) => {
      s.metrics.reconcileRounds.inc({ status: r.status });
      if (r.status === "ok" && r.result) onRepaired(s, r.result);
      if (r.status === "error") {
        s.logger.warn({ error: r.error }, "reconcile round failed");
        s.emit("apply.failed", { actor: RECONCILE_ACTOR, source: "reconcile", status: "failed", error: r.error });
      } else if (r.status === "breaker-open") s.logger.warn({ error: r.error }, "reconcile paused: the circuit breaker is open");
    },
  }).catch((e: unknown) => s.logger.error({ err: { message: (e as Error).message } }, "reconcile loop stopped"));
  s.logger.info({ intervalMs: o.intervalMs, holder }, "reconcile loop started");
  return async () => {
    ac.abort();
    await done;
    await leadership.resign().catch(() => undefined);
    s.metrics.leader.set(0);
  };
}

/** A round's plan is the drift it found: into the metrics, and to webhooks when there was some. */
function onRepaired(s: Server, r: ApplyResult): void {
  const plan = r.plan;
  if (!plan) return;
  const counts = new Map<string, number>(Object.keys(plan.desired).map((sys) => [sys, 0]));
  for (const step of plan.steps) counts.set(step.system, (counts.get(step.system) ?? 0) + step.changes.length);
  for (const [system, n] of counts) s.metrics.drift.set({ system }, n);
  if (!plan.steps.length) return;
  const report = { revision: plan.revision, drifted: true, systems: plan.steps.map((st) => ({ system: st.system, changes: st.changes })) };
  s.emit("drift.detected", { ...driftEvent(report), source: "reconcile", repaired: r.status === "succeeded" });
  if (r.status === "succeeded") s.logger.info({ revision: plan.revision, summary: plan.summary }, "reconcile put drift back");
}
