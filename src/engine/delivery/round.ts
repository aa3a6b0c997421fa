// The reconcile loop's delivery round, before it puts drift back: blocks and sign-in bypasses whose
// time is up are lifted, and every canary is judged on the error rate of its pool since its step
// began (from Caddy's access log): over the limit, it is rolled back at once; within it, once
// the step's time is up and enough requests were seen, it gets the next step, and at 100% it is
// promoted. Each is one revision, applied and audited; nobody has to be around.
import { HecateError } from "../../diag.js";
import { parseDuration } from "../../model/net.js";
import type { RouteResource, SettingsResource } from "../../model/schema.js";
import type { Engine } from "../engine.js";
import { errorRate, poolCounts, type PoolCounts } from "./analysis.js";
import { abortCanary, expire, expired, findCanaryRoute, promoteCanary, setCanaryWeight, type Edited } from "./edits.js";
import { deliver } from "./index.js";

export const DEFAULT_CANARY_EVERY = "5m";
export const DEFAULT_MAX_ERROR_RATE = 1;
export const DEFAULT_MIN_REQUESTS = 100;

export interface DeliveryEvent {
  action: string;
  target: string;
  message: string;
  status: string;
}

const SOURCE = { type: "api" as const, location: "reconcile-loop" };

export interface CanaryVerdict {
  route: string;
  pool: string;
  weight: number;
  counts: PoolCounts;
  rate: number;
  verdict: "rollback" | "step" | "promote" | "wait" | "hold";
  why: string;
}

/** What the canary of a route would get now (also what `canary status` shows). */
export async function judge(r: RouteResource, settings: SettingsResource | undefined, now: Date): Promise<CanaryVerdict | undefined> {
  const c = r.spec.canary;
  if (!c) return undefined;
  const file = settings?.spec.caddy?.accessLog;
  if (!file) throw new HecateError("canary", `canary of route ${r.metadata.name}: Settings spec.caddy.accessLog is not set, so its error rate cannot be read`);
  const counts = (await poolCounts(file, { hosts: r.spec.hosts, paths: r.spec.paths ?? [] }, new Date(c.since))).get(c.pool) ?? { requests: 0, errors: 0 };
  const weight = r.spec.split?.weights?.[c.pool] ?? 0;
  const max = c.maxErrorRate ?? DEFAULT_MAX_ERROR_RATE;
  const min = c.minRequests ?? DEFAULT_MIN_REQUESTS;
  const rate = errorRate(counts);
  const base = { route: r.metadata.name, pool: c.pool, weight, counts, rate };
  const seen = `${counts.errors} of ${counts.requests} requests failed (${rate.toFixed(2)}%, limit ${max}%)`;
  // Over the limit even if every request still to come in this step's sample succeeded.
  if (counts.errors > (max / 100) * Math.max(counts.requests, min)) return { ...base, verdict: "rollback", why: seen };
  if (!c.step) return { ...base, verdict: "hold", why: `${seen}; no automatic steps` };
  const due = Date.parse(c.since) + parseDuration(c.every ?? DEFAULT_CANARY_EVERY) <= now.getTime();
  if (!due) return { ...base, verdict: "wait", why: `${seen}; next step at ${new Date(Date.parse(c.since) + parseDuration(c.every ?? DEFAULT_CANARY_EVERY)).toISOString()}` };
  if (counts.requests < min) return { ...base, verdict: "wait", why: `${seen}; waiting for ${min} requests before judging` };
  return { ...base, verdict: weight + c.step >= 100 ? "promote" : "step", why: seen };
}

/** A row of `hecate canary status`: the verdict with when its step began, or a route without a canary. */
export type CanaryRow = (Omit<CanaryVerdict, "verdict"> & { verdict: CanaryVerdict["verdict"] | "unknown"; since: string; step: number | null; every: string | null }) | { route: string; canary: null };

/** Each canary of what is live (or the head, before any apply), or one route's (by name or host). */
export async function canaryStatus(engine: Engine, route: string | undefined, now = new Date()): Promise<CanaryRow[]> {
  const live = (await engine.store.lastApplied()) ?? (await engine.store.head());
  const rs = live?.resources ?? [];
  const settings = rs.find((r): r is SettingsResource => r.kind === "Settings");
  const routes = route !== undefined ? [findCanaryRoute(rs, route)] : rs.filter((r): r is RouteResource => r.kind === "Route" && Boolean(r.spec.canary));
  const rows: CanaryRow[] = [];
  for (const r of routes) {
    const c = r.spec.canary;
    if (!c) {
      rows.push({ route: r.metadata.name, canary: null });
      continue;
    }
    const v = await judge(r, settings, now).catch((err: Error) => ({ route: r.metadata.name, pool: c.pool, weight: r.spec.split?.weights?.[c.pool] ?? 0, counts: { requests: 0, errors: 0 }, rate: 0, verdict: "unknown" as const, why: err.message }));
    rows.push({ ...v!, since: c.since, step: c.step ?? null, every: c.every ?? null });
  }
  return rows;
}

export async function deliveryRound(engine: Engine, opts: { now?: Date } = {}): Promise<DeliveryEvent[]> {
  const events: DeliveryEvent[] = [];
  const now = opts.now ?? new Date();
  const run = async (action: string, target: string, edit: (rs: Parameters<typeof expire>[0]) => Edited, detail: Record<string, unknown>) => {
    const d = await deliver(engine, edit, { action, target, detail, source: SOURCE, apply: { lockTimeoutMs: 0, actor: engine.actor } });
    events.push({ action, target, message: d.message, status: d.result.status });
  };
  const applied = await engine.store.lastApplied();
  if (!applied) return events;
  for (const x of expired(applied.resources, now)) {
    await run(x.kind === "block" ? "block.expire" : "bypass-auth.expire", x.route ?? x.address ?? "", (rs) => expire(rs, x), { ...x });
  }
  const live = (await engine.store.lastApplied())!;
  const settings = live.resources.find((r) => r.kind === "Settings") as SettingsResource | undefined;
  for (const r of live.resources.filter((x): x is RouteResource => x.kind === "Route" && !!x.spec.canary)) {
    const v = await judge(r, settings, now);
    if (!v) continue;
    const detail = { pool: v.pool, weight: v.weight, requests: v.counts.requests, errors: v.counts.errors, errorRate: v.rate };
    const why = ` (${v.why})`;
    if (v.verdict === "rollback") await run("canary.rollback", v.route, (rs) => abortCanary(rs, v.route, why), detail);
    else if (v.verdict === "promote") await run("canary.promote", v.route, (rs) => promoteCanary(rs, v.route, why), detail);
    else if (v.verdict === "step") await run("canary.step", v.route, (rs) => setCanaryWeight(rs, v.route, v.weight + r.spec.canary!.step!, now, why), detail);
  }
  return events;
}
