// The contract every provider (caddy, nginx, authentik, dns, certs) implements for the engine.
// The change is the unit: a provider applies a batch of changes and reports each one as it
// completes (server-assigned ids, undo data), so the engine journals it before the next one
// starts, and undo runs per change, in reverse, from the journal alone.
import type { Diagnostic } from "../diag.js";
import type { ResolvedState } from "../model/resolved.js";
import type { Fence, Store } from "../store/store.js";

/** A system's name as its descriptor registers it ("caddy", "nginx", "authentik", "dns"). */
export type SystemName = string;

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
  /** A few words a plan reader needs beyond the fields, e.g. "obtain by dns-01: *.example.com". */
  note?: string;
  before?: unknown;
  after?: unknown;
  fields?: FieldChange[];
  /** The nodes of a fleet (Caddy admin endpoints) this change is for; absent: every node. */
  nodes?: string[];
}

/** One node of a system that runs on several machines (a Caddy fleet), as drift shows it. */
export interface NodeReport {
  /** The node as Settings name it (its admin endpoint). */
  node: string;
  /** in-sync: holds the revision; behind: differs from it (changes says how); down: did not answer. */
  state: "in-sync" | "behind" | "down";
  /** Changes that would bring this node to the revision. */
  changes?: number;
  error?: string;
}

/** A change by name only: what the journal keeps (the plan holds the values). */
export type ChangeRef = Pick<Change, "system" | "action" | "kind" | "id"> & { resource?: string };

export function changeRef(c: Change): ChangeRef {
  return { system: c.system, action: c.action, kind: c.kind, id: c.id, ...(c.resource ? { resource: c.resource } : {}) };
}

/** Resolves secret references (secret:NAME, env:VAR, file:/path) at apply time only. */
export interface SecretResolver {
  resolve(ref: string): Promise<string>;
}

export interface ProviderContext {
  secrets: SecretResolver;
  /** Abort long operations (timeouts, a lost lock, shutdown). */
  signal?: AbortSignal;
  log?: (msg: string) => void;
  /**
   * Scratch memory the engine keeps from one call to the next (plan, apply, verify of one
   * Engine): a provider may keep pure derivations there (a parsed config by its exact text), so
   * that a hit gives exactly what computing it again would. Never a substitute for reading.
   */
  memo?: Map<string, unknown>;
  /**
   * The store, for a system whose state Hecate keeps there itself (the certificates it holds):
   * who acts, and the apply lock's fence that every write of an apply carries.
   */
  store?: { store: Store; actor: string; fence?: Fence };
  /**
   * Set by apply only (never by plan or drift): a provider whose own last verified write, in this
   * Engine, was of the revision last applied to its system may answer read from what that write
   * left instead of asking the system again; `confirm` then checks what the plan relies on.
   */
  assume?: { applied(system: SystemName): Promise<string | undefined> };
  /** The revision an apply writes (set for apply and verify). */
  revision?: string;
}

/**
 * What a provider reports for one completed change. JSON only: the engine journals it, and undo
 * must work from it alone in another process after the applying one was killed.
 */
export interface ChangeRecord {
  /** The change done. A provider that applies its batch as one document swap names that swap. */
  change: ChangeRef;
  /** Ids the system assigned (an authentik pk, a Hetzner action id): how undo finds the object. */
  ids?: Record<string, string | number>;
  /** Enough of the before-state to undo this one change. */
  undo: unknown;
  /** Free-form details of what happened (node names, reload ids). */
  detail?: Record<string, unknown>;
  /** The undo data may hold secret values: the engine keeps it sealed, never in the journal. */
  sensitive?: boolean;
}

export interface ApplyContext extends ProviderContext {
  /**
   * Journal one completed change. Await it before the next change starts: a crash after it
   * leaves the record for undo, a crash before it leaves an object the restore pass finds.
   */
  report(record: ChangeRecord): Promise<void>;
}

/** What the engine hands a provider to apply: changes of one phase, with the plan's two states. */
export interface Batch<Desired = unknown, Actual = unknown> {
  desired: Desired;
  /** Reality when planned: a provider that can detect concurrent edits must refuse when it moved. */
  actual: Actual;
  changes: Change[];
  /** "upsert": creates and updates; "prune": deletes; "all": one document swap of everything. */
  phase: Phase;
}

export type Phase = "upsert" | "prune" | "all";

export interface Provider<Desired = unknown, Actual = unknown> {
  readonly system: SystemName;
  /**
   * Pure: the part of the desired state this system gets. `memo` is what an earlier compile of
   * this provider returned as its own memo (opaque to the engine): a provider may start from it
   * (compile only what changed), and must return the very output a compile without it gives.
   */
  compile(state: ResolvedState, memo?: unknown): { desired: Desired; diagnostics: Diagnostic[]; memo?: unknown };
  /** Read the live, owned state, normalized to the Desired shape. Never changes anything. */
  read(ctx: ProviderContext): Promise<Actual>;
  /** Object-level changes from actual to desired, in this system's apply order. Pure. */
  diff(desired: Desired, actual: Actual): Change[];
  /**
   * After diff, when read answered from what this provider's own last write left (ctx.assume):
   * make sure what `changes` rely on is live (read back the objects they touch) and answer
   * undefined; or, when that cannot be made sure, answer a fresh read, which the plan is diffed
   * against again. Absent: every read asks the system.
   */
  confirm?(desired: Desired, actual: Actual, changes: Change[], ctx: ProviderContext): Promise<Actual | undefined>;
  /** Apply a batch, calling ctx.report for each change as it completes. */
  apply(batch: Batch<Desired, Actual>, ctx: ApplyContext): Promise<void>;
  /** Undo one reported change. Must be safe to call twice. */
  undo(record: ChangeRecord, ctx: ProviderContext): Promise<void>;
  /** Read back after apply and report what does not match. Findings only: changes nothing. */
  verify(desired: Desired, records: readonly ChangeRecord[], ctx: ProviderContext): Promise<Diagnostic[]>;
  /**
   * Pure: what the plan must say that is not a change, seen only against reality (a zone that
   * does not exist, an object someone else owns). Errors stop the apply.
   */
  findings?(desired: Desired, actual: Actual): Diagnostic[];
  /** Pure: per node of a fleet, whether it holds what `changes` (diff's answer) would make it; absent for a single system. */
  nodes?(changes: readonly Change[], actual: Actual): NodeReport[];
  /** API calls made so far and the rate-limit budget left, for systems that meter them. */
  usage?(): ApiUsage;
  /** Pure: what the system holds of Hecate's, in a few lines an operator reads (`hecate health`, `hecate debug SYSTEM`). */
  describe?(actual: Actual): string[];
}

/** Calls to a metered API (Hetzner: 3600 an hour per project). */
export interface ApiUsage {
  calls: number;
  reads: number;
  writes: number;
  /** Requests answered 429 (each was waited out and repeated). */
  limited: number;
  rateLimit?: { limit: number; remaining: number };
}

/** A metered provider's running total: `fn` runs with a fresh client, whose calls are added even when it fails. */
export async function metered<C extends { usage: ApiUsage }, T>(total: ApiUsage, make: () => Promise<C>, fn: (client: C) => Promise<T>): Promise<T> {
  const c = await make();
  try {
    return await fn(c);
  } finally {
    total.calls += c.usage.calls;
    total.reads += c.usage.reads;
    total.writes += c.usage.writes;
    total.limited += c.usage.limited;
    if (c.usage.rateLimit) total.rateLimit = c.usage.rateLimit;
  }
}
