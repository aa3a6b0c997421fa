// `hecate read <noun> NAME`: one resource exactly as stored (YAML by default, or JSON).
import type { CommandDef } from "../core/define.js";
import { renderTable } from "../core/output.js";
import { mustFind } from "../core/state.js";
import type { NounDef } from "../nouns/index.js";

export function readCommand(noun: NounDef): CommandDef {
  return {
    name: noun.noun,
    aliases: noun.aliases.filter((a) => !a.endsWith("s")),
    args: ["<name>"],
    summary: `show one ${noun.noun} as stored (YAML unless -o json)`,
    examples: [`hecate read ${noun.noun} NAME`, `hecate read ${noun.noun} NAME -o json`],
    async run(ctx, [name]) {
      const { resources } = await ctx.headResources();
      const r = mustFind(resources, noun, String(name));
      const format = ctx.format("yaml");
      if (format === "json") ctx.json(r);
      else if (format === "table") ctx.out(renderTable([r], noun.columns));
      else ctx.out((await ctx.model()).toYaml([r]));
    },
  };
}
