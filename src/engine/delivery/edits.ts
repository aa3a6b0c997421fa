// Progressive delivery and emergency switches as pure edits of the desired resources: each takes
// the resources and returns the new ones with a one-line description, or throws a HecateError an
// operator can act on. The engine (index.ts) stores and applies them; the reconcile loop
// (round.ts) uses the same edits for canary steps and expiries.
import { HecateError } from "../../diag.js";
import type { Resource, RouteResource, SettingsResource } from "../../model/schema.js";
import { DEFAULT_POOL_NAME } from "../../model/resolve/delivery.js";

type RouteSpec = RouteResource["spec"];

export interface Edited {
  after: Resource[];
  /** What happened, for the revision message and the audit entry. */
  message: string;
}

/** A route by name or by one of its hosts (operators name sites by host). */
export function findRoute(resources: readonly Resource[], word: string): RouteResource {
  const byName = resources.find((r) => r.kind === "Route" && r.metadata.name === word);
  if (byName) return byName as RouteResource;
  const host = word.toLowerCase();
  const serving = resources.filter((r) => r.kind === "Route" && (r.spec as RouteSpec).hosts.some((h) => h.toLowerCase() === host));
  if (serving.length > 1) throw new HecateError("ambiguous", `${serving.length} routes serve ${word} (${serving.map((x) => x.metadata.name).join(", ")}): name one of them`, { status: 409 });
  if (!serving[0]) throw new HecateError("not-found", `route "${word}" does not exist (see \`hecate list routes\`)`, { status: 404 });
  return serving[0] as RouteResource;
}

/**
 * The route of a canary: by route name or host, or by the pool a running canary rolls out (the eos
 * forms name a canary by its pool: `eos canary hecate promote api-v2`).
 */
export function findCanaryRoute(resources: readonly Resource[], word: string): RouteResource {
  try {
    return findRoute(resources, word);
  } catch (e) {
    const rolling = resources.filter((r): r is RouteResource => r.kind === "Route" && (r.spec as RouteSpec).canary?.pool === word);
    if (rolling.length === 1) return rolling[0]!;
    if (rolling.length > 1) throw new HecateError("ambiguous", `${rolling.length} routes roll out a pool "${word}" (${rolling.map((r) => r.metadata.name).join(", ")}): name the route`, { status: 409 });
    throw e;
  }
}

/** The resources with one route's spec replaced by edit(copy of spec). */
function withRoute(resources: readonly Resource[], word: string, edit: (spec: RouteSpec, name: string) => void, find = findRoute): Resource[] {
  const target = find(resources, word);
  const spec = structuredClone(target.spec);
  edit(spec, target.metadata.name);
  return resources.map((r) => (r === target ? ({ ...target, spec } as Resource) : r));
}

const mainName = (s: RouteSpec) => s.poolName ?? DEFAULT_POOL_NAME;

function mustHavePool(s: RouteSpec, route: string, pool: string): void {
  if (!s.pools?.[pool]) {
    const have = Object.keys(s.pools ?? {});
    throw new HecateError("not-found", `route "${route}" has no pool "${pool}"${have.length ? ` (it has ${have.join(", ")})` : ""}: add it under spec.pools (\`hecate update route ${route} -f\` or YAML)`, { status: 404 });
  }
}

const percent = (n: number) => `${Math.round(n * 100) / 100}%`;

/** Drop every split reference to `pool` (weights, opt-ins), and the split when nothing is left. */
function unsplit(s: RouteSpec, pool: string): void {
  const sp = s.split;
  if (!sp) return;
  if (sp.weights) {
    delete sp.weights[pool];
    if (!Object.keys(sp.weights).length) delete sp.weights;
  }
  if (sp.header?.pool === pool) delete sp.header;
  if (sp.cookie?.pool === pool) delete sp.cookie;
  if (!sp.weights && !sp.header && !sp.cookie) delete s.split;
}

export interface CanaryStart {
  pool: string;
  weight: number;
  step?: number;
  every?: string;
  maxErrorRate?: number;
  /** Testers reach the canary with this header or cookie ("Name=value"). */
  header?: { name: string; value: string };
  cookie?: { name: string; value: string };
  sticky?: boolean;
  /** Create (or replace) the pool with this one upstream first. */
  upstream?: string;
  now: Date;
}

export function startCanary(resources: readonly Resource[], word: string, o: CanaryStart): Edited {
  let msg = "";
  const after = withRoute(resources, word, (s, name) => {
    if (o.upstream !== undefined) {
      if (o.pool === mainName(s)) throw new HecateError("conflict", `"${o.pool}" is the route's own pool; name the canary's pool differently (--to)`, { status: 409 });
      s.pools = { ...(s.pools ?? {}), [o.pool]: { upstreams: [{ address: o.upstream }] } };
    }
    mustHavePool(s, name, o.pool);
    if (s.canary && s.canary.pool !== o.pool) throw new HecateError("conflict", `route "${name}" already has a canary of pool "${s.canary.pool}": \`hecate canary promote ${name}\` or \`hecate canary abort ${name}\` first`, { status: 409 });
    const sp = (s.split ??= {});
    sp.weights = { ...(sp.weights ?? {}), [o.pool]: o.weight };
    if (o.header) sp.header = { ...o.header, pool: o.pool };
    if (o.cookie) sp.cookie = { ...o.cookie, pool: o.pool };
    if (o.sticky) sp.sticky ??= {};
    s.canary = { pool: o.pool, since: o.now.toISOString() };
    if (o.step !== undefined) s.canary.step = o.step;
    if (o.every !== undefined) s.canary.every = o.every;
    if (o.maxErrorRate !== undefined) s.canary.maxErrorRate = o.maxErrorRate;
    msg = `canary ${name}: ${percent(o.weight)} to pool ${o.pool}${o.step ? `, +${o.step} every ${o.every ?? "5m"} while 5xx stay under ${percent(o.maxErrorRate ?? 1)}` : ""}`;
  });
  return { after, message: msg };
}

/** The canary's pool gets `weight` percent (a step, or `canary promote --to N`). */
export function setCanaryWeight(resources: readonly Resource[], word: string, weight: number, now: Date, why = ""): Edited {
  let msg = "";
  const after = withRoute(resources, word, (s, name) => {
    if (!s.canary) throw new HecateError("not-found", `route "${name}" has no canary (start one with \`hecate canary start ${name} --to POOL --weight 10\`)`, { status: 404 });
    s.split = { ...(s.split ?? {}), weights: { ...(s.split?.weights ?? {}), [s.canary.pool]: weight } };
    s.canary = { ...s.canary, since: now.toISOString() };
    msg = `canary ${name}: ${percent(weight)} to pool ${s.canary.pool}${why}`;
  }, findCanaryRoute);
  return { after, message: msg };
}

/**
 * `pool` becomes the route's own upstreams (all traffic); the upstreams it had become a pool under
 * their old name, so switching back is one command too. Split references and a canary of that
 * pool end.
 */
function becomeMain(s: RouteSpec, name: string, pool: string): void {
  mustHavePool(s, name, pool);
  const next = s.pools![pool]!;
  const old = mainName(s);
  const pools = { ...s.pools };
  delete pools[pool];
  const own: NonNullable<RouteSpec["pools"]>[string] = {};
  for (const k of ["upstream", "upstreams", "loadBalancing", "healthCheck", "timeouts", "upstreamTls"] as const) {
    if (s[k] !== undefined) (own as Record<string, unknown>)[k] = s[k];
    delete s[k];
  }
  if (own.upstream !== undefined || own.upstreams !== undefined) pools[old] = own;
  Object.assign(s, next);
  s.pools = pools;
  if (!Object.keys(pools).length) delete s.pools;
  s.poolName = pool;
  if (pool === DEFAULT_POOL_NAME) delete s.poolName;
  unsplit(s, pool);
  if (s.split?.weights?.[old] !== undefined) unsplit(s, old);
  if (s.canary?.pool === pool) delete s.canary;
}

export function promoteCanary(resources: readonly Resource[], word: string, why = ""): Edited {
  let msg = "";
  const after = withRoute(resources, word, (s, name) => {
    if (!s.canary) throw new HecateError("not-found", `route "${name}" has no canary to promote`, { status: 404 });
    const pool = s.canary.pool;
    becomeMain(s, name, pool);
    msg = `canary ${name}: pool ${pool} promoted to all traffic${why}`;
  }, findCanaryRoute);
  return { after, message: msg };
}

export function abortCanary(resources: readonly Resource[], word: string, why = ""): Edited {
  let msg = "";
  const after = withRoute(resources, word, (s, name) => {
    if (!s.canary) throw new HecateError("not-found", `route "${name}" has no canary to abort`, { status: 404 });
    const pool = s.canary.pool;
    delete s.canary;
    unsplit(s, pool);
    msg = `canary ${name}: rolled back, no traffic to pool ${pool}${why}`;
  }, findCanaryRoute);
  return { after, message: msg };
}

export function switchPool(resources: readonly Resource[], word: string, to: string): Edited {
  let msg = "";
  let pool = to;
  const after = withRoute(resources, word, (s, name) => {
    if (mainName(s) === pool) throw new HecateError("unchanged", `route "${name}" already sends all traffic to pool ${pool}`, { status: 409 });
    if (!s.pools?.[pool]) {
      // Another route (by name or host), e.g. the green copy of a site: its upstreams become a pool.
      const other = resources.find((r) => r.kind === "Route" && (r.metadata.name === to || (r.spec as RouteSpec).hosts.some((h) => h.toLowerCase() === to.toLowerCase()))) as RouteResource | undefined;
      if (other && other.metadata.name !== name) {
        pool = other.metadata.name;
        const o = other.spec;
        s.pools = { ...(s.pools ?? {}), [pool]: structuredClone({ upstream: o.upstream, upstreams: o.upstreams, loadBalancing: o.loadBalancing, healthCheck: o.healthCheck, timeouts: o.timeouts, upstreamTls: o.upstreamTls }) };
        for (const k of Object.keys(s.pools[pool]!) as (keyof NonNullable<RouteSpec["pools"]>[string])[]) if (s.pools[pool]![k] === undefined) delete s.pools[pool]![k];
      }
    }
    const old = mainName(s);
    becomeMain(s, name, pool);
    msg = `switch ${name}: all traffic to pool ${pool} (was ${old})`;
  });
  return { after, message: msg };
}

export function disableRoute(resources: readonly Resource[], word: string, o: { page?: string; reason?: string; retryAfter: string }): Edited {
  let msg = "";
  const after = withRoute(resources, word, (s, name) => {
    s.maintenance = { ...(s.maintenance ?? {}), enabled: true, retryAfter: o.retryAfter };
    if (o.page !== undefined) s.maintenance.page = o.page;
    if (o.reason !== undefined) s.maintenance.reason = o.reason;
    msg = `disable ${name}: 503 maintenance page${o.reason ? ` (${o.reason})` : ""}`;
  });
  return { after, message: msg };
}

export function enableRoute(resources: readonly Resource[], word: string): Edited {
  let msg = "";
  const after = withRoute(resources, word, (s, name) => {
    if (!s.maintenance?.enabled) throw new HecateError("unchanged", `route "${name}" is not disabled`, { status: 409 });
    delete s.maintenance;
    msg = `enable ${name}: served again`;
  });
  return { after, message: msg };
}

type BlockT = NonNullable<RouteSpec["blocks"]>[number];

function settingsOf(resources: readonly Resource[]): { settings: SettingsResource; after: (s: SettingsResource) => Resource[] } {
  const found = resources.find((r) => r.kind === "Settings") as SettingsResource | undefined;
  const settings: SettingsResource = found ? structuredClone(found) : { apiVersion: "hecate.io/v1", kind: "Settings", metadata: { name: "settings" }, spec: {} };
  return { settings, after: (s) => (found ? resources.map((r) => (r === found ? s : r)) : [...resources, s]) };
}

export function block(resources: readonly Resource[], address: string, o: { route?: string; until?: Date; reason?: string }): Edited {
  const entry: BlockT = { address, ...(o.until ? { until: o.until.toISOString() } : {}), ...(o.reason ? { reason: o.reason } : {}) };
  const put = (list: BlockT[] | undefined) => [...(list ?? []).filter((b) => b.address !== address), entry];
  const when = o.until ? ` until ${o.until.toISOString()}` : "";
  if (o.route) {
    let msg = "";
    const after = withRoute(resources, o.route, (s, name) => {
      s.blocks = put(s.blocks);
      msg = `block ${address} on route ${name}${when}${o.reason ? ` (${o.reason})` : ""}`;
    });
    return { after, message: msg };
  }
  const { settings, after } = settingsOf(resources);
  settings.spec.blocks = put(settings.spec.blocks);
  return { after: after(settings), message: `block ${address} on every route${when}${o.reason ? ` (${o.reason})` : ""}` };
}

export function unblock(resources: readonly Resource[], address: string, o: { route?: string; why?: string }): Edited {
  const drop = (list: BlockT[] | undefined, where: string) => {
    if (!list?.some((b) => b.address === address)) throw new HecateError("not-found", `${address} is not blocked ${where}`, { status: 404 });
    const rest = list.filter((b) => b.address !== address);
    return rest.length ? rest : undefined;
  };
  if (o.route) {
    let msg = "";
    const after = withRoute(resources, o.route, (s, name) => {
      const rest = drop(s.blocks, `on route ${name}`);
      if (rest) s.blocks = rest;
      else delete s.blocks;
      msg = `unblock ${address} on route ${name}${o.why ?? ""}`;
    });
    return { after, message: msg };
  }
  const { settings, after } = settingsOf(resources);
  const rest = drop(settings.spec.blocks, "on every route (a route's own blocks: --route ROUTE)");
  if (rest) settings.spec.blocks = rest;
  else delete settings.spec.blocks;
  return { after: after(settings), message: `unblock ${address} on every route${o.why ?? ""}` };
}

export function bypassAuth(resources: readonly Resource[], word: string, o: { until: Date; reason: string }): Edited {
  let msg = "";
  const after = withRoute(resources, word, (s, name) => {
    if (!s.authPolicy) throw new HecateError("unchanged", `route "${name}" does not require sign-in: nothing to bypass`, { status: 409 });
    s.bypassAuth = { until: o.until.toISOString(), reason: o.reason };
    msg = `BYPASS AUTH on ${name} until ${o.until.toISOString()}: ${o.reason}`;
  });
  return { after, message: msg };
}

export function endBypass(resources: readonly Resource[], word: string, why = ""): Edited {
  let msg = "";
  const after = withRoute(resources, word, (s, name) => {
    if (!s.bypassAuth) throw new HecateError("not-found", `route "${name}" has no sign-in bypass`, { status: 404 });
    delete s.bypassAuth;
    msg = `sign-in required again on ${name}${why}`;
  });
  return { after, message: msg };
}

/** Something with an end time that has passed. */
export interface Expired {
  kind: "block" | "bypass-auth";
  route?: string;
  address?: string;
  until: string;
}

/** Every block and bypass whose `until` is at or before now. */
export function expired(resources: readonly Resource[], now: Date): Expired[] {
  const out: Expired[] = [];
  const past = (t: string | undefined) => t !== undefined && Date.parse(t) <= now.getTime();
  for (const r of resources) {
    if (r.kind === "Settings") for (const b of r.spec.blocks ?? []) if (past(b.until)) out.push({ kind: "block", address: b.address, until: b.until! });
    if (r.kind !== "Route") continue;
    for (const b of r.spec.blocks ?? []) if (past(b.until)) out.push({ kind: "block", route: r.metadata.name, address: b.address, until: b.until! });
    if (past(r.spec.bypassAuth?.until)) out.push({ kind: "bypass-auth", route: r.metadata.name, until: r.spec.bypassAuth!.until });
  }
  return out;
}

/** The resources with one expiry carried out. */
export function expire(resources: readonly Resource[], x: Expired): Edited {
  const why = ` (expired at ${x.until})`;
  if (x.kind === "bypass-auth") return endBypass(resources, x.route!, why);
  return unblock(resources, x.address!, { ...(x.route ? { route: x.route } : {}), why });
}
