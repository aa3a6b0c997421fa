// The native config of one system for a resolved state, as people review it (`hecate render`):
// Caddy's JSON document, nginx's stream file; and the structure behind it for `-o json`.
import { HecateError, hasErrors, type Diagnostic } from "../diag.js";
import type { Resource } from "../model/schema.js";
import { resolveState } from "../model/resolve.js";
import type { ResolvedState } from "../model/resolved.js";
import { NOT_BUILT, providersFor } from "../providers/index.js";
import type { SystemName } from "../providers/provider.js";
import type { ProviderFactory } from "./engine.js";
import type { LoadedSource } from "./source.js";

export interface RenderedConfig {
  system: SystemName;
  /** What the system is given: JSON for Caddy, the stream file for nginx. */
  text: string;
  /** The compiled desired state itself (for nginx: the file and the parsed streams). */
  structure: unknown;
}

/** Refuses a system whose compiler is not built yet: callers check before loading anything. */
export function assertRenderable(system: SystemName): void {
  if (NOT_BUILT.includes(system)) {
    throw new HecateError("not-built", `the ${system} compiler and provider are not built yet, so there is nothing to render for ${system}`, { status: 501 });
  }
}

export function renderConfig(state: ResolvedState, system: SystemName, factory: ProviderFactory = providersFor): RenderedConfig {
  assertRenderable(system);
  const built = factory(state, { systems: [system], all: true });
  const p = (Array.isArray(built) ? built : built.providers).find((x) => x.system === system);
  if (!p) throw new HecateError("not-built", `no ${system} provider is available`, { status: 501 });
  const { desired, diagnostics } = p.compile(state);
  if (hasErrors(diagnostics)) throw new HecateError("invalid", `${system} config does not compile`, { diagnostics });
  return { system, text: nativeText(desired), structure: desired };
}

/**
 * Desired state resolved without storing it (files, a git checkout, a stored revision); every
 * error at once when it has any. `what` names it in the error ("the desired state", "revision #3").
 */
export function resolveChecked(input: LoadedSource | { docs: readonly Resource[] }, what = "the desired state"): ResolvedState {
  const known = "diagnostics" in input ? input.diagnostics : [];
  const relabel = "relabel" in input ? input.relabel : (d: Diagnostic[]) => d;
  const { state, diagnostics } = resolveState(input.docs);
  const errors = relabel([...known, ...diagnostics]).filter((d) => d.severity === "error");
  if (errors.length || !state) throw new HecateError("invalid", `${what} has errors (${errors.length})`, { diagnostics: errors });
  return state;
}

/** Text of a compiled config: a document that carries its own text (nginx's file) gives that, others JSON. */
function nativeText(desired: unknown): string {
  const own = typeof desired === "string" ? desired : desired && typeof desired === "object" ? ["file", "text", "config", "conf"].map((k) => (desired as Record<string, unknown>)[k]).find((v) => typeof v === "string") : undefined;
  if (typeof own === "string") return own.endsWith("\n") ? own : own + "\n";
  return JSON.stringify(desired, null, 2) + "\n";
}
