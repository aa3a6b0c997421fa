// Diff two owned Caddy configs at route granularity: one Change per @id, server settings apart. Pure.
import type { Change, FieldChange } from "../provider.js";
import { type OwnedConfig, type JsonObject, isObject, isSecretMarker, normalize, normalizeOwned, ownedId, ownedKey } from "./owned.js";

/** One diffable object of the owned config. */
export interface OwnedItem {
  kind: "server" | "route" | "http" | "tls-policy" | "tls-certificate" | "tls";
  id: string;
  value: unknown;
  resource?: string;
}

/** Hecate's @ids name the resource they come from: hecate-route-<name>[_wildcard] → Route/<name>. */
function resourceOf(id: string): string | undefined {
  const m = /^hecate-(route|stream|auth|authpolicy|policy|cert|certificate)-([a-z0-9](?:[-a-z0-9.]*[a-z0-9])?)(?:_[a-z]+)?$/.exec(id);
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
  const lift = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      return v.map((x) => {
        const nested = ownedId(x);
        if (nested !== undefined && x !== route) {
          routeItems(x, nested, out);
          return { "@id": nested };
        }
        return lift(x);
      });
    }
    if (isObject(v)) {
      const o: JsonObject = {};
      for (const [k, x] of Object.entries(v)) o[k] = lift(x);
      return o;
    }
    return v;
  };
  const value = isObject(route) ? Object.fromEntries(Object.entries(route).map(([k, x]) => [k, lift(x)])) : route;
  out.push({ kind: "route", id, value, resource: resourceOf(id) });
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
  const n = normalizeOwned(o);
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

const KIND_ORDER: Record<OwnedItem["kind"], number> = { http: 0, server: 1, "tls-certificate": 2, "tls-policy": 3, tls: 4, route: 5 };

/**
 * Changes that turn `actual` into `desired`: creates and updates in desired order (settings,
 * servers, tls, routes), deletes after. Caddy applies them all in one reload anyway; the order is
 * for people reading the plan.
 */
export function diffOwned(desired: OwnedConfig, actual: OwnedConfig): Change[] {
  const want = ownedItems(desired);
  const have = new Map<string, OwnedItem>(ownedItems(actual).map((i) => [`${i.kind}:${i.id}`, i]));
  const seen = new Set<string>();
  const upserts: Change[] = [];
  for (const item of want) {
    const key = `${item.kind}:${item.id}`;
    seen.add(key);
    const old = have.get(key);
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
