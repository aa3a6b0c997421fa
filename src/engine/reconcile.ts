// The reconcile loop: put reality back to the last applied revision every interval, with jitter,
// exponential backoff on errors and a circuit breaker; suspend/resume and breaker state live in
// store settings so every process (and the operator) sees the same switch.
import { HecateError } from "../diag.js";
import type { Store } from "../store/store.js";
import { downNodes, watchFleet, type DownSince, type NodeNews } from "./fleet.js";
import type { ApplyOptions, ApplyResult } from "./types.js";
import type { UpkeepReport } from "../secrets/upkeep.js";
import type { DeliveryEvent } from "./delivery/round.js";

export const SUSPENDED_KEY = "reconcile.suspended";
export const FAILURES_KEY = "reconcile.failures";
export const BREAKER_KEY = "reconcile.breaker"; // JSON {openedAt, until, failures, error}

export interface ReconcileLoopOptions {
  intervalMs: number;
  /** Fraction of the interval added or removed at random (default 0.1). */
  jitter?: number;
  signal: AbortSignal;
  /** Longest wait between attempts while failing (default 10 × interval). */
  maxBackoffMs?: number;
  /** Consecutive failures that open the breaker (default 5). */
  breakerThreshold?: number;
  /** How long an open breaker stays open before one trial run (default 10 × interval). */
  breakerCooldownMs?: number;
  apply?: ApplyOptions;
  /** Certificate expiry warning thresholds in days (default 30, 7, 1; see src/secrets/upkeep.ts). */
  expiryThresholdsDays?: readonly number[];
  /** Told about every round (for logs and metrics). */
  onRound?: (r: {
    status: "ok" | "error" | "suspended" | "breaker-open" | "busy" | "idle";
    result?: ApplyResult;
    error?: string;
    /** Certificate renewals this round; a failed one keeps its certificate serving and is not a failed round. */
    certificates?: { renewed: string[]; failed: { name: string; error: string }[] };
    /** Nodes of a fleet that went down, answer again, or were brought to the revision this round (audited). */
    fleet?: NodeNews[];
    /** Expiries carried out and canary steps, promotions and rollbacks this round (engine/delivery/round.ts). */
    delivery?: DeliveryEvent[];
    /** Secret and certificate upkeep of the round (grace windows closed, rotations, expiring certificates). */
    upkeep?: UpkeepReport;
  }) => void;
}

interface Reconciler {
  store: Store;
  actor: string;
  reconcile(opts?: ApplyOptions): Promise<ApplyResult>;
  /** Delivery: expired blocks and bypasses lifted, canaries judged (engine/delivery/round.ts). */
  deliveryRound?(): Promise<DeliveryEvent[]>;
  /** Grace windows, scheduled rotations, expiry warnings (engine.upkeep, src/secrets/upkeep.ts). */
  upkeep?(opts: { thresholdsDays?: readonly number[] }): Promise<UpkeepReport | undefined>;
}

export interface BreakerState {
  openedAt: string;
  until: string;
  failures: number;
  error: string;
}

export async function breakerState(store: Store): Promise<BreakerState | undefined> {
  const v = await store.getSetting(BREAKER_KEY);
  if (!v) return undefined;
  try {
    return JSON.parse(v) as BreakerState;
  } catch {
    return undefined;
  }
}

/** What `hecate reconcile --status` shows: the switch, the breaker, fleet nodes the leader found down. */
export interface ReconcileStatus {
  suspended: boolean;
  breaker: BreakerState | null;
  down: Record<string, DownSince>;
}

export async function reconcileStatus(store: Store): Promise<ReconcileStatus> {
  return { suspended: (await store.getSetting(SUSPENDED_KEY)) === "true", breaker: (await breakerState(store)) ?? null, down: await downNodes(store) };
}

/** Pause (or let run again) every reconcile loop sharing the store; audited. */
export async function suspendReconcile(store: Store, suspended: boolean, actor: string): Promise<ReconcileStatus> {
  await store.setSetting(SUSPENDED_KEY, suspended ? "true" : undefined);
  await store.audit({ actor, action: suspended ? "reconcile.suspend" : "reconcile.resume" });
  return reconcileStatus(store);
}

/** Resolves after ms, or at once when signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Delay before the next round: interval, doubled per consecutive failure, capped, jittered. */
export function nextDelay(o: { intervalMs: number; jitter: number; maxBackoffMs: number; failures: number; random?: () => number }): number {
  const base = o.failures > 0 ? Math.min(o.intervalMs * 2 ** o.failures, o.maxBackoffMs) : o.intervalMs;
  const r = (o.random ?? Math.random)() * 2 - 1; // -1..1
  return Math.max(1, Math.round(base * (1 + o.jitter * r)));
}

export async function reconcileLoop(engine: Reconciler, opts: ReconcileLoopOptions): Promise<void> {
  const { store } = engine;
  const jitter = opts.jitter ?? 0.1;
  const maxBackoffMs = opts.maxBackoffMs ?? opts.intervalMs * 10;
  const threshold = opts.breakerThreshold ?? 5;
  const cooldown = opts.breakerCooldownMs ?? opts.intervalMs * 10;
  while (!opts.signal.aborted) {
    let failures = Number((await store.getSetting(FAILURES_KEY)) ?? "0") || 0;
    if ((await store.getSetting(SUSPENDED_KEY)) === "true") {
      opts.onRound?.({ status: "suspended" });
    } else {
      const breaker = await breakerState(store);
      if (breaker && Date.parse(breaker.until) > Date.now()) {
        opts.onRound?.({ status: "breaker-open", error: breaker.error });
      } else {
        // Told also when the round fails after it: what upkeep did (warned, rotated) has happened.
        let upkeep: { upkeep?: UpkeepReport } = {};
        try {
          const events = await engine.deliveryRound?.();
          const delivery = events?.length ? { delivery: events } : {};
          const kept = await engine.upkeep?.(opts.expiryThresholdsDays ? { thresholdsDays: opts.expiryThresholdsDays } : {});
          upkeep = kept && (kept.gracesEnded.length || kept.tokenGracesEnded.length || kept.rotated.length || kept.failed.length || kept.expiring.length) ? { upkeep: kept } : {};
          const fleet = watchFleet(store, engine.actor, opts.apply?.onEvent);
          const round: ApplyOptions = { lockTimeoutMs: 0, ...opts.apply, onEvent: fleet.onEvent };
          // The round's apply obtains the certificates that are due (the certs provider's plan).
          let result = await engine.reconcile(round);
          const renewals = certificateNews(result);
          if (renewals.failed.length && result.status === "rolled-back") {
            // A failed renewal keeps the held certificate serving and is not a failed round: the
            // rest is put back without it, and the next round tries it again.
            result = await engine.reconcile({ ...round, exclude: [...(round.exclude ?? []), "certs"] });
          }
          const certificates = renewals.renewed.length || renewals.failed.length ? { certificates: renewals } : {};
          const news = await fleet.after(result);
          if (result.status === "rolled-back" || result.status === "failed") {
            throw new HecateError("reconcile-failed", `reconcile apply ${result.status}: ${result.steps.filter((s) => s.error).map((s) => `${s.system}: ${s.error}`).join("; ")}`);
          }
          if (failures > 0 || breaker) {
            await store.setSetting(FAILURES_KEY, undefined);
            await store.setSetting(BREAKER_KEY, undefined);
            if (breaker) await store.audit({ actor: engine.actor, action: "reconcile.breaker.close", detail: { after: failures } });
          }
          failures = 0;
          opts.onRound?.({ status: "ok", result, ...certificates, ...upkeep, ...delivery, ...(news.length ? { fleet: news } : {}) });
        } catch (e) {
          const error = e instanceof Error ? e.message : String(e);
          if (e instanceof HecateError && e.code === "locked") {
            opts.onRound?.({ status: "busy", error }); // someone else is applying: not a failure
          } else if (e instanceof HecateError && e.code === "no-revision") {
            opts.onRound?.({ status: "idle" }); // nothing applied yet: nothing to hold to
          } else {
            failures++;
            await store.setSetting(FAILURES_KEY, String(failures));
            if (failures >= threshold) {
              const now = Date.now();
              const state: BreakerState = { openedAt: new Date(now).toISOString(), until: new Date(now + cooldown).toISOString(), failures, error };
              await store.setSetting(BREAKER_KEY, JSON.stringify(state));
              await store.audit({ actor: engine.actor, action: "reconcile.breaker.open", detail: { ...state } });
            }
            opts.onRound?.({ status: "error", error, ...upkeep });
          }
        }
      }
    }
    await sleep(nextDelay({ intervalMs: opts.intervalMs, jitter, maxBackoffMs, failures }), opts.signal);
  }
}

/** The certificates a round's apply obtained, or failed to obtain (the first certs change its error names, else all of them). */
export function certificateNews(result: ApplyResult): { renewed: string[]; failed: { name: string; error: string }[] } {
  const planned = (result.plan?.steps ?? []).filter((s) => s.system === "certs").flatMap((s) => s.changes.map((c) => c.id));
  if (result.status === "succeeded") return { renewed: planned, failed: [] };
  const error = result.steps.find((s) => s.system === "certs" && s.status !== "applied" && s.status !== "skipped" && s.error)?.error;
  if (!error) return { renewed: [], failed: [] };
  const named = planned.filter((n) => error.includes(`certificate ${n}:`));
  return { renewed: [], failed: (named.length ? named : planned).map((name) => ({ name, error })) };
}
