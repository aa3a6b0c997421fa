// Values the engine produces and the surfaces (CLI, API) consume. A plan is data: it can be
// printed, saved to a file, and applied later only if reality has not moved since.
import type { Diagnostic } from "../diag.js";
import type { Resource } from "../model/schema.js";
import type { YamlFile } from "../model/files.js";
import type { ApiUsage, Change, ChangeRef, NodeReport, Phase, SystemName } from "../providers/provider.js";
import type { RevisionSource } from "../store/store.js";

/** Changes of one system handed to its provider at once, in the plan's dependency order. */
export interface PlanStep {
  system: SystemName;
  /** "upsert" or "prune" for systems applied change by change; "all" for one-document systems. */
  phase: Phase;
  changes: Change[];
}

export interface Plan {
  format: "hecate-plan/1";
  /** Content hash of the desired revision. */
  revision: string;
  createdAt: string;
  /** Steps in apply order: upserts by the order table, then prunes in reverse (providers/order.ts). */
  steps: PlanStep[];
  summary: { create: number; update: number; delete: number };
  /** sha256 of the normalized actual state of every system read, keyed by system. */
  fingerprints: Partial<Record<SystemName, string>>;
  /** Compiled desired state per system (secrets as references only). */
  desired: Partial<Record<SystemName, unknown>>;
  /** Normalized actual state per system, as read when planning. */
  actual: Partial<Record<SystemName, unknown>>;
  diagnostics: Diagnostic[];
  /** Calls made to metered APIs while planning (Hetzner's rate limit), per system. */
  usage?: Partial<Record<SystemName, ApiUsage>>;
}

export interface StepOutcome {
  system: SystemName;
  phase: Phase;
  status: "applied" | "failed" | "undone" | "undo-failed" | "skipped";
  error?: string;
}

export interface ApplyResult {
  applyId: string;
  revision: string;
  status: "succeeded" | "rolled-back" | "failed" | "no-op" | "dry-run";
  steps: StepOutcome[];
  diagnostics: Diagnostic[];
  /** The plan that was applied (or would be, for dry-run and no-op). */
  plan?: Plan;
  /** Calls made to metered APIs by the whole apply (plan, writes, verify), per system. */
  usage?: Partial<Record<SystemName, ApiUsage>>;
}

export interface DriftReport {
  /** Revision compared against (the last applied one). */
  revision?: string;
  /** Unmanaged edits per system: changes that would put reality back (error: the system could not be read). */
  systems: { system: SystemName; changes: Change[]; error?: string; nodes?: NodeReport[]; /** Compared with this revision instead: it was applied to this system alone since (`apply --system`). */ revision?: string }[];
  /** Some system has changes; an unreadable system is an error, never drift. */
  drifted: boolean;
}

export type SourceSpec =
  | { type: "dir"; paths: string[] }
  /** Files sent as text (the CLI's remote `apply DIR`): `name` is what diagnostics call each, `location` what the revision records. */
  | { type: "files"; files: YamlFile[]; location: string }
  | { type: "git"; url: string; ref?: string; path?: string };

export interface ApplyOptions {
  /** Who acts (default the engine's actor): audit, revision author, lock holder. */
  actor?: string;
  /** Apply these resources (not stored yet): stored as a revision only once the apply goes ahead. */
  resources?: Resource[];
  /** Message, author and source of the revision stored for `resources`. */
  commit?: { message?: string; author?: string; source?: RevisionSource };
  /** Refuse a plan deleting more than this many objects (default 10). */
  maxDeletes?: number;
  /** Allow deleting resources marked protected. */
  allowProtected?: boolean;
  dryRun?: boolean;
  /**
   * Called with the plan about to be applied, after the engine's own rails and before anything
   * is stored or written (the lock held): throw to refuse it (e.g. deletes not confirmed).
   */
  check?: (plan: Plan) => void;
  /** How long to wait for the store lock (default 30 s). */
  lockTimeoutMs?: number;
  /** After applying, send an HTTP request through the proxy for each changed route. */
  probe?: boolean;
  /** Restrict to these systems. */
  systems?: SystemName[];
  /** Leave these systems out. */
  exclude?: SystemName[];
  /** The clock certificate renewals are judged by (ms since the epoch; default now). */
  now?: number;
  /** Called before each step; fault injection in tests uses it too. */
  onEvent?: (event: EngineEvent) => void | Promise<void>;
}

export type EngineEvent =
  | { type: "step.start"; system: SystemName; changes: number }
  | { type: "step.done"; system: SystemName }
  | { type: "change.done"; system: SystemName; change: ChangeRef }
  | { type: "step.failed"; system: SystemName; error: string }
  | { type: "undo.start"; system: SystemName }
  | { type: "undo.done"; system: SystemName }
  | { type: "lock.wait"; holder: string }
  | { type: "message"; text: string };

export type { RevisionSource };
