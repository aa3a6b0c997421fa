// `hecate show REVISION`: one revision's metadata and its resources as canonical YAML.
import type { CommandDef } from "../core/define.js";
import { revisionOf } from "../core/state.js";
import { sourceOf } from "./history.js";
import { REVISION_REF_HELP } from "../../engine/revision-ref.js";

export const show: CommandDef = {
  name: "show",
  args: ["[revision]"],
  summary: `show a revision (${REVISION_REF_HELP}; default head) and its YAML`,
  examples: ["hecate show 3", "hecate show 1f2e3d4c", "hecate show head -o json"],
  async run(ctx, [ref]) {
    const rev = await revisionOf(await ctx.store(), String(ref ?? "head"));
    if (ctx.format("yaml") === "json") return void ctx.json(rev);
    const meta = [
      `revision #${rev.seq} ${rev.hash}`,
      ...(rev.parent ? [`parent:  ${rev.parent}`] : []),
      `author:  ${rev.author}`,
      `date:    ${rev.createdAt}`,
      `source:  ${sourceOf(rev)}`,
      `message: ${rev.message}`,
    ];
    ctx.out(meta.map((l) => `# ${l}`).join("\n"));
    ctx.out((await ctx.model()).toYaml(rev.resources));
  },
};
