// Fingerprints of system state: sha256 of canonical JSON (the model's), so they depend on
// content only, never on key order or formatting.
import { createHash } from "node:crypto";
import { canonicalJson } from "../model/serialize.js";

export { canonicalJson };

export function sha256(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * The model's sortKeys, copy on write: a plain object whose keys are in sorted order already is
 * used as it is (read states come normalized, keys sorted), so the canonical text of 10,000
 * routes needs no sorted copy of them. Anything else is rebuilt exactly as sortKeys would.
 */
function sortedShared(v: unknown): unknown {
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

/** canonicalJson, without copying what is in canonical key order already. */
function fastCanonicalJson(v: unknown): string {
  return JSON.stringify(sortedShared(v));
}

export function fingerprint(value: unknown): string {
  return sha256(fastCanonicalJson(value ?? null));
}
