// Canonical JSON of resources and their content hash (same content, same hash, whatever the key
// order): its own module so the store and the CLI use it without loading YAML or the schemas.
import { createHash } from "node:crypto";
import { KINDS } from "./kinds.js";
import type { Resource } from "./schema.js";

/** JSON with object keys sorted at every level and undefined dropped; arrays keep their order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortedShared(value));
}

/**
 * Keys sorted at every level, undefined dropped, copy on write: a plain object whose keys are in
 * sorted order already is used as it is (read states come normalized, nearly all compile output
 * too), so the canonical text of 10,000 routes needs no sorted copy of them.
 */
export function sortedShared(v: unknown): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      const y = sortedShared(x);
      if (y !== x && !out) out = v.slice(0, i);
      if (out) out.push(y);
    }
    return out ?? v;
  }
  const keys = Object.keys(v);
  const proto = Object.getPrototypeOf(v) as unknown;
  // Date, Map, Buffer or a toJSON method: JSON.stringify would not see what sortKeys sees.
  let reuse = (proto === Object.prototype || proto === null) && !("toJSON" in v);
  for (let i = 1; i < keys.length && reuse; i++) reuse = keys[i - 1]! < keys[i]!;
  if (!reuse) keys.sort();
  let out: Record<string, unknown> | undefined = reuse ? undefined : {};
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const x = (v as Record<string, unknown>)[k];
    if (x === undefined) continue; // dropped either way
    const y = sortedShared(x);
    if (!out && y !== x) {
      out = {};
      for (let j = 0; j < i; j++) {
        const e = (v as Record<string, unknown>)[keys[j]!];
        if (e !== undefined) out[keys[j]!] = e;
      }
    }
    if (out) out[k] = y;
  }
  return out ?? v;
}

const RANKS = new Map<string, number>(KINDS.map((k, i) => [k, i]));
const kindRank = (k: string) => RANKS.get(k) ?? KINDS.length;
const byName = (a: { metadata: { name: string } }, b: { metadata: { name: string } }) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0);

/** Resources in a stable order: by kind (as KINDS lists them), then name. */
export function sortResources<T extends { kind: string; metadata: { name: string } }>(resources: readonly T[]): T[] {
  // What a stable sort by (kind, name) gives, in linear time for the usual input: grouped by kind
  // in order, then each group sorted by name unless it is already (10,000 routes of a file are).
  const groups: T[][] = [];
  for (const r of resources) (groups[kindRank(r.kind)] ??= []).push(r);
  const out: T[] = [];
  for (const g of groups) {
    if (!g) continue;
    let sorted = true;
    for (let i = 1; i < g.length && sorted; i++) sorted = byName(g[i - 1]!, g[i]!) <= 0;
    if (!sorted) g.sort(byName);
    for (const r of g) out.push(r);
  }
  return out;
}

/** sha256 (hex) of the canonical JSON of the resources, independent of document and key order. */
export function hashResources(resources: readonly Resource[]): string {
  return createHash("sha256").update(canonicalJson(sortResources(resources))).digest("hex");
}
