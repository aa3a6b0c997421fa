// `hecate update <noun> NAME [flags] | -f FILE`: change one resource (flags merge into its spec).
import { UsageError } from "../../diag.js";
import type { Resource } from "../../model/schema.js";
import type { CommandDef } from "../core/define.js";
import { addressOf, commitEdit, mustFind } from "../core/state.js";
import type { NounDef } from "../nouns/index.js";
import { article, type Built } from "../nouns/noun.js";
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
      const model = await ctx.model();
      // The file is read once; the flags are merged into the resource as it is in each head tried.
      const fromFile = opts.file !== undefined ? await resourcesFromFile(ctx, String(opts.file), noun) : undefined;
      if (fromFile && (fromFile.length !== 1 || fromFile[0]!.metadata.name !== name)) {
        throw new UsageError(`${opts.file} must define exactly ${noun.kind} "${name}"`);
      }
      await commitEdit(ctx, async (resources) => {
        const current = mustFind(resources, noun, String(name));
        let next: Resource;
        let beforeStore: Built["beforeStore"];
        if (fromFile) next = fromFile[0]!;
        else {
          const built = await noun.update(current, opts, ctx, resources);
          const labels = labelsFrom(opts, current.metadata.labels);
          const metadata = { ...current.metadata };
          if (labels) metadata.labels = labels;
          else delete metadata.labels;
          next = { ...current, metadata, spec: built.spec } as Resource;
          beforeStore = built.beforeStore;
        }
        if (!beforeStore && model.toYaml([next]) === model.toYaml([current])) {
          ctx.say(`no changes to ${noun.noun} ${name}`);
          return undefined;
        }
        return {
          after: resources.map((r) => (r === current ? next : r)),
          changed: [addressOf(next)],
          message: (opts.message as string | undefined) ?? `update ${noun.noun} ${name}`,
          dryRun: Boolean(opts.dryRun),
          beforeStore: beforeStore ? [beforeStore] : [],
        };
      });
    },
  };
}
