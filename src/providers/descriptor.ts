// What a provider folder exports to plug its system in: one descriptor, registered by one line
// in registry.ts. Nothing else in Hecate lists the systems.
import type { Diagnostic } from "../diag.js";
import type { ResolvedSettings, ResolvedState } from "../model/resolved.js";
import type { Change, Provider, SystemName } from "./provider.js";

export interface ProviderDescriptor {
  readonly system: SystemName;
  /** How many objects a resolved state asks of this system (0: the system is not used). */
  demand(state: ResolvedState): number;
  /** The provider, built from settings (and the state it is planned for). Absent while the provider is not built yet. */
  create?(settings: ResolvedSettings, state?: ResolvedState): Provider;
  /** What the settings lack for this system to be driven at all (its endpoint, its token), or undefined. */
  missing?(settings: ResolvedSettings): string | undefined;
  /** The compiled desired config as the system's own text (`hecate render`). */
  render?(desired: unknown): string;
  /** Extra checks after a verified apply, e.g. requests through the proxy for changed routes. */
  probe?(state: ResolvedState, changes: readonly Change[], timeoutMs: number): Promise<Diagnostic[]>;
  readonly capabilities: {
    /**
     * The system takes one document (Caddy /load, nginx file swap): its changes are applied as
     * one batch and reported as one change, not split into upserts and prunes.
     */
    wholeDocument: boolean;
  };
}
