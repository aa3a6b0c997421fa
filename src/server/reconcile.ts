// The reconcile loop inside `hecate serve --reconcile 1m`: the engine's own loop (backoff,
// circuit breaker, suspend switch in the store), run only while this process leads (a lease in
// the store: of several servers on one store, one reconciles), with its rounds counted, drift per
// system in the metrics, and drift.detected / apply.failed sent to webhooks.
import { newsText } from "../engine/fleet.js";
import { whileLeader } from "../engine/leader.js";
import type { ApplyResult } from "../engine/types.js";
import type { Server } from "./app.js";
import { driftEvent } from "./actions.js";
import type { UpkeepReport } from "../secrets/upkeep.js";

export interface ReconcileOptions {
  intervalMs: number;
  /** Certificate expiry warning thresholds in days (default 30, 7, 1). */
  expiryThresholdsDays?: readonly number[];
  /** How long the lead lasts without renewal (default 15 s): how long the others wait for a leader that died. */
  leaseMs?: number;
}

export const RECONCILE_ACTOR = "hecate-serve";

/**
 * Start the loop; the returned function stops it (and gives the lead up). The loop runs only while
 * this process holds the reconcile leader lease (whileLeader: an etcd lease on the etcd store),
 * and stops at once when the lease is lost.
 */
export function startReconcile(s: Server, o: ReconcileOptions): () => Promise<void> {
  const engine = s.systemEngine(RECONCILE_ACTOR);
  const ac = new AbortController();
  const done = whileLeader(
    s.store,
    {
      actor: RECONCILE_ACTOR,
      signal: ac.signal,
      ...(o.leaseMs ? { ttlMs: o.leaseMs } : {}),
      onChange: (e) => {
        s.metrics.leader.set(e.leading ? 1 : 0);
        if (e.leading) s.logger.info({ token: e.token }, "reconcile leader");
        else s.logger.info({ reason: e.reason }, "reconcile follower");
      },
    },
    (lead) =>
      engine.reconcileLoop({
        intervalMs: o.intervalMs,
        signal: lead,
        ...(o.expiryThresholdsDays ? { expiryThresholdsDays: o.expiryThresholdsDays } : {}),
        // As `hecate reconcile --watch` without --yes: put back what was changed or removed, never delete.
        apply: { maxDeletes: 0, onEvent: (e) => s.metrics.onEvent(e) },
        onRound: (r) => {
          s.metrics.reconcileRounds.inc({ status: r.status });
          s.logger.info({ status: r.status }, "reconcile round");
          for (const d of r.delivery ?? []) s.logger.warn({ action: d.action, target: d.target, status: d.status }, d.message);
          if (r.status === "ok" && r.result) onRepaired(s, r.result);
          for (const n of r.fleet ?? []) s.logger[n.event === "down" ? "warn" : "info"]({ system: n.system, node: n.node, revision: n.revision }, newsText(n));
          if (r.upkeep) onUpkeep(s, r.upkeep);
          if (r.status === "error") {
            s.logger.warn({ error: r.error }, "reconcile round failed");
            s.emit("apply.failed", { actor: RECONCILE_ACTOR, source: "reconcile", status: "failed", error: r.error });
          } else if (r.status === "breaker-open") s.logger.warn({ error: r.error }, "reconcile paused: the circuit breaker is open");
        },
      }),
  ).catch((e: unknown) => s.logger.error({ err: { message: (e as Error).message } }, "reconcile loop stopped"));
  s.logger.info({ intervalMs: o.intervalMs }, "reconcile loop started");
  return async () => {
    ac.abort();
    await done;
    s.metrics.leader.set(0);
  };
}

/** Certificates past a warning threshold to webhooks (upkeep reports each once per threshold); secrets' upkeep to the log. */
function onUpkeep(s: Server, u: UpkeepReport): void {
  for (const c of u.expiring) {
    s.logger.warn({ certificate: c.name, notAfter: c.notAfter, daysLeft: c.daysLeft }, "certificate expiring");
    s.emit("cert.expiring", { certificate: c.name, hosts: c.hosts, notAfter: c.notAfter, daysLeft: c.daysLeft, thresholdDays: c.thresholdDays, fingerprint: c.fingerprint });
  }
  if (u.gracesEnded.length) s.logger.info({ secrets: u.gracesEnded }, "grace windows ended: old values removed");
  if (u.tokenGracesEnded.length) s.logger.info({ tokens: u.tokenGracesEnded }, "grace windows ended: old token secrets refused");
  if (u.rotated.length) s.logger.info({ secrets: u.rotated }, "secrets rotated on schedule");
  for (const f of u.failed) s.logger.warn({ secret: f.name, error: f.error }, "scheduled rotation failed");
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
