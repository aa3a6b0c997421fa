// The one differ every provider uses: normalize both sides (keys sorted, empty as absent), then
// keyed items become create/update/delete changes with field-level before/after. A secret marker
// equals any secret on the other side: values behind it are only known at apply time. Pure.
import { canonicalJson } from "../model/canonical-json.js";
import { isSecretMarker, REDACTED_MARKER } from "../secret.js";
import type { Change, FieldChange, SystemName } from "./provider.js";

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The comparable form: keys sorted, and empty treated as absent (null, "", [], {} dropped
 * recursively) so `"headers": {}` sent by compile and an absent key read back do not differ.
 * Copy on write: a part already in that form (compile's output mostly is, and so is what Caddy
 * answers) is returned as it is, so normalizing 10,000 routes does not copy them all.
 */
export function normalize(v: unknown, hooks?: NormalizeHooks, path: string[] = []): unknown {
  if (v === null || v === undefined) return undefined;
  if (typeof v === "string") return hooks ? hooks.leaf(v, path) : v === "" ? undefined : v;
  if (typeof v !== "object") return v;
  if (hooks?.opaque?.(v)) return normalize(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return undefined;
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      const y = (hooks ? below(x, String(i), hooks, path) : normalize(x)) ?? null;
      if (y !== x && !out) out = v.slice(0, i);
      if (out) out.push(y);
    }
    return out ?? v;
  }
  // Without hooks no path is kept and nothing is allocated per value: this is the diff's hot path.
  return normalizeObject(v as JsonObject, hooks ? (x, k) => below(x, k, hooks, path) : plain);
}

const plain = (x: unknown) => normalize(x);

/** normalize of the value at `key` below `path`, the path kept for the hooks. */
function below(x: unknown, key: string, hooks: NormalizeHooks, path: string[]): unknown {
  path.push(key);
  const y = normalize(x, hooks, path);
  path.pop();
  return y;
}

/** What a caller of normalize may change on the way (the Caddy read-back redacts secrets). */
export interface NormalizeHooks {
  /** A string at `path` (keys and indexes from the root): what it becomes; "" is absent unless it says otherwise. */
  leaf(s: string, path: readonly string[]): unknown;
  /** An object normalized as it is, its strings not shown to `leaf` (a secret marker). */
  opaque?(v: object): boolean;
}

/** Whether keys are in strictly ascending order (what Object.keys(...).sort() gives). */
function sortedKeys(keys: string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (!(keys[i - 1]! < keys[i]!)) return false;
  return true;
}

/**
 * An object's entries through `each`, keys sorted, undefined results dropped; undefined when
 * nothing is left. The object itself when that changes nothing.
 */
export function normalizeObject(v: JsonObject, each: (x: unknown, k: string) => unknown): JsonObject | undefined {
  const keys = Object.keys(v);
  const sorted = sortedKeys(keys);
  if (!sorted) keys.sort();
  let out: JsonObject | undefined = sorted ? undefined : {};
  let n = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const x = v[k];
    const y = each(x, k);
    if (!out && (y !== x || y === undefined)) {
      out = {};
      for (let j = 0; j < i; j++) out[keys[j]!] = v[keys[j]!];
    }
    if (y !== undefined) {
      n++;
      if (out) out[k] = y;
    }
  }
  return n ? (out ?? v) : undefined;
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
    // both sides is equal here, unless both name their reference and the references differ;
    // apply still compares the resolved bytes.
    const named = (x: unknown) => isSecretMarker(x) && x.$secret !== REDACTED_MARKER.$secret;
    if (named(a) && named(b)) {
      if (canonicalJson(a) !== canonicalJson(b)) out.push({ path, before: b, after: a });
      return out;
    }
    const other = isSecretMarker(a) ? b : a;
    const secretish = (x: unknown) => isSecretMarker(x) || typeof x === "string" || (Array.isArray(x) && x.every((y) => typeof y === "string"));
    if (secretish(other)) return out;
    out.push({ path, before: b, after: a });
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const ids = byIds(b) && byIds(a);
    if (ids) return idChanges(b as JsonObject[], a as JsonObject[], path, out);
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

/** Whether every element is an object with its own unique "@id" (Caddy routes, handlers). */
function byIds(xs: unknown[]): boolean {
  const seen = new Set<string>();
  for (const x of xs) {
    const id = isObject(x) ? x["@id"] : undefined;
    if (typeof id !== "string" || seen.has(id)) return false;
    seen.add(id);
  }
  return true;
}

/**
 * Lists of objects with @ids compared by @id, not by position: one route removed from a host's
 * list is that route gone (`routes[hecate-route-app]`), not every later route shifted by one.
 * A different order of the same objects is one change of its own.
 */
function idChanges(before: JsonObject[], after: JsonObject[], path: string, out: FieldChange[]): FieldChange[] {
  const at = (id: unknown) => `${path}[${String(id)}]`;
  const was = new Map(before.map((x) => [x["@id"], x]));
  const now = new Map(after.map((x) => [x["@id"], x]));
  for (const [id, x] of was) if (!now.has(id)) out.push({ path: at(id), before: x });
  for (const [id, x] of now) {
    const y = was.get(id);
    if (y === undefined) out.push({ path: at(id), after: x });
    else fieldChanges(y, x, at(id), out);
  }
  const order = (xs: JsonObject[], other: Map<unknown, JsonObject>) => xs.map((x) => x["@id"]).filter((id) => other.has(id));
  const b = order(before, now);
  const a = order(after, was);
  if (b.join("\n") !== a.join("\n")) out.push({ path: `${path} (order)`, before: b, after: a });
  return out;
}

/**
 * Deep equality of two normalized values (keys sorted, empties dropped), without allocating.
 * Equal here implies fieldChanges finds nothing; unequal goes through fieldChanges, which also
 * knows that a secret marker equals a secret.
 */
export function sameNormalized(a: unknown, b: unknown): boolean {
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

/** One object of a system as the differ sees it: its kind, id and comparable value. */
export interface KeyedItem {
  kind: string;
  id: string;
  value: unknown;
  resource?: string;
}

export interface KeyedDiff {
  creates: Change[];
  updates: Change[];
  deletes: Change[];
}

/**
 * Changes that turn `have` into `want`, by kind and id: creates and updates in `want` order,
 * deletes in `have` order. `same` may short-cut the field walk for values known equal.
 */
export function diffKeyed(system: SystemName, want: Iterable<KeyedItem>, have: Iterable<KeyedItem>, same: (a: unknown, b: unknown) => boolean = () => false): KeyedDiff {
  const key = (i: KeyedItem) => `${i.kind}:${i.id}`;
  const old = new Map<string, KeyedItem>();
  for (const i of have) old.set(key(i), i);
  const out: KeyedDiff = { creates: [], updates: [], deletes: [] };
  const seen = new Set<string>();
  for (const item of want) {
    const k = key(item);
    seen.add(k);
    const before = old.get(k);
    if (before && same(before.value, item.value)) continue;
    const base = { system, kind: item.kind, id: item.id, ...(item.resource ? { resource: item.resource } : {}) };
    if (!before) {
      out.creates.push({ ...base, action: "create", after: item.value });
      continue;
    }
    const fields = fieldChanges(before.value, item.value);
    if (fields.length) out.updates.push({ ...base, action: "update", before: before.value, after: item.value, fields });
  }
  for (const [k, item] of old) {
    if (seen.has(k)) continue;
    out.deletes.push({ system, action: "delete", kind: item.kind, id: item.id, before: item.value, ...(item.resource ? { resource: item.resource } : {}) });
  }
  return out;
}
