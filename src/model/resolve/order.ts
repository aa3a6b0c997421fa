// Small pure helpers the resolve steps share: stable ordering (compile output must be
// deterministic), header operations in canonical form, and "did you mean" hints.

export const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
export const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export function sortRecord<T>(r: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => cmp(a, b)));
}

export function headerOps(o: { set?: Record<string, string>; remove?: string[] } | undefined): { set: Record<string, string>; remove: string[] } {
  return { set: sortRecord(o?.set ?? {}), remove: [...new Set(o?.remove ?? [])].sort() };
}

export function hint(name: string, candidates: string[]): string {
  if (candidates.length === 0) return "";
  const close = candidates.filter((c) => c.includes(name) || name.includes(c)).slice(0, 3);
  return close.length > 0 ? ` (did you mean ${close.map((c) => `"${c}"`).join(", ")}?)` : "";
}
