// Progressive delivery and emergency fields of a route: other pools and how traffic is split
// between them (weights, opt-in header or cookie, sticky cookie), the canary in progress, blocked
// client addresses, and a time-limited sign-in bypass. Checked here; compiled in
// compile/caddy/delivery.ts; advanced and expired by the reconcile loop (engine/delivery/).
import type { Entry, Reporter } from "../ctx.js";
import { parseCidrOrIp, parseDuration } from "../net.js";
import type { ResolvedPool, ResolvedRoute, ResolvedSplit } from "../resolved.js";
import type { RouteResource, UpstreamResource } from "../schema.js";
import type { ResolveCtx } from "./context.js";
import { hint } from "./order.js";
import { buildPool } from "./pools.js";

export const DEFAULT_POOL_NAME = "main";
export const DEFAULT_STICKY_MAX_AGE = "24h";

type Spec = RouteResource["spec"];
type BlockList = { address: string }[] | undefined;

/** Block addresses checked (IP or CIDR) and normalized, sorted, once each. */
export function checkBlocks(rep: Reporter, e: Entry | undefined, blocks: BlockList, path: (string | number)[] = ["spec", "blocks"]): string[] {
  const out = new Set<string>();
  (blocks ?? []).forEach((b, i) => {
    const r = parseCidrOrIp(b.address);
    if (!r.ok) rep.error("ip", `${path.join(".")}[${i}].address: ${JSON.stringify(b.address)} ${r.reason}`, e, [...path, i, "address"]);
    else out.add(r.value);
  });
  return [...out].sort();
}

/** The sticky cookie a route's split sets when spec.split.sticky has no name of its own. */
export const stickyCookie = (route: string) => `hecate-pool-${route}`;

/** The named pools of a route, resolved (inline upstreams or a named Upstream). */
function resolvePools(ctx: ResolveCtx, e: Entry<RouteResource>, s: Spec, upstreams: Map<string, ResolvedPool>): Map<string, ResolvedPool> {
  const out = new Map<string, ResolvedPool>();
  for (const [name, p] of Object.entries(s.pools ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const at = ["spec", "pools", name];
    if (p.upstream !== undefined && p.upstreams !== undefined) {
      ctx.rep.error("upstream", `spec.pools.${name}: has both upstream (a named Upstream) and inline upstreams; use one`, e, at, { key: true });
      continue;
    }
    if (p.upstream !== undefined) {
      const up = ctx.catalog.get<UpstreamResource>("Upstream", p.upstream);
      const pool = up ? upstreams.get(p.upstream) : undefined;
      if (!up) ctx.rep.error("dangling-ref", `spec.pools.${name}.upstream: Upstream "${p.upstream}" does not exist${hint(p.upstream, ctx.catalog.names("Upstream"))}`, e, [...at, "upstream"]);
      if (pool) out.set(name, pool);
      continue;
    }
    if (!p.upstreams) {
      ctx.rep.error("upstream", `spec.pools.${name}: needs upstreams (inline) or upstream (the name of an Upstream)`, e, at, { key: true });
      continue;
    }
    const pool = buildPool(ctx.rep, e, p, undefined);
    if (pool) out.set(name, pool);
  }
  return out;
}

/** The delivery fields of a resolved route; errors go to the reporter. */
export function resolveDelivery(
  ctx: ResolveCtx,
  e: Entry<RouteResource>,
  s: Spec,
  main: ResolvedPool | undefined,
  upstreams: Map<string, ResolvedPool>,
  protectedRoute: boolean,
): Pick<ResolvedRoute, "split" | "blocks" | "bypassAuth"> {
  const rep = ctx.rep;
  const name = e.resource.metadata.name;
  const out: Pick<ResolvedRoute, "split" | "blocks" | "bypassAuth"> = {};
  const mainName = s.poolName ?? DEFAULT_POOL_NAME;
  const pools = resolvePools(ctx, e, s, upstreams);
  if (s.pools && mainName in s.pools) rep.error("pool", `spec.pools.${mainName}: the route's own upstreams are called "${mainName}" (spec.poolName); name this pool differently`, e, ["spec", "pools", mainName], { key: true });
  const known = (pool: string, path: (string | number)[]) => {
    if (s.pools?.[pool]) return pools.has(pool);
    rep.error("pool", `${path.join(".")}: route "${name}" has no pool "${pool}" in spec.pools${hint(pool, Object.keys(s.pools ?? {}))}`, e, path);
    return false;
  };

  const sp = s.split;
  if (sp) {
    if (!main) rep.error("pool", `spec.split: route "${name}" has no upstreams of its own to split traffic with`, e, ["spec", "split"], { key: true });
    const weights = Object.entries(sp.weights ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
    const total = weights.reduce((n, [, w]) => n + w, 0);
    if (total > 100) rep.error("split", `spec.split.weights: ${total}% in total; the pools share at most 100%`, e, ["spec", "split", "weights"]);
    const split: ResolvedSplit = { main: mainName, pools: [] };
    const used = new Set<string>();
    for (const [pool, w] of weights) if (known(pool, ["spec", "split", "weights", pool]) && w > 0) used.add(pool);
    for (const k of ["header", "cookie"] as const) {
      const o = sp[k];
      if (o && known(o.pool, ["spec", "split", k, "pool"])) {
        split[k] = { name: o.name, value: o.value, pool: o.pool };
        used.add(o.pool);
      }
    }
    if (sp.sticky) split.sticky = { cookie: sp.sticky.cookie ?? stickyCookie(name), maxAge: Math.round(parseDuration(sp.sticky.maxAge ?? DEFAULT_STICKY_MAX_AGE) / 1000) };
    for (const pool of [...used].sort()) split.pools.push({ name: pool, pool: pools.get(pool)!, percent: sp.weights?.[pool] ?? 0 });
    if (main && split.pools.length && total <= 100) out.split = split;
  }

  const c = s.canary;
  if (c) {
    known(c.pool, ["spec", "canary", "pool"]);
    if (!ctx.settings.caddy.accessLog) {
      rep.error(
        "canary",
        `spec.canary: the canary of route "${name}" is judged by its error rate, read from Caddy's access log: set Settings spec.caddy.accessLog to a file Caddy writes and Hecate reads (e.g. /var/log/caddy/hecate-access.log)`,
        e,
        ["spec", "canary"],
        { key: true },
      );
    }
  }

  if (s.blocks?.length) {
    const blocks = checkBlocks(rep, e, s.blocks);
    if (blocks.length) out.blocks = blocks;
  }
  if (s.bypassAuth) {
    if (!protectedRoute) rep.warn("bypass-auth", `spec.bypassAuth has no effect: route "${name}" does not require sign-in`, e, ["spec", "bypassAuth"], { key: true });
    else out.bypassAuth = { until: s.bypassAuth.until, reason: s.bypassAuth.reason };
  }
  return out;
}
