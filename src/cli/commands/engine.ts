// The engine calls the CLI makes, in one place: each checks the method exists so a part not
// built yet fails with a clear "not built yet" error instead of a crash.
import type { SystemName } from "../../providers/provider.js";
import type { ApplyOptions, ApplyResult, DriftReport, Plan, SourceSpec } from "../../engine/types.js";
import type { Revision, RevisionSource } from "../../store/store.js";
import { notBuilt, type Context } from "../core/context.js";

export interface CommitMetaLike {
  author?: string;
  message?: string;
  source?: RevisionSource;
}
export interface PlanOptionsLike {
  revision?: string;
  systems?: SystemName[];
}
export interface CommitResultLike {
  revision: Revision;
  created?: boolean;
  diagnostics?: unknown[];
}

/** The subset of the engine the CLI uses (src/engine/index.ts documents the full signatures). */
export interface EngineCalls {
  commitFromSource(source: SourceSpec, meta?: CommitMetaLike): Promise<CommitResultLike>;
  plan(opts?: PlanOptionsLike): Promise<Plan>;
  apply(planOrOpts?: Plan | PlanOptionsLike, opts?: ApplyOptions): Promise<ApplyResult>;
  drift(opts?: { systems?: SystemName[] }): Promise<DriftReport>;
  reconcile(opts?: ApplyOptions): Promise<ApplyResult>;
  reconcileLoop(opts: Record<string, unknown>): Promise<void>;
  rollback(to: string, opts?: ApplyOptions & { message?: string }): Promise<{ revision?: Revision; result?: ApplyResult } & Record<string, unknown>>;
  backup(file: string): Promise<Record<string, unknown>>;
  restore(file: string, opts?: { dryRun?: boolean }): Promise<Record<string, unknown>>;
  render(system: SystemName, revision?: string): Promise<string>;
}

export async function engineCall<K extends keyof EngineCalls>(ctx: Context, method: K): Promise<EngineCalls[K]> {
  const engine = (await ctx.engine()) as Partial<EngineCalls>;
  const fn = engine[method];
  if (typeof fn !== "function") throw notBuilt(`engine.${method}`);
  return (fn as (...a: unknown[]) => unknown).bind(engine) as EngineCalls[K];
}

export type EngineModule = {
  renderPlan?: (plan: Plan, opts: { color: boolean }) => string;
  planToJson?: (plan: Plan) => string;
  savePlan?: (plan: Plan, file: string) => Promise<void>;
  loadPlan?: (file: string) => Promise<Plan>;
};

export async function engineModule(): Promise<EngineModule> {
  try {
    return (await import("../../engine/index.js")) as unknown as EngineModule;
  } catch (e) {
    if ((e as { code?: string }).code === "ERR_MODULE_NOT_FOUND") throw notBuilt("the engine (src/engine/index.ts)");
    throw e;
  }
}
