// `hecate delete <noun> NAME`: remove a resource; refused while others refer to it, unless
// --cascade, which removes the referrers too (and says which).
import type { Resource } from "../../model/schema.js";
import { deletion } from "../../engine/edit.js";
import type { CommandDef } from "../core/define.js";
import { addressOf, commitEdit, mustFind } from "../core/state.js";
import type { NounDef } from "../nouns/index.js";
import { article } from "../nouns/noun.js";
import { DRY_RUN, MESSAGE } from "./shared-flags.js";

export function deleteCommand(noun: NounDef): CommandDef {
  return {
    name: noun.noun,
    aliases: noun.aliases.filter((a) => !a.endsWith("s")),
    args: ["<name>"],
    summary: `delete ${article(noun.noun)} ${noun.noun} (refused while referenced, unless --cascade)`,
    flags: [
      { flags: "--cascade", description: "also delete every resource that refers to it" },
      ...(noun.kind === "Secret" ? [{ flags: "--purge", description: "also erase the stored value (older revisions then cannot be rolled back to)" }] : []),
      MESSAGE,
      DRY_RUN,
    ],
    examples: [`hecate delete ${noun.noun} NAME`, `hecate delete ${noun.noun} NAME --cascade --dry-run`],
    async run(ctx, [name], opts) {
      const model = await ctx.model();
      let gone: Resource[] = [];
      const rev = await commitEdit(ctx, async (resources) => {
        const target = mustFind(resources, noun, String(name));
        gone = deletion(model, resources, noun, target, Boolean(opts.cascade), String(name));
        const extra = gone.filter((r) => r !== target);
        return {
          after: resources.filter((r) => !gone.includes(r)),
          changed: gone.map(addressOf),
          message: (opts.message as string | undefined) ?? `delete ${noun.noun} ${name}${extra.length ? ` (cascade: ${extra.map(addressOf).join(", ")})` : ""}`,
          dryRun: Boolean(opts.dryRun),
          notes: extra.length ? [`${opts.dryRun ? "would also delete" : "also deleting"} (--cascade): ${extra.map(addressOf).join(", ")}`] : [],
        };
      });
      // Stored values stay (encrypted) by default so rolling back to an older revision still works.
      if (rev && opts.purge) {
        const store = await ctx.store();
        for (const r of gone) if (r.kind === "Secret") await store.deleteSecret(r.metadata.name);
      }
    },
  };
}
