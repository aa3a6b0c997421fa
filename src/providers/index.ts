// Which providers a desired state needs, built from its settings through the registry. A system
// with desired content but no provider yet is an error naming it, never silently skipped.
import type { Diagnostic } from "../diag.js";
import type { ResolvedState } from "../model/resolved.js";
import type { Provider, SystemName } from "./provider.js";
import { REGISTRY } from "./registry.js";

export interface ProvidersForOptions {
  /** The last applied state: a system it used still needs its provider (to delete what is left). */
  previous?: ResolvedState;
  /** Only these systems. */
  systems?: SystemName[];
  /** Leave these systems out (the operator said so). */
  exclude?: SystemName[];
  /** Every selected system even without demand (render). */
  all?: boolean;
}

/** How many objects a state asks of each registered system (0 = the system is not used). */
export function demand(state: ResolvedState): Record<SystemName, number> {
  return Object.fromEntries(REGISTRY.map((d) => [d.system, d.demand(state)]));
}

/** Systems in play for this state (and the previous one), in registry order, after selection. */
export function systemsInPlay(state: ResolvedState, opts: ProvidersForOptions = {}): SystemName[] {
  const now = demand(state);
  const before = previousDemand(opts);
  return REGISTRY.map((d) => d.system).filter(
    (s) => (!opts.systems || opts.systems.includes(s)) && !opts.exclude?.includes(s) && (opts.all || (now[s] ?? 0) > 0 || (before()?.[s] ?? 0) > 0),
  );
}

/**
 * The previous state's demand, read from opts.previous only when first asked: the engine passes
 * it as a getter that resolves the last applied revision (10k routes: a quarter second), which
 * is needed only when a selected system has no demand now.
 */
function previousDemand(opts: ProvidersForOptions): () => Record<SystemName, number> | undefined {
  let memo: { d: Record<SystemName, number> | undefined } | undefined;
  return () => {
    if (!memo) {
      const previous = opts.previous; // one read of the getter
      memo = { d: previous ? demand(previous) : undefined };
    }
    return memo.d;
  };
}

/**
 * The providers a state needs. Systems not built yet produce an error diagnostic telling the
 * operator how to leave them out; the caller must refuse to apply when there are errors.
 */
export function providersFor(state: ResolvedState, opts: ProvidersForOptions = {}): { providers: Provider[]; diagnostics: Diagnostic[] } {
  const providers: Provider[] = [];
  const diagnostics: Diagnostic[] = [];
  const want = demand(state);
  const prev = previousDemand(opts);
  // What an operator can fall back to: systems built and configured.
  const usable = REGISTRY.filter((d) => d.create && !d.missing?.(state.settings)).map((d) => d.system);
  for (const system of systemsInPlay(state, opts)) {
    const d = REGISTRY.find((x) => x.system === system)!;
    const missing = d.missing?.(state.settings);
    if (d.create && !missing) {
      providers.push(d.create(state.settings, state));
      continue;
    }
    const n = Math.max(want[system] ?? 0, prev()?.[system] ?? 0);
    const others = usable.filter((s) => !opts.exclude?.includes(s));
    if (missing) {
      diagnostics.push({
        severity: "error",
        code: "not-configured",
        message: `${n} ${system} object${n === 1 ? "" : "s"} cannot be applied: ${missing}; or leave ${system} out with --system ${others.join(",")}`,
      });
      continue;
    }
    diagnostics.push({
      severity: "error",
      code: "not-built",
      message: `the ${system} provider is not built yet: ${n} object${n === 1 ? "" : "s"} cannot be applied; exclude it with --system ${others.join(",")}`,
    });
  }
  return { providers, diagnostics };
}

export { REGISTRY, SYSTEMS, descriptorOf } from "./registry.js";
export type { ProviderDescriptor } from "./descriptor.js";
