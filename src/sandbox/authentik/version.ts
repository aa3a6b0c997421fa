// The authentik version the sandbox imitates, and the API differences that follow from it.

export interface VersionFeatures {
  /** The configured version string, e.g. "2025.10.2". */
  readonly version: string;
  /** Providers carry `invalidation_flow`, required on create (since 2024.10). */
  readonly invalidationFlow: boolean;
  /** Groups have a `parents` list (since 2025.12); before, a single nullable `parent`. */
  readonly groupParents: boolean;
}

export const DEFAULT_VERSION = "2026.8.3";

/** [year, month, patch] of "2025.10" or "2025.10.1"; throws on anything else. */
export function parseVersion(version: string): [number, number, number] {
  const m = /^(\d{4})\.(\d{1,2})(?:\.(\d+))?(?:-rc\d+)?$/.exec(version);
  if (!m) throw new Error(`authentik sandbox: version "${version}" is not YEAR.MONTH[.PATCH]`);
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

function atLeast(v: [number, number, number], year: number, month: number): boolean {
  return v[0] > year || (v[0] === year && v[1] >= month);
}

export function features(version: string = DEFAULT_VERSION): VersionFeatures {
  const v = parseVersion(version);
  return { version, invalidationFlow: atLeast(v, 2024, 10), groupParents: atLeast(v, 2025, 12) };
}
