// Route layout for scale: routes grouped by shared host, groups hashed into ~√N host buckets,
// so a request passes two levels of cheap host matchers instead of N routes in a row.
import type { ResolvedRoute } from "../../model/resolved.js";
import { fnv1a, isWildcardHost } from "./util.js";

/** One route's hosts of one kind (exact or wildcard) on one server. */
export interface Part {
  route: ResolvedRoute;
  id: string;
  hosts: string[]; // sorted
  wildcard: boolean;
}

/** Longer path prefixes first; a route for all paths last. */
export function pathSpecificity(paths: readonly string[]): number {
  if (paths.length === 0 || paths.includes("/")) return -1;
  return Math.max(...paths.map((p) => p.length));
}

function byPathThenName(a: Part, b: Part): number {
  return pathSpecificity(b.route.paths) - pathSpecificity(a.route.paths) || (a.route.name < b.route.name ? -1 : a.route.name > b.route.name ? 1 : 0);
}

/** Split routes into exact-host and wildcard-host parts with stable @ids. */
export function splitParts(routes: readonly ResolvedRoute[], idPrefix: string): { exact: Part[]; wildcard: Part[] } {
  const exact: Part[] = [], wildcard: Part[] = [];
  for (const r of routes) {
    const ex = r.hosts.filter((h) => !isWildcardHost(h)).sort();
    const wc = r.hosts.filter(isWildcardHost).sort();
    const base = `${idPrefix}route-${r.name}`;
    if (ex.length) exact.push({ route: r, id: base, hosts: ex, wildcard: false });
    // "_" cannot occur in resource names, so this id never collides with another route's.
    if (wc.length) wildcard.push({ route: r, id: ex.length ? `${base}_wildcard` : base, hosts: wc, wildcard: true });
  }
  return { exact, wildcard: wildcard.sort(wildcardOrder) };
}

/** More literal labels first ("*.a.example.com" before "*.example.com"), then paths, then name. */
function wildcardOrder(a: Part, b: Part): number {
  const lit = (p: Part) => Math.max(...p.hosts.map((h) => h.split(".").filter((l) => l !== "*").length));
  return lit(b) - lit(a) || byPathThenName(a, b);
}

/** Parts sharing any host end up in one group (they must be tried in path order together). */
export function hostGroups(parts: readonly Part[]): Part[][] {
  const parent = parts.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const owner = new Map<string, number>();
  parts.forEach((p, i) => {
    for (const h of p.hosts) {
      const o = owner.get(h);
      if (o === undefined) owner.set(h, i);
      else parent[find(i)] = find(o);
    }
  });
  const groups = new Map<number, Part[]>();
  parts.forEach((p, i) => {
    const g = find(i);
    (groups.get(g) ?? groups.set(g, []).get(g)!).push(p);
  });
  // Each group's key computed once, not in every comparison (10,000 groups: ~130,000 of them).
  const keyed = [...groups.values()].map((g) => ({ g: g.sort(byPathThenName), key: firstHost(g) }));
  return keyed.sort((a, b) => (a.key < b.key ? -1 : 1)).map((x) => x.g);
}

/** The smallest host of a group (what orders groups and picks their bucket). */
function firstHost(g: Part[]): string {
  let min: string | undefined;
  for (const p of g) for (const h of p.hosts) if (min === undefined || h < min) min = h;
  return min!;
}

/** Power of two near √groups (stable as routes come and go), 1 for small configs. */
export function bucketCount(groups: number): number {
  if (groups <= 32) return 1;
  return 2 ** Math.ceil(Math.log2(Math.sqrt(groups)));
}

/** Groups into buckets by a hash of their first host; bucket order and content are stable. */
export function buckets(groups: Part[][]): Part[][][] {
  const n = bucketCount(groups.length);
  const out: Part[][][] = Array.from({ length: n }, () => []);
  for (const g of groups) {
    const first = firstHost(g);
    out[fnv1a(first) % n]!.push(g);
  }
  return out;
}
