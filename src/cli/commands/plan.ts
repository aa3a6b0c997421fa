// `hecate plan [PATHS...]`: what apply would change in each system, without changing anything.
import { hasErrors, UsageError } from "../../diag.js";
import type { Plan } from "../../engine/types.js";
import type { CommandDef } from "../core/define.js";
import { filesToSend } from "../core/remote.js";
import { method, parseSystems, printPlan, sourceFrom } from "./engine.js";
import { SOURCE_FLAGS, SYSTEM_FLAG, TIMEOUT, useTimeout } from "./shared-flags.js";
import { REVISION_REF_HELP } from "../../engine/revision-ref.js";


export const plan: CommandDef = {
  name: "plan",
  args: ["[paths...]"],
  summary: "show what apply would change (desired: PATHS, --git, or the head revision)",
  flags: [
    ...SOURCE_FLAGS,
    SYSTEM_FLAG,
    TIMEOUT,
    { flags: "-r, --revision <rev>", description: `plan this stored revision (${REVISION_REF_HELP}) instead of the head` },
    { flags: "--out <file>", description: "save the plan for `hecate apply FILE` (records PATHS as a revision so the plan can name it)" },
    { flags: "--detailed-exitcode", description: "exit 0 when nothing would change, 2 when something would, 1 on error (also when the plan has errors)" },
  ],
  examples: ["hecate plan", "hecate plan config/ --out release.plan", "hecate plan --git https://git.example.com/ops/proxy.git --ref main -o json"],
  async run(ctx, [paths], opts) {
    useTimeout(ctx, opts);
    const source = sourceFrom(paths as string[] | undefined, opts);
    const systems = await parseSystems(opts.system, ctx);
    if (ctx.remote) {
      if (source?.type === "git" || opts.out) throw new UsageError("through the API, plan the head, --revision or YAML PATHS; --git and --out work on the local store");
      if (source && opts.revision) throw new UsageError("give either PATHS or --revision, not both");
      const sent = source?.type === "dir" ? filesToSend(source.paths) : {};
      const { plan: p, text } = await ctx.remote.plan({ ...(opts.revision ? { revision: String(opts.revision) } : {}), ...(systems ? { systems } : {}), ...sent });
      await printPlan(ctx, p, text);
      if (hasErrors(p.diagnostics)) return 1;
      return opts.detailedExitcode && p.steps.length > 0 ? 2 : 0;
    }
    const engine = await ctx.engine();
    // PATHS are planned as they are; only --out stores them, so the saved plan can name a revision.
    const desired = source ? await method(engine, "load")(source) : undefined;
    const target = desired ? { resources: desired.resources } : opts.revision ? { revision: String(opts.revision) } : {};
    const p: Plan = await method(engine, "plan")({ ...target, ...(systems ? { systems } : {}) });
    await printPlan(ctx, p);
    // A plan with errors (a system not built, a compile error) cannot be applied: not a success, not saved.
    if (hasErrors(p.diagnostics)) return 1;
    // The revision's hash is the content's: stored now, it is the one the plan names.
    if (desired && opts.out) await method(engine, "commit")(desired.resources, { author: ctx.author, ...desired.commit });
    if (opts.out) {
      await (await ctx.engineModule()).savePlan(p, String(opts.out));
      ctx.say(`saved plan to ${opts.out}; apply it with: hecate apply ${opts.out}`);
    }
    const changes = p.steps.length > 0;
    return opts.detailedExitcode && changes ? 2 : 0;
  },
};
