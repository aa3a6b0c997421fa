// Diff two owned Caddy configs at route granularity: one Change per @id, server settings apart. Pure.
import { diffKeyed, isObject, sameNormalized, type JsonObject } from "../differ.js";
import type { Change } from "../provider.js";
import { type OwnedConfig, isNormalized, normalizeOwned, ownedId, ownedKey } from "./owned.js";
import { isShapeRoute } from "../../compile/caddy/shapes.js";

/**
 * What a shape route's host list is diffed as while it is exactly its map's inputs: each host is
 * then part of its route's own map entry, so adding, removing or re-hosting one route shows as
 * that route's change, not as a rewrite of the shared list. A list that differs from the inputs
 * (a hand edit) is diffed as it is.
 */
export const HOSTS_OF_MAP = "(the inputs of its map)";

function withHostsOfMap(route: JsonObject): JsonObject {
  if (!isShapeRoute(route) || !Array.isArray(route.match) || route.match.length !== 1) return route;
  const m = route.match[0] as JsonObject;
  const hosts = m.host;
  const inputs = route.handle[0].mappings.map((x) => x.input).sort();
  if (!Array.isArray(hosts) || hosts.length !== inputs.length || hosts.some((h, i) => h !== inputs[i])) return route;
  return { ...route, match: [{ ...m, host: HOSTS_OF_MAP }] };
}

/** One diffable object of the owned config. */
export interface OwnedItem {
  kind: "server" | "route" | "http" | "tls-policy" | "tls-certificate" | "tls" | "logger";
  id: string;
  value: unknown;
  resource?: string;
}

/**
 * Hecate's @ids name the resource they come from: hecate-route-<name>[_wildcard][_<path>] →
 * Route/<name> (a path such as _0_1 is an object inside the route's own handlers).
 */
function resourceOf(id: string): string | undefined {
  const m = /^hecate-(route|stream|auth|authpolicy|policy|cert|certificate)-([a-z0-9](?:[-a-z0-9.]*[a-z0-9])?)(?:_[a-z0-9_]+)?$/.exec(id);
  if (!m) return undefined;
  const kind = { route: "Route", stream: "Stream", auth: "AuthPolicy", authpolicy: "AuthPolicy", policy: "AuthPolicy", cert: "Certificate", certificate: "Certificate" }[m[1]!];
  return `${kind}/${m[2]}`;
}

/**
 * A route split into items: nested routes that carry their own hecate- @id (subroutes of a
 * host bucket) become items of their own and are left in the parent as {"@id"} references, so a
 * change to one host shows as one route change, not as a change of its whole bucket.
 */
function routeItems(route: unknown, fallbackId: string, out: OwnedItem[]): void {
  const id = ownedId(route) ?? fallbackId;
  const value = isObject(route) ? liftNested(withHostsOfMap(route), route, out) : route;
  out.push({ kind: "route", id, value, resource: resourceOf(id) });
}

/**
 * `v` with every nested owned route below it replaced by its {"@id"} reference (and emitted as
 * an item). Copy on write: a part without nested routes is returned as it is, not copied.
 */
function liftNested(v: unknown, route: unknown, out: OwnedItem[]): unknown {
  if (Array.isArray(v)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      const nested = ownedId(x);
      let y: unknown;
      if (nested !== undefined && x !== route) {
        routeItems(x, nested, out);
        y = { "@id": nested };
      } else y = liftNested(x, route, out);
      if (y !== x && !copy) copy = v.slice(0, i);
      if (copy) copy.push(y);
    }
    return copy ?? v;
  }
  if (isObject(v)) {
    let copy: JsonObject | undefined;
    const keys = Object.keys(v);
    for (let i = 0; i < keys.length; i++) {
      const x = v[keys[i]!];
      const y = liftNested(x, route, out);
      if (y !== x && !copy) {
        copy = {};
        for (let j = 0; j < i; j++) copy[keys[j]!] = v[keys[j]!];
      }
      if (copy) copy[keys[i]!] = y;
    }
    return copy ?? v;
  }
  return v;
}

/** The items of one owned route object (normalized) and of the owned routes nested in it, as ownedItems gives them. */
export function objectItems(value: unknown, id: string): OwnedItem[] {
  const out: OwnedItem[] = [];
  routeItems(value, id, out);
  return out;
}

function tlsItems(v: unknown, path: string, out: OwnedItem[]): void {
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      const id = ownedKey(x);
      if (id === undefined) return tlsItems(x, `${path}.${i}`, out);
      const kind = /policies$/.test(path) ? "tls-policy" : /load_pem$|load_files$/.test(path) ? "tls-certificate" : "tls";
      out.push({ kind, id, value: x, resource: resourceOf(id) });
    });
  } else if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) tlsItems(x, path ? `${path}.${k}` : k, out);
  }
}

/** Every diffable object of an owned config, in config order. */
export function ownedItems(o: OwnedConfig): OwnedItem[] {
  const out: OwnedItem[] = [];
  const n = isNormalized(o) ? o : normalizeOwned(o);
  for (const [name, server] of Object.entries(n.apps.http.servers)) {
    const { routes, ...settings } = server;
    out.push({ kind: "server", id: name, value: settings });
    (routes ?? []).forEach((r, i) => routeItems(r, `${name}#${i}`, out));
  }
  const { servers: _s, ...httpSettings } = n.apps.http;
  if (Object.keys(httpSettings).length) out.push({ kind: "http", id: "http", value: httpSettings });
  if (n.apps.tls) tlsItems(n.apps.tls, "", out);
  for (const [name, logger] of Object.entries(n.logging?.logs ?? {})) out.push({ kind: "logger", id: name, value: logger });
  return out;
}

const KIND_ORDER: Record<OwnedItem["kind"], number> = { logger: 0, http: 1, server: 2, "tls-certificate": 3, "tls-policy": 4, tls: 5, route: 6 };

/**
 * Changes that turn `actual` into `desired`: creates and updates in desired order (settings,
 * servers, tls, routes), deletes after. Caddy applies them all in one reload anyway; the order is
 * for people reading the plan.
 */
export function diffOwned(
  desired: OwnedConfig,
  actual: OwnedConfig,
  same: (a: unknown, b: unknown) => boolean = sameNormalized,
  /** ownedItems(actual) and ownedItems(desired), when the caller already has them. */
  actualItems?: OwnedItem[],
  desiredItems?: OwnedItem[],
): Change[] {
  // sameNormalized first: the common case (an unchanged route) needs no field walk.
  const want = desiredItems ?? ownedItems(desired);
  const { creates, updates, deletes } = diffKeyed("caddy", want, actualItems ?? ownedItems(actual), same);
  const pos = new Map(want.map((i, n) => [`${i.kind}:${i.id}`, n]));
  const at = (c: Change) => pos.get(`${c.kind}:${c.id}`) ?? 0;
  const order = (c: Change) => KIND_ORDER[c.kind as OwnedItem["kind"]] ?? 9;
  const upserts = [...creates, ...updates].sort((x, y) => order(x) - order(y) || at(x) - at(y));
  deletes.sort((x, y) => order(y) - order(x));
  return [...upserts, ...deletes];
}
