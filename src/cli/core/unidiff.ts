// A small line-based unified diff (LCS), enough for per-resource YAML of a few hundred lines.
type Op = { t: " " | "-" | "+"; line: string; a: number; b: number };

function ops(a: string[], b: string[]): Op[] {
  const n = a.length, m = b.length;
  // lcs[i][j] = LCS length of a[i..] and b[j..]
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: Op[] = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) out.push({ t: " ", line: a[i]!, a: i++, b: j++ });
    // Removals before additions, as diff(1) and git print them.
    else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) out.push({ t: "-", line: a[i]!, a: i++, b: j });
    else out.push({ t: "+", line: b[j]!, a: i, b: j++ });
  }
  return out;
}

function splitLines(s: string): string[] {
  if (s === "") return [];
  const lines = s.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Unified diff of two texts with `context` lines around each change; "" when equal. */
export function unifiedDiff(before: string, after: string, labels: { from: string; to: string }, context = 3): string {
  const a = splitLines(before), b = splitLines(after);
  const all = ops(a, b);
  const changed = all.map((o, k) => (o.t !== " " ? k : -1)).filter((k) => k >= 0);
  if (!changed.length) return "";
  const hunks: [number, number][] = [];
  for (const k of changed) {
    const lo = Math.max(0, k - context), hi = Math.min(all.length - 1, k + context);
    const last = hunks[hunks.length - 1];
    if (last && lo <= last[1] + 1) last[1] = hi;
    else hunks.push([lo, hi]);
  }
  const out = [`--- ${labels.from}`, `+++ ${labels.to}`];
  for (const [lo, hi] of hunks) {
    const slice = all.slice(lo, hi + 1);
    const aLen = slice.filter((o) => o.t !== "+").length, bLen = slice.filter((o) => o.t !== "-").length;
    const aStart = aLen ? slice.find((o) => o.t !== "+")!.a + 1 : slice[0]!.a;
    const bStart = bLen ? slice.find((o) => o.t !== "-")!.b + 1 : slice[0]!.b;
    out.push(`@@ -${aStart},${aLen} +${bStart},${bLen} @@`);
    for (const o of slice) out.push(o.t + o.line);
  }
  return out.join("\n") + "\n";
}
