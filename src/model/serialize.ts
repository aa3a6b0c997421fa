// Canonical forms of resources: multi-document YAML in a stable key order, canonical JSON, and
// the content hash used for revisions (same content gives the same hash whatever the key order).
import { canonicalJson, hashResources, sortedShared, sortResources } from "./canonical-json.js";
import { stringify } from "yaml";
import type { z } from "zod";
import { DOC_BY_KIND, schemaAt } from "./check.js";
import type { Kind, Resource } from "./schema.js";

export { canonicalJson, hashResources, sortedShared, sortResources };

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
