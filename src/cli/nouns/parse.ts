// Turning flag strings into spec values, with usage errors that name the flag.
import { UsageError } from "../../diag.js";
export { int } from "../commands/shared-flags.js";

export type Opts = Record<string, unknown>;

/** Repeatable flags also accept comma-separated values: --host a.com,b.com. */
export function list(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  const arr = Array.isArray(v) ? (v as string[]) : [String(v)];
  return arr.flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean);
}

/** A word that reads as a host name ("api.example.com", "*.example.com"), not a bare resource name. */
export function looksLikeHost(word: string): boolean {
  return /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/.test(word);
}

export function kv(v: unknown, flag: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const item of Array.isArray(v) ? (v as string[]) : [String(v)]) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new UsageError(`${flag} expects KEY=VALUE, got "${item}"`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}


export interface Target {
  address: string;
  weight?: number;
}

/**
 * --upstream values: "10.0.0.5:8080", "10.0.0.5:8080,3" (weight 3), or several addresses
 * "a:80,b:80". A number after an address is that address's weight.
 */
export function targets(v: unknown, flag: string): Target[] | undefined {
  if (v === undefined) return undefined;
  const out: Target[] = [];
  for (const item of Array.isArray(v) ? (v as string[]) : [String(v)]) {
    for (const part of item.split(",").map((s) => s.trim()).filter(Boolean)) {
      if (/^\d+$/.test(part)) {
        const last = out[out.length - 1];
        if (!last) throw new UsageError(`${flag}: weight ${part} must follow an address (ADDRESS,WEIGHT)`);
        last.weight = Number(part);
      } else out.push({ address: part });
    }
  }
  return out;
}

/** An address has a port; a bare word is the name of an Upstream resource. */
export function isAddress(s: string): boolean {
  return /:\d+$/.test(s);
}

/** Drop undefined fields (and empty objects they leave behind) so stored specs stay minimal. */
export function prune<T>(v: T): T {
  if (Array.isArray(v)) return v.map(prune) as T;
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (x === undefined) continue;
      const p = prune(x);
      if (p && typeof p === "object" && !Array.isArray(p) && Object.keys(p).length === 0) continue;
      out[k] = p;
    }
    return out as T;
  }
  return v;
}

/** Set semantics for update: replace, then add, then remove. */
export function edit(current: string[] | undefined, replace?: string[], add?: string[], remove?: string[]): string[] | undefined {
  let next = replace ?? current;
  if (add?.length) next = [...(next ?? []), ...add.filter((x) => !(next ?? []).includes(x))];
  if (remove?.length) next = (next ?? []).filter((x) => !remove.includes(x));
  return next && next.length ? next : undefined;
}

export function editTargets(current: Target[] | undefined, replace?: Target[], add?: Target[], remove?: string[]): Target[] | undefined {
  let next = replace ?? current;
  if (add?.length) next = [...(next ?? []).filter((t) => !add.some((a) => a.address === t.address)), ...add];
  if (remove?.length) next = (next ?? []).filter((t) => !remove.includes(t.address));
  return next && next.length ? next : undefined;
}
