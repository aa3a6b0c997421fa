// What the resolve steps share: the checked entries indexed by kind and name, the reporter, and the
// resolved Settings that other kinds take their defaults from.
import type { ResolvedSettings } from "../resolved.js";
import type { Kind, Resource } from "../schema.js";
import { where, type Entry, type Reporter } from "../ctx.js";
import { cmp } from "./order.js";

/**
 * Where the entries of the last catalog without duplicates were, by kind and name (indexes into
 * its entries), and each kind's indexes in name order once asked for: a next list with the same
 * kinds and names at the same places (a one-route change) has the very same index.
 */
export interface CatalogMemo {
  last?: { resources: readonly Resource[]; byKind: Map<Kind, Map<string, number>>; sorted: Map<Kind, number[]> };
}

/** Entries by kind and name; duplicates are reported once here and left out, so later steps see one of each. */
export class Catalog {
  private readonly byKind: Map<Kind, Map<string, number>>;
  private readonly sorted: Map<Kind, number[]>;

  constructor(
    rep: Reporter,
    private readonly entries: readonly Entry[],
    memo?: CatalogMemo,
  ) {
    const last = memo?.last;
    const resources = memo ? entries.map((e) => e.resource) : [];
    if (last && sameNames(last.resources, resources)) {
      this.byKind = last.byKind;
      this.sorted = last.sorted;
      memo!.last = { ...last, resources };
      return;
    }
    this.byKind = new Map();
    this.sorted = new Map();
    const before = rep.diagnostics.length;
    let firstSettings: Entry | undefined;
    entries.forEach((e, i) => {
      const kind = e.resource.kind;
      const name = e.resource.metadata.name;
      if (kind === "Settings") {
        if (firstSettings) {
          rep.error("duplicate-settings", `more than one Settings document (the first is Settings/${firstSettings.resource.metadata.name} at ${where(firstSettings, [])}); keep exactly one`, e, ["kind"]);
          return;
        }
        firstSettings = e;
      }
      let m = this.byKind.get(kind);
      if (!m) this.byKind.set(kind, (m = new Map()));
      const prev = m.get(name);
      if (prev !== undefined) {
        rep.error("duplicate-name", `duplicate ${kind} "${name}": also defined at ${where(entries[prev]!, ["metadata", "name"])}; names are unique per kind`, e, ["metadata", "name"]);
        return;
      }
      m.set(name, i);
    });
    // Only a catalog that reported nothing is the same for the same names: a duplicate is reported each time.
    if (memo) memo.last = rep.diagnostics.length === before ? { resources, byKind: this.byKind, sorted: this.sorted } : undefined;
  }

  /** Every entry of a kind, by name (resolution order must not depend on file order). */
  list<R extends Resource>(kind: Kind): Entry<R>[] {
    let order = this.sorted.get(kind);
    if (!order) {
      order = [...(this.byKind.get(kind)?.values() ?? [])].sort((a, b) => cmp(this.entries[a]!.resource.metadata.name, this.entries[b]!.resource.metadata.name));
      this.sorted.set(kind, order);
    }
    return order.map((i) => this.entries[i]!) as Entry<R>[];
  }

  get<R extends Resource>(kind: Kind, name: string): Entry<R> | undefined {
    const i = this.byKind.get(kind)?.get(name);
    return i === undefined ? undefined : (this.entries[i] as Entry<R>);
  }

  /** Names of a kind in the order they were written, for "did you mean" hints. */
  names(kind: Kind): string[] {
    return [...(this.byKind.get(kind)?.keys() ?? [])];
  }
}

/** The same kind and name at every place (the same object there is, without reading it). */
function sameNames(before: readonly Resource[], now: readonly Resource[]): boolean {
  if (before.length !== now.length) return false;
  for (let i = 0; i < now.length; i++) {
    const a = before[i]!;
    const b = now[i]!;
    if (a !== b && (a.kind !== b.kind || a.metadata.name !== b.metadata.name)) return false;
  }
  return true;
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
