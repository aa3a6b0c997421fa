// `hecate drift`: edits made to the systems behind Hecate's back, against the last applied revision.
import type { CommandDef } from "../core/define.js";
import { method, parseSystems } from "./engine.js";
import { SYSTEM_FLAG } from "./plan.js";
import { TIMEOUT, useTimeout } from "./shared-flags.js";

export const drift: CommandDef = {
  name: "drift",
  summary: "show unmanaged changes in the systems since the last apply (read-only)",
  flags: [SYSTEM_FLAG, TIMEOUT, { flags: "--detailed-exitcode", description: "exit 0 when nothing drifted, 2 when something did, 1 on error" }],
  examples: ["hecate drift", "hecate drift --system caddy -o json", "hecate drift --detailed-exitcode || hecate reconcile"],
  async run(ctx, _args, opts) {
    useTimeout(ctx, opts);
    const systems = parseSystems(opts.system);
    const report = await method(await ctx.engine(), "drift")(systems ? { systems } : {});
    if (ctx.output === "json") ctx.json(report);
    else if (!report.revision) ctx.say("nothing has been applied yet, so nothing can drift");
    else {
      for (const s of report.systems) {
        if (s.error) ctx.out(`${s.system}: ${ctx.paint("red", "error:")} ${s.error}`);
        else if (!s.changes.length) ctx.out(`${s.system}: in sync`);
        else {
          ctx.out(`${s.system}: ${ctx.paint("yellow", `${s.changes.length} unmanaged change${s.changes.length === 1 ? "" : "s"}`)}`);
          for (const c of s.changes) ctx.out(`  ${c.action} ${c.kind} ${c.id}${c.resource ? `  (${c.resource})` : ""}`);
        }
      }
      ctx.say(report.drifted ? `drift against revision ${report.revision.slice(0, 12)}: run \`hecate reconcile\` to put it back` : `no drift against revision ${report.revision.slice(0, 12)}`);
    }
    return opts.detailedExitcode && report.drifted ? 2 : 0;
  },
};
