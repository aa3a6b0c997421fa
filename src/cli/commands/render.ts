// `hecate render SYSTEM [PATHS...]`: the native config Hecate would send to one system, for review.
import { UsageError } from "../../diag.js";
import type { SystemName } from "../../providers/provider.js";
import type { CommandDef } from "../core/define.js";
import { revisionOf } from "../core/state.js";
import { sourceFrom, systemNames } from "./engine.js";
import { SOURCE_FLAGS } from "./shared-flags.js";
import { REVISION_REF_HELP } from "../../engine/revision-ref.js";

export const render: CommandDef = {
  name: "render",
  args: ["<system>", "[paths...]"],
  summary: "print the native config for caddy, nginx, authentik or dns (of PATHS, --git, or a stored revision; default head)",
  flags: [
    { flags: "-r, --revision <rev>", description: `render this stored revision (${REVISION_REF_HELP}) instead of the head` },
    { flags: "--explain", description: "caddy: say which routes share one Caddy route per shape (host → upstream map) and why the others keep their own" },
    ...SOURCE_FLAGS,
  ],
  examples: ["hecate render caddy config/", "hecate render caddy --explain", "hecate render nginx --revision applied", "hecate render caddy | jq '.apps.http'", "hecate render nginx -o json"],
  async run(ctx, [system, paths], opts) {
    const SYSTEMS = await systemNames();
    if (!SYSTEMS.includes(system as SystemName)) throw new UsageError(`unknown system "${system}": expected one of ${SYSTEMS.join(", ")}`);
    const source = sourceFrom(paths as string[] | undefined, opts);
    if (source && opts.revision !== undefined) throw new UsageError("give either PATHS (or --git) or --revision, not both");
    const m = await ctx.engineModule();
    m.assertRenderable(system as SystemName);
    // Files are rendered as they are: loaded, resolved and compiled, nothing stored.
    const rev = source ? undefined : await revisionOf(await ctx.store(), String(opts.revision ?? "head"));
    const { state } = rev ? m.resolveChecked({ docs: rev.resources }, `revision #${rev.seq}`) : m.resolveChecked(await m.loadSource(source!));
    if (opts.explain) {
      if (system !== "caddy") throw new UsageError("--explain is for caddy: its layout is the one Hecate chooses");
      const e = m.explainCaddyLayout(state);
      if (ctx.output === "json") ctx.json(e.structure);
      else ctx.out(e.text);
      return;
    }
    const r = m.renderConfig(state, system as SystemName);
    if (ctx.output === "json") ctx.json(r.structure);
    else ctx.out(r.text);
  },
};
