// `hecate update <noun> NAME [flags] | -f FILE`: change one resource (flags merge into its spec).
import { UsageError } from "../../diag.js";
import type { Resource } from "../../model/schema.js";
import type { CommandDef } from "../core/define.js";
import { addressOf, commitChange, headResources, mustFind } from "../core/state.js";
import type { NounDef } from "../nouns/index.js";
import { article } from "../nouns/noun.js";
import { resourcesFromFile, labelsFrom } from "./create.js";
import { DRY_RUN, FILE, LABEL, MESSAGE } from "./shared-flags.js";

export function updateCommand(noun: NounDef): CommandDef {
  return {
    name: noun.noun,
    aliases: noun.aliases.filter((a) => !a.endsWith("s")),
    args: ["<name>"],
    summary: `change ${article(noun.noun)} ${noun.noun}; flags replace fields, --add-*/--remove-* edit lists`,
    flags: [
      ...noun.flags,
      ...noun.updateFlags,
      LABEL,
      { flags: "--remove-label <key>", description: "remove a label (repeatable)", repeatable: true },
      { ...FILE, description: "replace the whole resource with the one in this YAML file (- for stdin)" },
      MESSAGE,
      DRY_RUN,
    ],
    examples: noun.examples.update,
    async run(ctx, [name], opts) {
      const store = await ctx.store();
      const { resources } = await headResources(store);
      const current = mustFind(resources, noun, String(name));
      let next: Resource;
      let beforeStore: ((s: typeof store) => Promise<void>) | undefined;
      if (opts.file !== undefined) {
        const docs = await resourcesFromFile(ctx, String(opts.file), noun);
        if (docs.length !== 1 || docs[0]!.metadata.name !== name) {
          throw new UsageError(`${opts.file} must define exactly ${noun.kind} "${name}"`);
        }
        next = docs[0]!;
      } else {
        const built = await noun.update(current, opts, ctx, resources);
        const labels = labelsFrom(opts, current.metadata.labels);
        const metadata = { ...current.metadata };
        if (labels) metadata.labels = labels;
        else delete metadata.labels;
        next = { ...current, metadata, spec: built.spec } as Resource;
        beforeStore = built.beforeStore;
      }
      const model = await ctx.model();
      if (!beforeStore && model.toYaml([next]) === model.toYaml([current])) {
        ctx.say(`no changes to ${noun.noun} ${name}`);
        return;
      }
      const after = resources.map((r) => (r === current ? next : r));
      await commitChange(ctx, {
        before: resources,
        after,
        changed: [addressOf(next)],
        message: (opts.message as string | undefined) ?? `update ${noun.noun} ${name}`,
        dryRun: Boolean(opts.dryRun),
        beforeStore: beforeStore ? [beforeStore] : [],
      });
    },
  };
}
