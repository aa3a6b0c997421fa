// The contract every provider (caddy, nginx, authentik, dns) implements for the engine.
// A provider reads only what Hecate owns, normalizes it into the same shape compile produces,
// diffs, applies its whole owned part as one step, and can undo that step from journaled data.
import type { Diagnostic } from "../diag.js";
import type { ResolvedState } from "../model/resolved.js";

export type SystemName = "dns" | "authentik" | "caddy" | "nginx";

/** Create order across systems; deletes run in the reverse order. */
export const SYSTEM_ORDER: readonly SystemName[] = ["dns", "authentik", "caddy", "nginx"];

export type Action = "create" | "update" | "delete";

/** One field that differs, path in dotted form ("handle.0.upstreams.1.dial"). */
export interface FieldChange {
  path: string;
  before?: unknown;
  after?: unknown;
}

/** One object-level change, plain data (printable, serializable). */
export interface Change {
  system: SystemName;
  action: Action;
  /** What kind of object in that system, e.g. "route", "stream", "rrset", "provider". */
  kind: string;
  /** Stable id of the object (Caddy @id, stream name, "name/type", ...). */
  id: string;
  /** Which Hecate resource it comes from, e.g. "Route/app". */
  resource?: string;
  before?: unknown;
  after?: unknown;
  fields?: FieldChange[];
}

/** Resolves secret references (secret:NAME, env:VAR, file:/path) at apply time only. */
export interface SecretResolver {
  resolve(ref: string): Promise<string>;
}

export interface ProviderContext {
  secrets: SecretResolver;
  /** Abort long operations (timeouts, shutdown). */
  signal?: AbortSignal;
  log?: (msg: string) => void;
}

/** What apply returns: JSON the engine journals so undo works even from another process. */
export interface StepRecord {
  /** Enough of the before-state to restore it (e.g. the previous owned Caddy config). */
  undo: unknown;
  /** Free-form details of what happened (node names, reload ids). */
  detail?: Record<string, unknown>;
  /** The undo data may hold secret values: the engine keeps it encrypted, never in the journal. */
  sensitive?: boolean;
}

export interface Provider<Desired = unknown, Actual = unknown> {
  readonly system: SystemName;
  /** Pure: the part of the desired state this system gets. */
  compile(state: ResolvedState): { desired: Desired; diagnostics: Diagnostic[] };
  /** Read the live, owned state, normalized to the Desired shape. Never changes anything. */
  read(ctx: ProviderContext): Promise<Actual>;
  /** Object-level changes from actual to desired, in this system's apply order. Pure. */
  diff(desired: Desired, actual: Actual): Change[];
  /**
   * Make the system match desired. `actual` is the state the plan was computed from: a provider
   * that can detect concurrent edits (Caddy If-Match) must refuse when reality moved since.
   */
  apply(desired: Desired, actual: Actual, changes: Change[], ctx: ProviderContext): Promise<StepRecord>;
  /** Restore the state recorded by apply. Must be safe to call twice. */
  undo(record: StepRecord, ctx: ProviderContext): Promise<void>;
  /** Read back after apply and report anything that does not match. */
  verify(desired: Desired, ctx: ProviderContext): Promise<Diagnostic[]>;
}
