// Canonical forms of resources: multi-document YAML in a stable key order, canonical JSON, and
// the content hash used for revisions (same content gives the same hash whatever the key order).
import { createHash } from "node:crypto";
import { stringify } from "yaml";
import type { z } from "zod";
import { DOC_BY_KIND, schemaAt } from "./check.js";
import { KINDS, type Kind, type Resource } from "./schema.js";

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

const kindRank = (k: string) => {
  const i = (KINDS as readonly string[]).indexOf(k);
  return i < 0 ? KINDS.length : i;
};

/** Resources in a stable order: by kind (as KINDS lists them), then name. */
export function sortResources<T extends { kind: string; metadata: { name: string } }>(resources: readonly T[]): T[] {
  return [...resources].sort((a, b) => kindRank(a.kind) - kindRank(b.kind) || (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
}

/** sha256 (hex) of the canonical JSON of the resources, independent of document and key order. */
export function hashResources(resources: readonly Resource[]): string {
  return createHash("sha256").update(canonicalJson(sortResources(resources))).digest("hex");
}

/** Orders object keys as the schema declares them (records alphabetically), recursively. */
function orderBySchema(value: unknown, root: z.ZodType, path: (string | number)[], raw: unknown): unknown {
  if (Array.isArray(value)) return value.map((x, i) => orderBySchema(x, root, [...path, i], raw));
  if (!value || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  const schema = schemaAt(root, path, raw);
  const shape = schema ? shapeKeys(schema, obj) : [];
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined);
  const rank = (k: string) => {
    const i = shape.indexOf(k);
    return i < 0 ? shape.length : i;
  };
  keys.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = orderBySchema(obj[k], root, [...path, k], raw);
  return out;
}

function shapeKeys(s: z.ZodType, value: Record<string, unknown>): string[] {
  type D = { type: string; shape?: Record<string, unknown>; innerType?: z.ZodType; options?: z.ZodType[]; discriminator?: string };
  const def = (x: z.ZodType) => (x as unknown as { _zod: { def: D } })._zod.def;
  let d = def(s);
  while (d.type === "optional" && d.innerType) d = def(d.innerType);
  if (d.type === "union" && d.options) {
    for (const o of d.options) {
      const od = def(o);
      if (od.type !== "object" || !od.shape) continue;
      if (!d.discriminator) return Object.keys(od.shape);
      const lit = def(od.shape[d.discriminator] as z.ZodType) as unknown as { values?: unknown[] };
      if (lit.values?.includes(value[d.discriminator])) return Object.keys(od.shape);
    }
    return [];
  }
  return d.type === "object" && d.shape ? Object.keys(d.shape) : [];
}

/** Canonical multi-document YAML: documents sorted by kind and name, keys in schema order. */
export function toYaml(resources: readonly Resource[]): string {
  return sortResources(resources)
    .map((r) => {
      const schema = DOC_BY_KIND[r.kind as Kind];
      const ordered = schema ? orderBySchema(r, schema, [], r) : sortedShared(r);
      return stringify(ordered, { lineWidth: 0, aliasDuplicateObjects: false });
    })
    .map((s) => `---\n${s}`)
    .join("");
}
