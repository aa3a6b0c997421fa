// Durations between Hecate ("1h30m", "500ms") and nginx time ("1h30m"), in one canonical spelling.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration such as "1h30m", "500ms", "1h 30m"; undefined when not one. */
export function parseDuration(text: string): number | undefined {
  const s = text.replace(/\s+/g, "");
  if (s === "") return undefined;
  // nginx also takes a bare number as seconds.
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  let total = 0;
  let rest = s;
  while (rest.length > 0) {
    const m = /^(\d+)(ms|s|m|h|d)/.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * (UNIT_MS[m[2]!] ?? 0);
    rest = rest.slice(m[0].length);
  }
  return total;
}

/**
 * The one way Hecate writes a time for nginx: largest units first (nginx rejects "30m1h"),
 * so "90s" and "1m30s" compile to the same bytes and never show as a change.
 */
export function formatDuration(ms: number): string {
  if (ms <= 0) return "0s";
  if (ms % 1000 !== 0) return `${ms}ms`;
  let rest = ms;
  let out = "";
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

/** Canonical form of a duration string, or undefined when it is not one. */
export function canonicalDuration(text: string): string | undefined {
  const ms = parseDuration(text);
  return ms === undefined ? undefined : formatDuration(ms);
}
