// Which providers a desired state needs, built from its settings. A system with desired content
// but no provider yet is an error naming it, never silently skipped.
import type { Diagnostic } from "../diag.js";
import type { ResolvedState } from "../model/resolved.js";
import { createCaddyProvider } from "./caddy/provider.js";
import { createNginxProvider } from "./nginx/index.js";
import { SYSTEM_ORDER, type Provider, type SystemName } from "./provider.js";

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

/** Systems whose provider is not built yet. */
export const NOT_BUILT: readonly SystemName[] = ["dns", "authentik"];

/** How many objects a state asks of each system (0 = the system is not used). */
export function demand(state: ResolvedState): Record<SystemName, number> {
  const routeDns = state.routes.filter((r) => r.dns).reduce((n, r) => n + r.hosts.length, 0);
  return {
    dns: state.dnsRecords.length + routeDns,
    authentik: state.authPolicies.length,
    caddy: state.routes.length + state.certificates.length,
    nginx: state.streams.length,
  };
}

/** Systems in play for this state (and the previous one), in SYSTEM_ORDER, after selection. */
export function systemsInPlay(state: ResolvedState, opts: ProvidersForOptions = {}): SystemName[] {
  const now = demand(state);
  const before = opts.previous ? demand(opts.previous) : undefined;
  return SYSTEM_ORDER.filter(
    (s) => (opts.all || now[s] > 0 || (before?.[s] ?? 0) > 0) && (!opts.systems || opts.systems.includes(s)) && !opts.exclude?.includes(s),
  );
}

/**
 * The providers a state needs. Systems not built yet produce an error diagnostic telling the
 * operator how to leave them out; the caller must refuse to apply when there are errors.
 */
export function providersFor(state: ResolvedState, opts: ProvidersForOptions = {}): { providers: Provider[]; diagnostics: Diagnostic[] } {
  const providers: Provider[] = [];
  const diagnostics: Diagnostic[] = [];
  const want = demand(state);
  const prev = opts.previous ? demand(opts.previous) : undefined;
  const inPlay = systemsInPlay(state, opts);
  for (const system of inPlay) {
    if (system === "caddy") providers.push(createCaddyProvider(state.settings.caddy) as Provider);
    else if (system === "nginx") providers.push(createNginxProvider(state.settings.nginx) as Provider);
    else {
      const n = Math.max(want[system], prev?.[system] ?? 0);
      const others = SYSTEM_ORDER.filter((s) => s !== system && !NOT_BUILT.includes(s) && !opts.exclude?.includes(s));
      diagnostics.push({
        severity: "error",
        code: "not-built",
        message: `the ${system} provider is not built yet: ${n} object${n === 1 ? "" : "s"} cannot be applied; exclude it with --system ${others.join(",")}`,
      });
    }
  }
  return { providers, diagnostics };
}
