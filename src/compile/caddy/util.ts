// Small pure helpers for the Caddy compiler: placeholder-safe strings, versions, hashes, key order.

/**
 * Caddy expands {placeholders} in header values, response bodies, Locations, paths and dials.
 * A user's text must reach the wire as written, so braces are escaped (Caddy's replacer turns
 * "\{" back into "{" without expanding).
 */
export function literal(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/[{}]/g, (c) => "\\" + c);
}

export function hasPlaceholderChars(s: string): boolean {
  return /[{}]/.test(s);
}

/** Compare dotted versions ("2.6.2" < "2.7.0"); a leading "v" and suffixes are ignored. */
export function versionAtLeast(version: string, min: string): boolean {
  const parse = (v: string) => v.replace(/^v/, "").split(/[.-]/).slice(0, 3).map((p) => parseInt(p, 10) || 0);
  const a = parse(version), b = parse(min);
  for (let i = 0; i < 3; i++) {
    const x = a[i] ?? 0, y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/** FNV-1a 32-bit: a stable, cheap hash for bucketing hosts (same input, same bucket, forever). */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Go duration ("1h30m", "500ms") to whole seconds, rounded up (for Retry-After). */
export function durationSeconds(d: string): number {
  const units: Record<string, number> = { ns: 1e-9, us: 1e-6, "µs": 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(d))) total += parseFloat(m[1]!) * (units[m[2]!] ?? 0);
  return Math.ceil(total);
}

/** Path prefixes as Caddy path matchers: "/app" → "/app", "/app/*"; "/" → none (all paths). */
export function pathPatterns(prefixes: readonly string[]): string[] | undefined {
  if (prefixes.length === 0 || prefixes.includes("/")) return undefined;
  const out = new Set<string>();
  for (const p of prefixes) {
    if (p.endsWith("/")) out.add(p + "*");
    else {
      out.add(p);
      out.add(p + "/*");
    }
  }
  return [...out].sort();
}

export function isWildcardHost(h: string): boolean {
  return h.includes("*");
}

/** Does wildcard host pattern w ("*.example.com") match exact host h (one label per "*")? */
export function wildcardCovers(w: string, h: string): boolean {
  const wl = w.split("."), hl = h.split(".");
  if (wl.length !== hl.length) return false;
  return wl.every((l, i) => l === "*" || l === hl[i]);
}

const keyOrder = (a: string, b: string) => (a === b ? 0 : a === "@id" ? -1 : b === "@id" ? 1 : a < b ? -1 : a > b ? 1 : 0);

/** Recursively sort object keys so JSON.stringify is byte-stable ("@id" first for readability). */
export function canonical<T>(v: T): T {
  if (Array.isArray(v)) return v.map(canonical) as T;
  if (v && typeof v === "object") {
    const keys = Object.keys(v as object);
    // Most objects are built in order already: check before sorting (10,000 routes' worth).
    let ordered = true;
    for (let i = 1; i < keys.length && ordered; i++) ordered = keyOrder(keys[i - 1]!, keys[i]!) < 0;
    if (!ordered) keys.sort(keyOrder);
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = canonical(x);
    }
    return out as T;
  }
  return v;
}

export const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
