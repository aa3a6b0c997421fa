// `hecate schema`: the JSON Schema of every resource kind, for editors and CI.
import { writeFile } from "node:fs/promises";
import type { CommandDef } from "../core/define.js";

export const schema: CommandDef = {
  name: "schema",
  summary: "print the JSON Schema of hecate.io/v1 resources (for editor completion and CI)",
  flags: [{ flags: "--out <file>", description: "write it to this file instead of stdout" }],
  examples: ["hecate schema --out hecate.schema.json", "hecate schema | jq '.oneOf | length'"],
  async run(ctx, _args, opts) {
    const text = JSON.stringify((await ctx.model()).jsonSchema(), null, 2) + "\n";
    if (opts.out) {
      await writeFile(String(opts.out), text);
      ctx.say(`wrote ${opts.out}`);
    } else ctx.out(text);
  },
};
