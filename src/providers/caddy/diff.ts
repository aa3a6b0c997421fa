// Diff two owned Caddy configs at route granularity: one Change per @id, server settings apart. Pure.
import type { Change, FieldChange } from "../provider.js";
import { type OwnedConfig, type JsonObject, isNormalized, isObject, isSecretMarker, normalize, normalizeOwned, ownedId, ownedKey } from "./owned.js";

/** One diffable object of the owned config. */
export interface OwnedItem {
  kind: "server" | "route" | "http" | "tls-policy" | "tls-certificate" | "tls";
  id: string;
  value: unknown;
  resource?: string;
}

/** An item with its kind:id key. */
interface KeyedItem extends OwnedItem {
  key: string;
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
  const value = isObject(route) ? liftNested(route, route, out) : route;
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

/**
 * Items of configs already seen, by object: a plan's desired config is diffed at plan time and
 * again in verify, an Actual in plan and in fleet checks. Configs are never modified once built.
 */
const itemCache = new WeakMap<object, { list: KeyedItem[]; byKey: Map<string, KeyedItem> }>();

/** ownedItems in config order and by kind:id, cached per config object. */
function keyedItems(o: OwnedConfig): { list: KeyedItem[]; byKey: Map<string, KeyedItem> } {
  const hit = itemCache.get(o);
  if (hit) return hit;
  const list = ownedItems(o) as KeyedItem[];
  for (const i of list) i.key = `${i.kind}:${i.id}`;
  const entry = { list, byKey: new Map(list.map((i) => [i.key, i])) };
  itemCache.set(o, entry);
  return entry;
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
  return out;
}

/** Equal after normalizing; a secret marker equals any secret (or marker) on the other side. */
export function sameValue(a: unknown, b: unknown): boolean {
  return fieldChanges(a, b).length === 0;
}

/** Leaf-level differences in dotted paths ("handle.0.upstreams.1.dial"). */
export function fieldChanges(before: unknown, after: unknown, path = "", out: FieldChange[] = []): FieldChange[] {
  const b = normalize(before);
  const a = normalize(after);
  if (isSecretMarker(a) || isSecretMarker(b)) {
    // Values behind a marker are only known at apply time (and must not be shown): a secret on
    // both sides is equal here; apply still compares the resolved bytes.
    const other = isSecretMarker(a) ? b : a;
    const secretish = (x: unknown) => isSecretMarker(x) || typeof x === "string" || (Array.isArray(x) && x.every((y) => typeof y === "string"));
    if (secretish(other)) return out;
    out.push({ path, before: b, after: a });
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) fieldChanges(b[i], a[i], path ? `${path}.${i}` : String(i), out);
    return out;
  }
  if (isObject(a) && isObject(b)) {
    for (const k of [...new Set([...Object.keys(b), ...Object.keys(a)])].sort()) fieldChanges(b[k], a[k], path ? `${path}.${k}` : k, out);
    return out;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) {
    const fc: FieldChange = { path };
    if (b !== undefined) fc.before = b;
    if (a !== undefined) fc.after = a;
    out.push(fc);
  }
  return out;
}

/**
 * Deep equality of two normalized values (keys sorted, empties dropped), without allocating.
 * Equal here implies fieldChanges finds nothing; unequal goes through fieldChanges, which also
 * knows that a secret marker equals a secret.
 */
function sameNormalized(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameNormalized(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    if (ka[i] !== kb[i]) return false;
    if (!sameNormalized((a as JsonObject)[ka[i]!], (b as JsonObject)[kb[i]!])) return false;
  }
  return true;
}

const KIND_ORDER: Record<OwnedItem["kind"], number> = { http: 0, server: 1, "tls-certificate": 2, "tls-policy": 3, tls: 4, route: 5 };

/**
 * Changes that turn `actual` into `desired`: creates and updates in desired order (settings,
 * servers, tls, routes), deletes after. Caddy applies them all in one reload anyway; the order is
 * for people reading the plan.
 */
export function diffOwned(desired: OwnedConfig, actual: OwnedConfig): Change[] {
  const want = keyedItems(desired).list;
  const have = keyedItems(actual).byKey;
  const seen = new Set<string>();
  const upserts: Change[] = [];
  for (const item of want) {
    const key = item.key;
    seen.add(key);
    const old = have.get(key);
    if (old && sameNormalized(old.value, item.value)) continue; // the common case: no field walk
    const base = { system: "caddy" as const, kind: item.kind, id: item.id, ...(item.resource ? { resource: item.resource } : {}) };
    if (!old) {
      upserts.push({ ...base, action: "create", after: item.value });
      continue;
    }
    const fields = fieldChanges(old.value, item.value);
    if (fields.length) upserts.push({ ...base, action: "update", before: old.value, after: item.value, fields });
  }
  const deletes: Change[] = [];
  for (const [key, old] of have) {
    if (seen.has(key)) continue;
    deletes.push({ system: "caddy", action: "delete", kind: old.kind, id: old.id, before: old.value, ...(old.resource ? { resource: old.resource } : {}) });
  }
  const order = (c: Change) => KIND_ORDER[c.kind as OwnedItem["kind"]] ?? 9;
  upserts.sort((x, y) => order(x) - order(y)); // stable: keeps config order within a kind
  deletes.sort((x, y) => order(y) - order(x));
  return [...upserts, ...deletes];
}
