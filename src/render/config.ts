// The native config of one system for a resolved state, as people review it (`hecate render`):
// Caddy's JSON document, nginx's stream file; and the structure behind it for `-o json`.
import { HecateError, hasErrors } from "../diag.js";
import type { ResolvedState } from "../model/resolved.js";
import { providersFor } from "../providers/index.js";
import { descriptorOf } from "../providers/registry.js";
import type { SystemName } from "../providers/provider.js";
import type { ProviderFactory } from "../engine/core.js";

export interface RenderedConfig {
  system: SystemName;
  /** What the system is given: JSON for Caddy, the stream file for nginx. */
  text: string;
  /** The compiled desired state itself (for nginx: the file and the parsed streams). */
  structure: unknown;
}

/** Refuses a system whose compiler is not built yet: callers check before loading anything. */
export function assertRenderable(system: SystemName): void {
  const d = descriptorOf(system);
  if (!d) throw new HecateError("unknown-system", `no system "${system}"`, { status: 404 });
  if (!d.create || !d.render) {
    throw new HecateError("not-built", `the ${system} compiler and provider are not built yet, so there is nothing to render for ${system}`, { status: 501 });
  }
}

export function renderConfig(state: ResolvedState, system: SystemName, factory: ProviderFactory = providersFor): RenderedConfig {
  assertRenderable(system);
  const built = factory(state, { systems: [system], all: true });
  // Rendering is compile alone: a system whose settings lack a token still renders.
  const p = (Array.isArray(built) ? built : built.providers).find((x) => x.system === system) ?? descriptorOf(system)!.create?.(state.settings, state);
  if (!p) throw new HecateError("not-built", `no ${system} provider is available`, { status: 501 });
  const { desired, diagnostics } = p.compile(state);
  if (hasErrors(diagnostics)) throw new HecateError("invalid", `${system} config does not compile`, { diagnostics });
  const text = descriptorOf(system)!.render!(desired);
  return { system, text: text.endsWith("\n") ? text : text + "\n", structure: desired };
}

