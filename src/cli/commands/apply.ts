// `hecate apply [PATHS...|--git URL|PLANFILE]`: make every system match, as one transaction.
import { existsSync, readFileSync, statSync } from "node:fs";
import { HecateError, UsageError } from "../../diag.js";
import { filesToSend, type RemoteApi } from "../core/remote.js";
import type { ApplyOptions, ApplyResult, EngineEvent, Plan, SourceSpec } from "../../engine/types.js";
import type { Context } from "../core/context.js";
import type { CommandDef } from "../core/define.js";
import { usageAfter } from "../../render/usage.js";
import { isDestructive, method, parseSystems, printPlan, sourceFrom } from "./engine.js";
import { DRY_RUN, int, parseDurationMs, SOURCE_FLAGS, SYSTEM_FLAG, TIMEOUT, useTimeout, YES } from "./shared-flags.js";

/** A saved plan file (JSON with format hecate-plan/1), as opposed to YAML paths. */
function isPlanFile(path: string): boolean {
  try {
    if (!existsSync(path) || !statSync(path).isFile()) return false;
    const head = readFileSync(path, "utf8").slice(0, 200);
    return /^\s*\{/.test(head) && head.includes("hecate-plan/1");
  } catch {
    return false;
  }
}

export const APPLY_FLAGS = [
  { ...YES, description: "apply a destructive plan without asking" },
  { flags: "--auto-approve", description: "same as --yes", hidden: true },
  { flags: "--max-deletes <n>", description: "refuse a plan deleting more than this many objects (default 10)" },
  { flags: "--allow-protected", description: "allow deleting resources marked protected" },
  { flags: "--lock-timeout <duration>", description: "how long to wait for another apply to finish (default 30s)" },
  { flags: "--probe", description: "after applying, send a request through the proxy for each changed route" },
  SYSTEM_FLAG,
  TIMEOUT,
];

/** --yes or its Terraform spelling --auto-approve. */
export function yesOf(opts: Record<string, unknown>): boolean {
  return Boolean(opts.yes || opts.autoApprove);
}

export async function applyOptions(ctx: Context, opts: Record<string, unknown>): Promise<ApplyOptions> {
  const o: ApplyOptions = {
    onEvent: (e: EngineEvent) => progress(ctx, e),
  };
  const max = int(opts.maxDeletes, "--max-deletes");
  if (max !== undefined) o.maxDeletes = max;
  if (opts.allowProtected) o.allowProtected = true;
  if (opts.lockTimeout !== undefined) o.lockTimeoutMs = parseDurationMs(String(opts.lockTimeout), "--lock-timeout");
  if (opts.probe) o.probe = true;
  const systems = await parseSystems(opts.system, ctx);
  if (systems) o.systems = systems;
  return o;
}

function progress(ctx: Context, e: EngineEvent): void {
  if (ctx.output === "json") return;
  const line =
    e.type === "step.start" ? `${e.system}: applying ${e.changes} change${e.changes === 1 ? "" : "s"}`
    : e.type === "step.done" ? `${e.system}: done`
    : e.type === "step.failed" ? `${e.system}: failed: ${e.error}`
    : e.type === "undo.start" ? `${e.system}: undoing`
    : e.type === "undo.done" ? `${e.system}: undone`
    : e.type === "lock.wait" ? `waiting for the lock held by ${e.holder}`
    : e.type === "change.done" ? undefined
    : e.text;
  if (line === undefined) return;
  ctx.say(line);
}

/**
 * Print the outcome; 0 when reality now matches, 1 otherwise. `planShown`: the plan (this one) was
 * printed just before: its "No changes" already says all a no-op would, and a system's API usage
 * line is printed again only when the apply changed it (writes, or reads of its own).
 */
export function reportResult(ctx: Context, r: ApplyResult, opts: { planShown?: Plan } = {}): number {
  if (ctx.output !== "json" && r.status === "no-op" && opts.planShown) return 0;
  if (ctx.output === "json") {
    const { plan: _plan, ...rest } = r;
    ctx.json(rest);
  } else if (r.status === "no-op") ctx.say(`nothing to apply: reality already matches revision ${r.revision.slice(0, 12)}`);
  else if (r.status === "succeeded") ctx.say(`${ctx.paint("green", "applied")} revision ${r.revision.slice(0, 12)} (${r.steps.map((s) => s.system).join(", ")})`);
  if (ctx.output !== "json") for (const l of usageAfter(opts.planShown?.usage, r.usage)) ctx.say(l);
  if (ctx.output === "json" || r.status === "no-op" || r.status === "succeeded") return 0;
  const failed = r.steps.filter((s) => s.error).map((s) => `${s.system}: ${s.error}`);
  throw new HecateError("apply-failed", `apply ${r.status}${r.status === "rolled-back" ? " (every system is back where it was)" : ""}${failed.length ? ": " + failed.join("; ") : ""}`);
}

/** Show the plan; on a destructive one ask (TTY) or refuse (no TTY) unless --yes. */
export async function confirmPlan(ctx: Context, plan: Plan, yes: boolean): Promise<boolean> {
  if (!isDestructive(plan)) return true;
  const n = plan.summary.delete;
  const ok = await ctx.confirm(`This plan deletes ${n} object${n === 1 ? "" : "s"}. Apply it?`, {
    yes,
    refusal: `the plan deletes ${n} object${n === 1 ? "" : "s"} and there is no terminal to confirm it: review it with \`hecate plan\`, then re-run with --yes`,
  });
  if (!ok) ctx.say("not applied");
  return ok;
}

/**
 * Apply through the API: the head, or PATHS sent as files (the server reads and stores them). The
 * server's plan is shown (and confirmed, as locally), then the server plans again and applies;
 * with --yes that is one request, the plan shown from its answer. Progress is told from the
 * result, step by step, as locally.
 */
async function applyRemote(ctx: Context, remote: RemoteApi, o: ApplyOptions, opts: Record<string, unknown>, source: SourceSpec | undefined, planFile: string | undefined): Promise<number> {
  if (planFile || source?.type === "git") throw new UsageError("through the API, apply the head or YAML PATHS; --git and plan files work on the local store");
  const sent = source?.type === "dir" ? filesToSend(source.paths) : undefined;
  const systems = o.systems ? { systems: o.systems } : {};
  const desired = sent ? { ...sent, ...(opts.message ? { message: String(opts.message) } : {}) } : {};
  const rails = { ...systems, ...desired, ...(o.maxDeletes !== undefined ? { maxDeletes: o.maxDeletes } : {}), ...(o.allowProtected ? { allowProtected: true } : {}), ...(o.lockTimeoutMs !== undefined ? { lockTimeoutMs: o.lockTimeoutMs } : {}), ...(o.probe ? { probe: true } : {}) };
  const { replaySteps } = await import("../core/remote-store.js");
  if (yesOf(opts) && !opts.dryRun) {
    // The configs in the answer's plan only for -o json, which prints them as locally.
    const r = await remote.apply({ ...rails, yes: true, configs: ctx.output === "json" });
    // The answer carries the plan it applied as the API gives plans: { plan, text }.
    const answered = r.plan as { plan?: Plan; text?: string } | undefined;
    const plan = answered?.plan;
    if (plan) await printPlan(ctx, plan, answered.text);
    replaySteps((e) => progress(ctx, e), plan, r);
    return reportResult(ctx, r, plan ? { planShown: plan } : {});
  }
  const { plan, text } = await remote.plan({ ...systems, ...(sent ?? {}) });
  await printPlan(ctx, plan, text);
  if (opts.dryRun) {
    await remote.apply({ ...rails, dryRun: true });
    ctx.say("dry run: nothing applied, nothing stored");
    return 0;
  }
  if (plan.steps.length && !(await confirmPlan(ctx, plan, yesOf(opts)))) return 1;
  const r = await remote.apply({ ...rails, yes: true, configs: false });
  replaySteps((e) => progress(ctx, e), plan, r);
  return reportResult(ctx, r, { planShown: plan });
}

export const apply: CommandDef = {
  name: "apply",
  args: ["[paths...]"],
  summary: "apply YAML PATHS, a --git source, a saved PLANFILE, or the head revision, as one transaction",
  flags: [...SOURCE_FLAGS, ...APPLY_FLAGS, DRY_RUN, { flags: "-m, --message <text>", description: "revision message when PATHS or --git are recorded" }],
  examples: ["hecate apply config/ --yes", "hecate plan config/ --out release.plan && hecate apply release.plan", "hecate apply --git https://git.example.com/ops/proxy.git --ref main --dry-run"],
  async run(ctx, [paths], opts) {
    const list = (paths as string[] | undefined) ?? [];
    useTimeout(ctx, opts);
    const planFile = list.length === 1 && isPlanFile(list[0]!) ? list[0]! : undefined;
    const source = planFile ? undefined : sourceFrom(list, opts);
    const o = await applyOptions(ctx, opts);
    if (ctx.remote) return applyRemote(ctx, ctx.remote, o, opts, source, planFile);
    const m = await ctx.engineModule();
    const engine = await ctx.engine();

    const dryRun = Boolean(opts.dryRun);
    // PATHS are read once and planned as they are: stored as a revision only if the apply goes ahead.
    const desired = source ? await method(engine, "load")(source) : undefined;
    if (desired) {
      o.resources = desired.resources;
      o.commit = { ...desired.commit, author: ctx.author, ...(opts.message ? { message: String(opts.message) } : {}) };
    }
    const plan: Plan = planFile
      ? await m.loadPlan(planFile)
      : await method(engine, "plan")({ ...(desired ? { resources: desired.resources } : {}), ...(o.systems ? { systems: o.systems } : {}) });
    await printPlan(ctx, plan);

    if (dryRun) {
      await method(engine, "apply")(plan, { ...o, dryRun: true }); // safety rails only
      ctx.say("dry run: nothing applied, nothing stored");
      return 0;
    }
    if (plan.steps.length && !(await confirmPlan(ctx, plan, yesOf(opts)))) return 1;
    return reportResult(ctx, await method(engine, "apply")(plan, o), { planShown: plan });
  },
};
