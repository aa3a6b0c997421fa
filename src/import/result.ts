// What every importer returns: the Hecate resources it built and, for each construct of the
// source, whether it was mapped, kept verbatim, or refused, where it stands and why. Nothing of
// the source may be left out of the findings: what is not in them was silently lost.
import { hostAsName, RESOURCE_NAME } from "../model/name.js";
import { API_VERSION, type Kind, type Resource } from "../model/schema.js";

export type Outcome = "mapped" | "verbatim" | "refused";

export interface Finding {
  outcome: Outcome;
  /** file:line of the construct in the source, or a JSON path / table row when there are no lines. */
  where: string;
  /** The construct, e.g. "site app.example.com" or "reverse_proxy". */
  subject: string;
  /** The Hecate resource(s) it went into ("Route/app"), when any. */
  into?: string;
  why: string;
}

export interface ImportResult {
  /** What was read, for messages and the README: "Caddyfile", "npm database.sqlite". */
  source: string;
  resources: Resource[];
  findings: Finding[];
}

/** Builds resources of the import with names unique per kind. */
export class ResourceSet {
  readonly resources: Resource[] = [];
  private readonly taken = new Map<string, Set<string>>();

  /** `base` made a valid resource name, suffixed -2, -3 … until unused for the kind. */
  name(kind: Kind, base: string): string {
    const taken = this.taken.get(kind) ?? new Set<string>();
    this.taken.set(kind, taken);
    let stem = hostAsName(base.replace(/_/g, "-")).replace(/[^a-z0-9.-]+/g, "-").replace(/^[-.]+|[-.]+$/g, "").slice(0, 56) || kind.toLowerCase();
    if (!RESOURCE_NAME.test(stem)) stem = kind.toLowerCase();
    for (let n = 1; ; n++) {
      const name = n === 1 ? stem : `${stem}-${n}`;
      if (!taken.has(name)) return (taken.add(name), name);
    }
  }

  add(kind: Kind, name: string, spec: Record<string, unknown>, labels?: Record<string, string>): Resource {
    const r = { apiVersion: API_VERSION, kind, metadata: { name, ...(labels ? { labels } : {}) }, spec } as Resource;
    this.resources.push(r);
    return r;
  }

  find(kind: Kind, name: string): Resource | undefined {
    return this.resources.find((r) => r.kind === kind && r.metadata.name === name);
  }
}

/** Go-style duration text from Caddy JSON, which writes durations as nanoseconds or as text. */
export function durationText(v: unknown): string | undefined {
  if (typeof v === "string") return /^(\d+(ms|s|m|h|d))+$/.test(v) ? v : undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) return undefined;
  const ms = v / 1e6;
  if (!Number.isInteger(ms)) return undefined;
  for (const [unit, size] of [["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
