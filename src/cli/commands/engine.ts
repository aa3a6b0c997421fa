// The engine as the CLI uses it: a guard so a method not built yet fails with a clear error,
// sources and systems from flags, and plan printing.
import type { Plan, SourceSpec } from "../../engine/types.js";
import type { SystemName } from "../../providers/provider.js";
import { notBuilt, type Context, type Engine } from "../core/context.js";
import { UsageError } from "../../diag.js";

/**
 * The registered systems. Loaded when a command needs them, not when the CLI starts: the
 * registry imports every provider (the authentik and Hetzner clients among them).
 */
export async function systemNames(): Promise<readonly string[]> {
  return (await import("../../providers/registry.js")).SYSTEMS;
}

type Methods = { [K in keyof Engine]: Engine[K] extends (...a: never[]) => unknown ? K : never }[keyof Engine];

/** engine.method, or a "not built yet" HecateError when the engine lacks it. */
export function method<K extends Methods>(engine: Engine, name: K): Engine[K] {
  const fn = (engine as unknown as Record<string, unknown>)[name];
  if (typeof fn !== "function") throw notBuilt(`engine.${name}`);
  return (fn as (...a: unknown[]) => unknown).bind(engine) as Engine[K];
}


export async function parseSystems(v: unknown, ctx?: Context): Promise<SystemName[] | undefined> {
  if (v === undefined) return undefined;
  const out = String(Array.isArray(v) ? v.join(",") : v).split(",").map((s) => s.trim()).filter(Boolean);
  // Through the API the server checks the names, with the same words: no provider code loaded here.
  if (ctx?.remote) return out as SystemName[];
  const SYSTEMS = await systemNames();
  const bad = out.filter((s) => !SYSTEMS.includes(s as SystemName));
  if (bad.length) throw new UsageError(`unknown system ${bad.join(", ")}: expected ${SYSTEMS.join(", ")}`);
  return out as SystemName[];
}

/** PATHS or --git as a source, or undefined for "the head revision". */
export function sourceFrom(paths: string[] | undefined, opts: Record<string, unknown>): SourceSpec | undefined {
  if (opts.git !== undefined) {
    if (paths?.length) throw new UsageError("give either PATHS or --git, not both");
    return { type: "git", url: String(opts.git), ...(opts.ref ? { ref: String(opts.ref) } : {}), ...(opts.gitPath ? { path: String(opts.gitPath) } : {}) };
  }
  if (opts.ref !== undefined || opts.gitPath !== undefined) throw new UsageError("--ref and --git-path need --git URL");
  return paths?.length ? { type: "dir", paths } : undefined;
}

/**
 * `rendered`: the text a server answered with, rendered as this prints a plan without color or
 * -v; printed as it is in that case, so remote mode does not load the renderer at all.
 */
export async function printPlan(ctx: Context, plan: Plan, rendered?: string): Promise<void> {
  if (rendered !== undefined && ctx.output !== "json" && !ctx.paint.enabled && !ctx.verbose) return void ctx.out(rendered);
  // The renderer alone: remote mode prints a plan without loading the engine.
  const m = await import("../../render/plan.js");
  if (ctx.output === "json") ctx.out(m.planToJson(plan));
  else ctx.out(m.renderPlan(plan, { color: ctx.paint.enabled, verbose: ctx.verbose }));
}

export function isDestructive(plan: Plan): boolean {
  return plan.summary.delete > 0;
}

export function assertFinite(n: number | undefined, flag: string): number | undefined {
  if (n !== undefined && (!Number.isFinite(n) || n < 0)) throw new UsageError(`${flag} expects a number >= 0`);
  return n;
}
