// `hecate rollback --to REVISION`: a new revision with an old revision's resources, applied.
import { UsageError } from "../../diag.js";
import type { CommandDef } from "../core/define.js";
import { resourceDiff, revisionOf, colorDiff } from "../core/state.js";
import { APPLY_FLAGS, applyOptions, confirmPlan, reportResult, yesOf } from "./apply.js";
import { method, printPlan } from "./engine.js";
import { DRY_RUN, MESSAGE } from "./shared-flags.js";
import { REVISION_REF_HELP } from "../../engine/revision-ref.js";
import { HecateError } from "../../diag.js";
import type { Store } from "../../store/store.js";

/** The newest revision applied successfully whose resources differ from what is live now. */
export async function lastGood(store: Store): Promise<string> {
  const live = await store.lastApplied();
  if (!live) throw new HecateError("no-revision", "nothing has been applied yet: there is no last good revision", { status: 404 });
  const same = JSON.stringify(live.resources);
  const applies = (await store.listApplies({ status: "succeeded" })).sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1));
  for (const a of applies) {
    if (a.revision === live.hash) continue;
    const rev = await store.getRevision(a.revision);
    if (rev && JSON.stringify(rev.resources) !== same) return rev.hash;
  }
  throw new HecateError("not-found", `no revision applied before #${live.seq} differs from it: nothing to go back to (see \`hecate history\`)`, { status: 404 });
}

export const rollback: CommandDef = {
  name: "rollback",
  summary: "go back to an earlier revision: stores it as a new revision and applies it",
  flags: [
    { flags: "--to <revision>", description: `revision to go back to (${REVISION_REF_HELP})` },
    { flags: "--last-good", description: "go back to the last revision applied successfully before the one live now" },
    ...APPLY_FLAGS,
    MESSAGE,
    DRY_RUN,
  ],
  examples: ["hecate rollback --to 3 --dry-run", "hecate rollback --to 3 --yes", "hecate rollback --last-good --yes", "hecate rollback --to 1f2e3d4c -m 'bad upstream in #7'"],
  async run(ctx, _args, opts) {
    if (opts.to !== undefined && opts.lastGood) throw new UsageError("give --to REVISION or --last-good, not both");
    if (opts.to === undefined && !opts.lastGood) throw new UsageError("rollback needs --to REVISION (see `hecate history`) or --last-good");
    const store = await ctx.store();
    const to = opts.lastGood ? await lastGood(store) : String(opts.to);
    const target = await revisionOf(store, to);
    const head = await store.head();
    const text = resourceDiff(await ctx.model(), head?.resources ?? [], target.resources);
    if (ctx.output !== "json") ctx.out(text ? colorDiff(ctx, text) : `revision #${target.seq} has the same resources as the head`);
    const o = await applyOptions(ctx, opts);
    const message = opts.message as string | undefined;
    // A dry run first, to show and confirm the plan: the new revision is stored only when we go ahead.
    const engine = await ctx.engine();
    const preview = await method(engine, "rollback")(target.hash, { ...o, dryRun: true, ...(message ? { message } : {}) });
    if (preview.result.plan) await printPlan(ctx, preview.result.plan);
    if (opts.dryRun) {
      ctx.say("dry run: nothing stored, nothing applied");
      return 0;
    }
    if (preview.result.plan && !(await confirmPlan(ctx, preview.result.plan, yesOf(opts)))) return 1;
    const res = await method(engine, "rollback")(target.hash, { ...o, ...(message ? { message } : {}) });
    if (res.revision) ctx.say(`revision #${res.revision.seq} ${res.revision.hash.slice(0, 12)} restores #${target.seq}`);
    return reportResult(ctx, res.result);
  },
};
