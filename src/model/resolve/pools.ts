// Upstream pools: targets, load balancing, health checks and upstream TLS, for named Upstreams and
// for routes that list their upstreams inline.
import type { Entry, Reporter } from "../ctx.js";
import { parseDuration, parseHostPort } from "../net.js";
import type { ResolvedPool } from "../resolved.js";
import type { RouteResource, UpstreamResource } from "../schema.js";
import type { ResolveCtx } from "./context.js";

/** The pool fields a Route and an Upstream have in common. */
export type PoolFields = Pick<RouteResource["spec"], "upstreams" | "loadBalancing" | "healthCheck" | "timeouts" | "upstreamTls">;

export function resolveUpstreams(ctx: ResolveCtx): Map<string, ResolvedPool> {
  const out = new Map<string, ResolvedPool>();
  for (const e of ctx.catalog.list<UpstreamResource>("Upstream")) {
    const pool = buildPool(ctx.rep, e, e.resource.spec, undefined);
    if (pool) out.set(e.resource.metadata.name, pool);
  }
  return out;
}

/** Builds a pool from inline fields (a Route's or an Upstream's); `defaultPort` from a preset. */
export function buildPool(rep: Reporter, e: Entry, s: PoolFields, defaultPort: number | undefined): ResolvedPool | undefined {
  const targets = (s.upstreams ?? []).flatMap((t, i) => {
    const hp = parseHostPort(t.address, defaultPort);
    if (!hp.ok) {
      rep.error("address", `spec.upstreams[${i}].address: ${JSON.stringify(t.address)} ${hp.reason}`, e, ["spec", "upstreams", i, "address"]);
      return [];
    }
    const host = hp.value.host.includes(":") ? `[${hp.value.host}]` : hp.value.host;
    return [{ address: `${host}:${hp.value.port}`, weight: t.weight ?? 1 }];
  });
  const seen = new Map<string, number>();
  targets.forEach((t, i) => {
    if (seen.has(t.address)) rep.warn("duplicate-upstream", `spec.upstreams[${i}]: ${t.address} is listed twice (also spec.upstreams[${seen.get(t.address)}])`, e, ["spec", "upstreams", i]);
    else seen.set(t.address, i);
  });
  const weighted = new Set(targets.map((t) => t.weight)).size > 1;
  const pool: ResolvedPool = {
    targets,
    policy: s.loadBalancing?.policy ?? (weighted ? "weighted_round_robin" : "round_robin"),
    timeouts: { ...s.timeouts },
  };
  if (weighted && s.loadBalancing?.policy && s.loadBalancing.policy !== "weighted_round_robin") {
    rep.warn("weights-ignored", `upstream weights are only used by policy weighted_round_robin; policy is ${s.loadBalancing.policy}`, e, ["spec", "loadBalancing", "policy"]);
  }
  if (s.loadBalancing?.tryDuration) pool.tryDuration = s.loadBalancing.tryDuration;
  if (s.loadBalancing?.tryInterval) pool.tryInterval = s.loadBalancing.tryInterval;
  const a = s.healthCheck?.active;
  if (a) {
    pool.active = { path: a.path, interval: a.interval ?? "30s", timeout: a.timeout ?? "5s" };
    if (a.expectStatus !== undefined) pool.active.expectStatus = a.expectStatus;
    if (a.port !== undefined) pool.active.port = a.port;
    if (parseDuration(pool.active.timeout) > parseDuration(pool.active.interval)) {
      rep.warn("health-check", `spec.healthCheck.active: timeout ${pool.active.timeout} is longer than the interval ${pool.active.interval}`, e, ["spec", "healthCheck", "active", "timeout"]);
    }
  }
  const p = s.healthCheck?.passive;
  if (p) {
    pool.passive = { failDuration: p.failDuration ?? "30s", maxFails: p.maxFails ?? 1 };
    if (p.unhealthyStatus) pool.passive.unhealthyStatus = [...p.unhealthyStatus].sort((x, y) => x - y);
    if (p.unhealthyLatency) pool.passive.unhealthyLatency = p.unhealthyLatency;
  }
  const t = s.upstreamTls;
  if (t && (t.enabled === true || (t.enabled === undefined && (t.serverName || t.insecureSkipVerify || t.ca)))) {
    pool.tls = { insecureSkipVerify: t.insecureSkipVerify ?? false };
    if (t.serverName) pool.tls.serverName = t.serverName;
    if (t.ca) pool.tls.ca = t.ca;
    if (t.insecureSkipVerify && t.ca) rep.warn("upstream-tls", "upstreamTls: insecureSkipVerify makes the ca unused; drop one of them", e, ["spec", "upstreamTls", "insecureSkipVerify"]);
  }
  return targets.length === (s.upstreams ?? []).length ? pool : undefined;
}
