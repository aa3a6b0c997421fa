// `hecate drift`: edits made to the systems behind Hecate's back, against the last applied revision.
import { HecateError } from "../../diag.js";
import type { CommandDef } from "../core/define.js";
import { method, parseSystems } from "./engine.js";
import { SYSTEM_FLAG, TIMEOUT, useTimeout } from "./shared-flags.js";

export const drift: CommandDef = {
  name: "drift",
  summary: "show unmanaged changes in the systems since the last apply (read-only)",
  flags: [SYSTEM_FLAG, TIMEOUT, { flags: "--detailed-exitcode", description: "exit 0 when nothing drifted, 2 when something did, 1 on error (e.g. a system is unreachable)" }],
  examples: ["hecate drift", "hecate drift --system caddy -o json", "hecate drift --detailed-exitcode || hecate reconcile"],
  async run(ctx, _args, opts) {
    useTimeout(ctx, opts);
    const systems = await parseSystems(opts.system, ctx);
    const report = ctx.remote ? await ctx.remote.drift(systems) : await method(await ctx.engine(), "drift")(systems ? { systems } : {});
    const failed = report.systems.filter((s) => s.error !== undefined);
    // A node of a fleet that does not answer is an outage too (the others were read).
    const down = report.systems.flatMap((s) => (s.nodes ?? []).filter((n) => n.state === "down").map((n) => `${s.system} node ${n.node} is down: ${n.error}`));
    if (ctx.output === "json") ctx.json(report);
    else if (!report.revision) ctx.say("nothing has been applied yet, so nothing can drift");
    else {
      ctx.out((await ctx.engineModule()).renderDrift(report, { color: ctx.paint.enabled }).trimEnd());
      const rev = report.revision.slice(0, 12);
      // Reconcile would fail on the same unreadable system, so it is only suggested when every system was read.
      if (!failed.length) ctx.say(report.drifted ? `drift against revision ${rev}: run \`hecate reconcile\` to put it back` : `no drift against revision ${rev}`);
    }
    // An outage is an error, never drift: `drift --detailed-exitcode || reconcile` must not fire on it.
    if (failed.length || down.length) throw new HecateError("read-failed", [...failed.map((s) => s.error), ...down].join("; "), { status: 502 });
    return opts.detailedExitcode && report.drifted ? 2 : 0;
  },
};
