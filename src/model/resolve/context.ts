// What the resolve steps share: the checked entries indexed by kind and name, the reporter, and the
// resolved Settings that other kinds take their defaults from.
import type { ResolvedSettings } from "../resolved.js";
import type { Kind, Resource } from "../schema.js";
import { where, type Entry, type Reporter } from "../ctx.js";
import { cmp } from "./order.js";

/** Entries by kind and name; duplicates are reported once here and left out, so later steps see one of each. */
export class Catalog {
  private readonly byKind = new Map<Kind, Map<string, Entry>>();

  constructor(rep: Reporter, entries: readonly Entry[]) {
    let firstSettings: Entry | undefined;
    for (const e of entries) {
      const kind = e.resource.kind;
      const name = e.resource.metadata.name;
      if (kind === "Settings") {
        if (firstSettings) {
          rep.error("duplicate-settings", `more than one Settings document (the first is Settings/${firstSettings.resource.metadata.name} at ${where(firstSettings, [])}); keep exactly one`, e, ["kind"]);
          continue;
        }
        firstSettings = e;
      }
      let m = this.byKind.get(kind);
      if (!m) this.byKind.set(kind, (m = new Map()));
      const prev = m.get(name);
      if (prev) {
        rep.error("duplicate-name", `duplicate ${kind} "${name}": also defined at ${where(prev, ["metadata", "name"])}; names are unique per kind`, e, ["metadata", "name"]);
        continue;
      }
      m.set(name, e);
    }
  }

  /** Every entry of a kind, by name (resolution order must not depend on file order). */
  list<R extends Resource>(kind: Kind): Entry<R>[] {
    return [...(this.byKind.get(kind)?.values() ?? [])].sort((a, b) => cmp(a.resource.metadata.name, b.resource.metadata.name)) as Entry<R>[];
  }

  get<R extends Resource>(kind: Kind, name: string): Entry<R> | undefined {
    return this.byKind.get(kind)?.get(name) as Entry<R> | undefined;
  }

  /** Names of a kind in the order they were written, for "did you mean" hints. */
  names(kind: Kind): string[] {
    return [...(this.byKind.get(kind)?.keys() ?? [])];
  }
}

export interface ResolveCtx {
  readonly rep: Reporter;
  readonly catalog: Catalog;
  /** Resolved first, because middleware, certificates, routes, streams and DNS default from it. */
  readonly settings: ResolvedSettings;
}

/**
 * Run one resource's check or resolution; `remember` gets the result when it reported nothing and
 * the resource is deep-frozen (a document read before, a stored body: it cannot change under
 * the memo), so work skipped later never hides a diagnostic.
 */
export function keepClean<T>(rep: Reporter, resource: Resource, remember: ((r: Resource, value: T) => void) | undefined, fn: () => T): T {
  const n = rep.diagnostics.length;
  const value = fn();
  if (remember && rep.diagnostics.length === n && Object.isFrozen(resource)) remember(resource, value);
  return value;
}
