// `hecate diff REV1 [REV2]`: exactly what changed between two revisions, per resource.
import type { CommandDef } from "../core/define.js";
import { colorDiff, resourceDiff, revisionOf } from "../core/state.js";
import { REVISION_REF_HELP } from "../../engine/revision-ref.js";

export const diff: CommandDef = {
  name: "diff",
  args: ["<from>", "[to]"],
  summary: `unified diff of the canonical YAML of two revisions (${REVISION_REF_HELP}; default to: head)`,
  examples: ["hecate diff 3 4", "hecate diff applied head", "hecate diff 1f2e3d4c"],
  async run(ctx, [from, to]) {
    const store = await ctx.store();
    const a = await revisionOf(store, String(from));
    const b = await revisionOf(store, String(to ?? "head"));
    const text = resourceDiff(await ctx.model(), a.resources, b.resources);
    if (ctx.format("table") === "json") ctx.json({ from: a.hash, to: b.hash, diff: text });
    else if (text) ctx.out(colorDiff(ctx, text));
    else ctx.say(`no differences between #${a.seq} and #${b.seq}`);
  },
};
