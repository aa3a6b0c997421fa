// `hecate render SYSTEM`: the native config Hecate would send to one system, for review.
import { UsageError } from "../../diag.js";
import type { SystemName } from "../../providers/provider.js";
import type { CommandDef } from "../core/define.js";
import { method, SYSTEMS } from "./engine.js";

export const render: CommandDef = {
  name: "render",
  args: ["<system>"],
  summary: "print the native config for caddy, nginx, authentik or dns (head revision unless --revision)",
  flags: [{ flags: "-r, --revision <rev>", description: "render this revision instead of the head" }],
  examples: ["hecate render caddy", "hecate render nginx --revision 3", "hecate render caddy | jq '.apps.http'"],
  async run(ctx, [system], opts) {
    if (!SYSTEMS.includes(system as SystemName)) throw new UsageError(`unknown system "${system}": expected one of ${SYSTEMS.join(", ")}`);
    const text = await method(await ctx.engine(), "render")(system as SystemName, opts.revision as string | undefined);
    ctx.out(text);
  },
};
