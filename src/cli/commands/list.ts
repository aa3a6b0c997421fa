// `hecate list <noun>`: the resources of one kind, as a table or as JSON/YAML for machines.
import type { Resource } from "../../model/schema.js";
import type { CommandDef } from "../core/define.js";
import { renderTable } from "../core/output.js";
import type { NounDef } from "../nouns/index.js";
import { parseSelector } from "./shared-flags.js";

export function matches(r: Resource, selector: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => r.metadata.labels?.[k] === v);
}

export function listCommand(noun: NounDef): CommandDef {
  return {
    name: noun.plural,
    aliases: [noun.noun, ...noun.aliases],
    summary: `list ${noun.plural}`,
    flags: [{ flags: "-l, --selector <key=value>", description: "only resources with this label (repeatable; all must match)", repeatable: true }, ...(noun.live?.flags ?? [])],
    examples: [`hecate list ${noun.plural}`, `hecate list ${noun.plural} --selector env=prod`, `hecate list ${noun.plural} -o json`],
    async run(ctx, _args, opts) {
      if (noun.live?.wants(opts)) return noun.live.list(ctx, opts);
      const selector = parseSelector(opts.selector);
      const { resources } = await ctx.headResources();
      const rows = resources
        .filter((r) => r.kind === noun.kind && matches(r, selector))
        .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
      const format = ctx.format("table");
      if (format === "json") ctx.json(rows);
      else if (format === "yaml") ctx.out(rows.length ? (await ctx.model()).toYaml(rows) : "");
      else if (!rows.length) ctx.say(`no ${noun.plural}`);
      else ctx.out(renderTable(rows, noun.columns));
    },
  };
}
