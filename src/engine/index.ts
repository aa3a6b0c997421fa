// The engine: the one interface the CLI and the server call. Commit desired state, plan, apply as
// one transaction (lock, journal, verify, roll back), recover crashed applies, detect drift,
// reconcile, roll back to an old revision, back up and restore the store.
//
// Signatures (stable; the CLI codes against these):
//
//   createEngine(opts: EngineOptions): Engine
//   engine.commitFromSource(source: SourceSpec, meta?: CommitMeta): Promise<CommitResult>
//   engine.load(source: SourceSpec): Promise<Desired>          (read + validate, nothing stored)
//   engine.commit(resources: Resource[], meta?: CommitMeta): Promise<CommitResult>
//   engine.plan(opts?: PlanOptions): Promise<Plan>              (revision, default head, or resources)
//   engine.apply(planOrOpts?: Plan | PlanOptions, opts?: ApplyOptions): Promise<ApplyResult>
//     (opts.resources + opts.commit: stored as a revision only once the apply goes ahead)
//   engine.recover(): Promise<RecoveryReport[]>
//   engine.drift(opts?: { systems?: SystemName[]; exclude?: SystemName[] }): Promise<DriftReport>
//   engine.reconcile(opts?: ApplyOptions): Promise<ApplyResult>
//   engine.reconcileLoop(opts: ReconcileLoopOptions): Promise<void>
//   engine.rollback(to: string, opts?: ApplyOptions & { message?: string }): Promise<RollbackResult>
//   engine.backup(file: string): Promise<BackupManifest>
//   engine.restore(file: string, opts?: { dryRun?: boolean; skipSignature?: boolean }): Promise<RestoreReport>
//   engine.render(system: SystemName, revision?: string): Promise<string>
//
//   renderPlan(plan: Plan, opts: { color: boolean }): string          (human, secrets redacted)
//   planToJson(plan: Plan): string                                    (machine, secrets redacted)
//   savePlan(plan: Plan, file: string): Promise<void>;  loadPlan(file): Promise<Plan>
//   loadSource(spec: SourceSpec): Promise<LoadedSource>
//   providersFor(state, opts?) → { providers, diagnostics }   (src/providers/index.ts)
//   reconcile switches: store.setSetting(SUSPENDED_KEY, "true" | undefined); breakerState(store);
//   clearing BREAKER_KEY and FAILURES_KEY closes the breaker by hand.
//
// Errors are HecateError with codes: "invalid" (desired state has errors, diagnostics attached),
// "no-revision", "unknown-revision", "locked", "stale-plan", "too-many-deletes", "protected",
// "not-built", "bad-backup", "source" (git/dir could not be read).
export { Engine, createEngine } from "./engine.js";
export { EngineMemory } from "./memory.js";
export type {
  EngineOptions,
  CommitMeta,
  CommitResult,
  PlanOptions,
  ReconcileLoopOptions,
  RollbackResult,
  RecoveryReport,
  ProviderFactory,
  Desired,
} from "./engine.js";
export { renderPlan, renderDrift, renderChanges, planToJson, redact } from "../render/plan.js";
export { assertRenderable, explainCaddyLayout, renderConfig, type RenderedConfig } from "../render/config.js";
export { resolveChecked } from "./history.js";
export { resolveRevision, REVISION_REF_HELP } from "./revision-ref.js";
export { savePlan, loadPlan } from "../render/plan-file.js";
export { loadSource, type LoadedSource } from "../sources/index.js";
export { SUSPENDED_KEY, FAILURES_KEY, BREAKER_KEY, breakerState, type BreakerState } from "./reconcile.js";
export { whileLeader, RECONCILE_LEADER, type LeaderOptions } from "./leader.js";
export type { AbandonedApply, BackupManifest, RestoreReport } from "./backup.js";
export type * from "./types.js";
