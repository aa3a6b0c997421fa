// `hecate plan [PATHS...]`: what apply would change in each system, without changing anything.
import { hasErrors } from "../../diag.js";
import type { Plan } from "../../engine/types.js";
import type { CommandDef } from "../core/define.js";
import { commitSource, method, parseSystems, printPlan, sourceFrom, withScratch } from "./engine.js";
import { REVISION_REF_HELP } from "../../engine/revision-ref.js";

export const SOURCE_FLAGS = [
  { flags: "--git <url>", description: "take the desired state from this git repository" },
  { flags: "--ref <ref>", description: "branch, tag or commit (with --git)" },
  { flags: "--git-path <dir>", description: "directory inside the repository (with --git)" },
];
export const SYSTEM_FLAG = { flags: "--system <systems>", description: "only these systems (comma-separated: dns, authentik, caddy, nginx)" };

export const plan: CommandDef = {
  name: "plan",
  args: ["[paths...]"],
  summary: "show what apply would change (desired: PATHS, --git, or the head revision)",
  flags: [
    ...SOURCE_FLAGS,
    SYSTEM_FLAG,
    { flags: "-r, --revision <rev>", description: `plan this stored revision (${REVISION_REF_HELP}) instead of the head` },
    { flags: "--out <file>", description: "save the plan for `hecate apply FILE` (records PATHS as a revision so the plan can name it)" },
    { flags: "--detailed-exitcode", description: "exit 0 when nothing would change, 2 when something would, 1 on error (also when the plan has errors)" },
  ],
  examples: ["hecate plan", "hecate plan config/ --out release.plan", "hecate plan --git https://git.example.com/ops/proxy.git --ref main -o json"],
  async run(ctx, [paths], opts) {
    const source = sourceFrom(paths as string[] | undefined, opts);
    const systems = parseSystems(opts.system);
    const make = async (engine: Awaited<ReturnType<typeof ctx.engine>>): Promise<Plan> => {
      const revision = source ? await commitSource(ctx, engine, source) : (opts.revision as string | undefined);
      return method(engine, "plan")({ ...(revision ? { revision } : {}), ...(systems ? { systems } : {}) });
    };
    // Without --out nothing needs storing: PATHS are committed to a scratch copy only.
    const p = source && !opts.out ? await withScratch(ctx, (engine) => make(engine)) : await make(await ctx.engine());
    await printPlan(ctx, p);
    // A plan with errors (a system not built, a compile error) cannot be applied: not a success, not saved.
    if (hasErrors(p.diagnostics)) return 1;
    if (opts.out) {
      await (await ctx.engineModule()).savePlan(p, String(opts.out));
      ctx.say(`saved plan to ${opts.out}; apply it with: hecate apply ${opts.out}`);
    }
    const changes = p.steps.length > 0;
    return opts.detailedExitcode && changes ? 2 : 0;
  },
};
