// Routes grouped by shape: routes whose compiled handler chains are identical except for their
// hosts and one upstream address share ONE Caddy route: a host matcher listing every member
// host, a `map` handler from {http.request.host} to the upstream, and the shared chain with
// reverse_proxy dialing the mapped placeholder. 10,000 such routes load in about half the time
// and memory of one route object each (docs/benchmarks.md). The decision is made on the
// compiled chain itself, so a handler kind added later is shared only when it is identical.
import { createHash } from "node:crypto";
import type { Part } from "./layout.js";
import type { CaddyHandler, CaddyRoute } from "./types.js";
import { canonical, hasPlaceholderChars, literal, pathPatterns } from "./util.js";

/** The placeholder the map handler fills and reverse_proxy dials (no host or address can hold "_upstream}"). */
export const UPSTREAM_PLACEHOLDER = "{hecate_upstream}";
const PLACEHOLDER_NAME = "hecate_upstream";

/**
 * A shape is mapped once at least this many routes share it. Below that a route object each costs
 * nothing measurable, and small configs stay readable one object per route.
 */
export const MIN_SHAPE_ROUTES = 8;

/** Why a route keeps its own Caddy route, or the shape it joined. */
export interface ShapeDecision {
  route: string;
  server: string;
  /** The @id of the shape route the route is an entry of. */
  shape?: string;
  /** Why not (when shape is absent). */
  why?: string;
}

export interface Shape {
  id: string;
  parts: Part[];
  template: CaddyHandler[];
  dials: string[];
}

interface Candidate {
  part: Part;
  group: Part[];
  key: string;
  template: CaddyHandler[];
  dial: string;
}

/** The shape of one route's compiled chain, or why it has none. */
export function shapeOf(part: Part, chain: CaddyHandler[]): { key: string; template: CaddyHandler[]; dial: string } | { why: string } {
  const r = part.route;
  if (part.wildcard || r.hosts.some((h) => h.includes("*"))) return { why: "a wildcard host (matched by pattern, not by a map entry)" };
  if (pathPatterns(r.paths)) return { why: "paths (a path matcher is its own)" };
  const proxy = chain[chain.length - 1];
  if (!proxy || proxy.handler !== "reverse_proxy") return { why: "no upstream to map (its chain does not end in reverse_proxy)" };
  const upstreams = proxy.upstreams as { dial: string }[] | undefined;
  if (!upstreams || upstreams.length !== 1) return { why: "several upstreams with a balancing policy" };
  const health = proxy.health_checks as { active?: unknown; passive?: unknown } | undefined;
  if (health?.active) return { why: "active health checks (Caddy 2.6.2 cannot check a placeholder upstream)" };
  if (health?.passive) return { why: "passive health checks (Caddy 2.6.2 counts failures per upstream address, and a placeholder is one address for every mapped route)" };
  const dial = upstreams[0]!.dial;
  // The map handler expands placeholders in its outputs and refuses inputs or outputs naming its
  // destination: such a route keeps its own route (compile reports a brace as an error anyway).
  if (hasPlaceholderChars(dial) || dial.includes(PLACEHOLDER_NAME) || part.hosts.some((h) => hasPlaceholderChars(h) || h.includes(PLACEHOLDER_NAME))) {
    return { why: "an address or host that cannot be a map entry" };
  }
  const template = [...chain.slice(0, -1), { ...proxy, upstreams: [{ dial: UPSTREAM_PLACEHOLDER }] }];
  return { key: JSON.stringify(canonical(template)), template, dial };
}

/**
 * Split single-part host groups into shapes (at least MIN_SHAPE_ROUTES routes with one key) and
 * the rest. `chainOf` compiles a route's chain, undefined when it reports a diagnostic (such a
 * route keeps its own object, where its diagnostic belongs).
 */
export function groupShapes(
  groups: Part[][],
  prefix: string,
  server: string,
  chainOf: (p: Part) => CaddyHandler[] | undefined,
): { shapes: Shape[]; rest: Part[][]; decisions: ShapeDecision[]; keys: Map<string, string> } {
  const decisions: ShapeDecision[] = [];
  const keys = new Map<string, string>();
  const byKey = new Map<string, Candidate[]>();
  for (const g of groups) {
    if (g.length !== 1) {
      for (const p of g) decisions.push({ route: p.route.name, server, why: "a host shared with another route (tried in path order with it)" });
      continue;
    }
    const part = g[0]!;
    const chain = chainOf(part);
    if (!chain) {
      decisions.push({ route: part.route.name, server, why: "a diagnostic of its own" });
      continue;
    }
    const s = shapeOf(part, chain);
    if ("why" in s) {
      decisions.push({ route: part.route.name, server, why: s.why });
      continue;
    }
    (byKey.get(s.key) ?? byKey.set(s.key, []).get(s.key)!).push({ part, group: g, ...s });
    keys.set(part.route.name, s.key);
  }
  const shapes: Shape[] = [];
  const mapped = new Set<Part[]>();
  for (const [key, members] of byKey) {
    if (members.length < MIN_SHAPE_ROUTES) {
      for (const m of members) decisions.push({ route: m.part.route.name, server, why: `its shape has ${members.length} route${members.length === 1 ? "" : "s"} (a map starts at ${MIN_SHAPE_ROUTES})` });
      continue;
    }
    // The id is the shape's content: the same routes in another order keep their shape's id.
    const id = `${prefix}shape-${createHash("sha256").update(key).digest("hex").slice(0, 12)}`;
    shapes.push({ id, parts: members.map((m) => m.part), template: members[0]!.template, dials: members.map((m) => m.dial) });
    for (const m of members) (mapped.add(m.group), decisions.push({ route: m.part.route.name, server, shape: id }));
  }
  shapes.sort((a, b) => (a.id < b.id ? -1 : 1));
  const rest = mapped.size ? groups.filter((g) => !mapped.has(g)) : groups;
  decisions.sort((a, b) => (a.route < b.route ? -1 : a.route > b.route ? 1 : 0));
  return { shapes, rest, decisions, keys };
}

/**
 * Map entry ids: a route's first host carries the route's own id (hecate-route-<name>), so a
 * change of that route is a change of that object; further hosts carry <id>_<i>.
 */
export function entryId(partId: string, i: number): string {
  return i === 0 ? partId : `${partId}_${i}`;
}

/** One shape as a Caddy route: host matcher, host→upstream map, the shared chain. */
export function shapeRoute(s: Shape): CaddyRoute {
  const entries: { host: string; id: string; dial: string }[] = [];
  s.parts.forEach((p, k) => p.hosts.forEach((host, i) => entries.push({ host, id: entryId(p.id, i), dial: s.dials[k]! })));
  entries.sort((a, b) => (a.host < b.host ? -1 : 1));
  const map: CaddyHandler = {
    handler: "map",
    source: "{http.request.host}",
    destinations: [UPSTREAM_PLACEHOLDER],
    // Outputs are placeholder-expanded by Caddy: written as literals, so an address is only an address.
    mappings: entries.map((e) => ({ "@id": e.id, input: e.host, outputs: [literal(e.dial)] })),
  };
  return { "@id": s.id, match: [{ host: entries.map((e) => e.host) }], handle: [map, ...structuredClone(s.template)], terminal: true };
}

/** Whether a route object is a shape route (host matcher + host map first). */
export function isShapeRoute(r: unknown): r is CaddyRoute & { handle: [{ handler: "map"; mappings: { "@id"?: string; input: string; outputs: unknown[] }[] }, ...CaddyHandler[]] } {
  const h = (r as CaddyRoute | undefined)?.handle?.[0];
  return !!h && h.handler === "map" && h.source === "{http.request.host}" && Array.isArray(h.destinations) && (h.destinations as unknown[])[0] === UPSTREAM_PLACEHOLDER && Array.isArray(h.mappings);
}
