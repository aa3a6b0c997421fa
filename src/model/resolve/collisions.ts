// Checks across routes: one route per host+path, surprising wildcard precedence, and cookie domains
// that cover every host of a forward_domain policy.
import { where } from "../ctx.js";
import { isUnder } from "../net.js";
import type { ResolvedAuthPolicy } from "../resolved.js";
import type { ResolveCtx } from "./context.js";
import type { RouteUnit } from "./routes.js";

const ALL_PATHS = [{ p: "", j: -1 }] as const;

/** The route (its place among the units) and host (its index in spec.hosts) that serves a host+path first. */
interface Served {
  place: number;
  i: number;
}

/** One route as the last pass saw it: the very hosts array and spec a unit memo hands out again, and its keys. */
interface Seen {
  name: string;
  hosts: RouteUnit["hosts"];
  paths: readonly string[] | undefined;
  keys: string[];
}

/**
 * What the last clean pass of checkHostCollisions saw (a server's ResolveMemo): the next pass over
 * the same routes in the same places, a few of them changed, checks only those against this index
 * instead of indexing every host of 10,000 routes again (≈ 10 ms). Kept only when that pass
 * reported nothing: then every host+path has one route, and a changed route that meets another's
 * key, or repeats its own, sends the check back to the full pass, which reports it as always.
 */
export class HostIndex {
  served = new Map<string, Served>();
  seen: Seen[] = [];
  /** Places of routes that list paths (the wildcard-precedence pass reads only those). */
  withPaths: number[] = [];
  clean = false;
}

/** At most this many changed routes are checked against the index; more, and the full pass runs. */
const INCREMENTAL_MAX = 64;

/** "/" and "/api/" mean the same prefixes as "" (all paths) and "/api". */
const normPath = (p: string) => p.replace(/\/+$/, "");

function pathsOf(u: RouteUnit): readonly { p: string; j: number }[] {
  return u.spec.paths && u.spec.paths.length > 0 ? u.spec.paths.map((p, j) => ({ p: normPath(p), j })) : ALL_PATHS;
}

/** Same host+path on two routes, and wildcard precedence that may surprise. `memo`: see HostIndex. */
export function checkHostCollisions(ctx: ResolveCtx, units: readonly RouteUnit[], memo?: HostIndex): void {
  const served = (memo && updateIndex(memo, units)) || indexHosts(ctx, units, memo);
  warnWildcardPrecedence(ctx, units, served, memo?.clean ? memo.withPaths : undefined);
}

/** Every host+path of every route, in order, each collision reported; the index kept in `memo` when clean. */
function indexHosts(ctx: ResolveCtx, units: readonly RouteUnit[], memo?: HostIndex): Map<string, Served> {
  const served = new Map<string, Served>();
  const seen: Seen[] = [];
  let clean = true;
  // Runs over every host of 10,000 routes when the index cannot be reused: nothing is allocated
  // per host that only a finding needs.
  units.forEach((u, place) => {
    const keys: string[] = [];
    const paths = pathsOf(u);
    for (const { host, i } of u.hosts) {
      for (const { p, j } of paths) {
        const key = `${host} ${p}`;
        const prev = served.get(key);
        if (!prev) {
          served.set(key, { place, i });
          keys.push(key);
          continue;
        }
        clean = false;
        const here = j >= 0 ? ["spec", "paths", j] : ["spec", "hosts", i];
        if (prev.place !== place) {
          const other = units[prev.place]!;
          const what = `${host}${p ? ` path ${p}` : " (all paths)"}`;
          const kindWord = host.startsWith("*.") ? "overlapping wildcard" : "duplicate host+path";
          ctx.rep.error(
            host.startsWith("*.") ? "overlapping-wildcard" : "duplicate-host",
            `${kindWord}: ${what} is served by both route "${other.entry.resource.metadata.name}" (${where(other.entry, ["spec", "hosts", prev.i])}) and route "${u.entry.resource.metadata.name}" (${where(u.entry, ["spec", "hosts", i])}); a host+path may belong to one route only`,
            u.entry,
            here,
          );
        } else if (j >= 0) {
          ctx.rep.warn("duplicate-path", `spec.paths[${j}]: ${p} is listed twice`, u.entry, here);
        }
      }
    }
    if (memo) seen.push({ name: u.entry.resource.metadata.name, hosts: u.hosts, paths: u.spec.paths, keys });
  });
  if (memo) {
    memo.clean = clean;
    memo.served = served;
    memo.seen = seen;
    memo.withPaths = clean ? placesWithPaths(seen) : [];
  }
  return served;
}

function placesWithPaths(seen: readonly Seen[]): number[] {
  const out: number[] = [];
  seen.forEach((s, place) => s.paths && s.paths.length > 0 && out.push(place));
  return out;
}

/**
 * The last clean index brought up to `units`, when they are the same routes in the same places
 * and few changed: their old keys dropped, their new keys added. Undefined (and the index no
 * longer clean) when that cannot be done without a finding: the full pass then runs.
 */
function updateIndex(memo: HostIndex, units: readonly RouteUnit[]): Map<string, Served> | undefined {
  if (!memo.clean || memo.seen.length !== units.length) return undefined;
  const changed: number[] = [];
  for (let place = 0; place < units.length; place++) {
    const u = units[place]!;
    const s = memo.seen[place]!;
    if (u.hosts === s.hosts && u.spec.paths === s.paths) continue;
    if (u.entry.resource.metadata.name !== s.name || changed.length === INCREMENTAL_MAX) return undefined;
    changed.push(place);
  }
  if (changed.length === 0) return memo.served;
  memo.clean = false; // until every changed route is in: a return on the way leaves it for the full pass
  const { served } = memo;
  for (const place of changed) for (const key of memo.seen[place]!.keys) if (served.get(key)?.place === place) served.delete(key);
  let pathsMoved = false;
  for (const place of changed) {
    const u = units[place]!;
    const keys: string[] = [];
    const paths = pathsOf(u);
    for (const { host, i } of u.hosts) {
      for (const { p } of paths) {
        const key = `${host} ${p}`;
        if (served.has(key)) return undefined; // a collision or a repeated path: the full pass says which
        served.set(key, { place, i });
        keys.push(key);
      }
    }
    const was = memo.seen[place]!;
    if (!!was.paths?.length !== !!u.spec.paths?.length) pathsMoved = true;
    memo.seen[place] = { name: was.name, hosts: u.hosts, paths: u.spec.paths, keys };
  }
  if (pathsMoved) memo.withPaths = placesWithPaths(memo.seen);
  memo.clean = true;
  return served;
}

/**
 * Exact host served only on some paths while a wildcard route takes the rest. (A host served on
 * all paths is the key "<host> ".) `places`: the routes that list paths, when known.
 */
function warnWildcardPrecedence(ctx: ResolveCtx, units: readonly RouteUnit[], served: Map<string, Served>, places?: readonly number[]): void {
  const allPaths = (host: string) => served.has(`${host} `);
  for (const place of places ?? units.keys()) {
    const u = units[place]!;
    if (!u.spec.paths || u.spec.paths.length === 0) continue;
    for (const { host, i } of u.hosts) {
      if (host.startsWith("*.") || allPaths(host)) continue;
      const wild = `*.${host.split(".").slice(1).join(".")}`;
      if (!allPaths(wild)) continue;
      const w = served.get(`${wild} `)!;
      const wu = units[w.place]!;
      ctx.rep.warn(
        "wildcard-precedence",
        `${host} is served by route "${u.entry.resource.metadata.name}" only on ${u.spec.paths.join(", ")}; its other paths fall through to wildcard route "${wu.entry.resource.metadata.name}" (${wild}, ${where(wu.entry, ["spec", "hosts", w.i])})`,
        u.entry,
        ["spec", "hosts", i],
      );
    }
  }
}

/** forward_domain cookie domains must be a parent of every host that uses the policy. */
export function checkCookieDomains(ctx: ResolveCtx, units: readonly RouteUnit[], policies: Map<string, ResolvedAuthPolicy>): void {
  for (const u of units) {
    const p = u.spec.authPolicy ? policies.get(u.spec.authPolicy) : undefined;
    if (!p?.cookieDomain) continue;
    for (const { host, i } of u.hosts) {
      if (!isUnder(host, p.cookieDomain)) {
        ctx.rep.error(
          "cookie-domain",
          `spec.hosts[${i}]: ${host} is not under cookie domain "${p.cookieDomain}" of AuthPolicy "${p.name}"; the browser would never send the session cookie (a redirect loop)`,
          u.entry,
          ["spec", "hosts", i],
        );
      }
    }
  }
}
