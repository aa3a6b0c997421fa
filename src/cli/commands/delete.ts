// `hecate delete <noun> NAME`: remove a resource; refused while others refer to it, unless
// --cascade, which removes the referrers too (and says which).
import { HecateError } from "../../diag.js";
import type { Resource } from "../../model/schema.js";
import type { Model } from "../core/context.js";
import type { CommandDef } from "../core/define.js";
import { addressOf, commitEdit, mustFind } from "../core/state.js";
import type { NounDef } from "../nouns/index.js";
import { article } from "../nouns/noun.js";
import { DRY_RUN, MESSAGE } from "./shared-flags.js";

/** The resources that refer to `target` (the model decides what a reference is). */
export function referrersOf(model: Model, all: readonly Resource[], target: Resource): Resource[] {
  return model
    .referrers(all, target.kind, target.metadata.name)
    .map((ref) => all.find((r) => r.kind === ref.kind && r.metadata.name === ref.name))
    .filter((r): r is Resource => r !== undefined && r !== target);
}

/** target plus everything that refers to it, transitively, referrers first. */
function closure(model: Model, all: readonly Resource[], target: Resource): Resource[] {
  const seen = new Set<Resource>([target]);
  const queue = [target];
  while (queue.length) {
    for (const r of referrersOf(model, all, queue.shift()!)) {
      if (!seen.has(r)) {
        seen.add(r);
        queue.push(r);
      }
    }
  }
  return [...seen];
}

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
        const direct = referrersOf(model, resources, target);
        if (direct.length && !opts.cascade) {
          const list = direct.map(addressOf).join(", ");
          throw new HecateError("referenced", `${noun.noun} "${name}" is referenced by ${list}; change those first or use --cascade to delete them too`, { status: 409 });
        }
        gone = opts.cascade ? closure(model, resources, target) : [target];
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
