// `hecate create <noun> NAME [flags] | -f FILE`: add resources to the desired state as a new revision.
import { readFile } from "node:fs/promises";
import { hasErrors, HecateError, UsageError, type Diagnostic } from "../../diag.js";
import { API_VERSION } from "../../model/api-version.js";
import type { Resource } from "../../model/schema.js";
import type { Context } from "../core/context.js";
import type { CommandDef, Opts } from "../core/define.js";
import { readAll } from "../core/io.js";
import { addressOf, checkShape, commitEdit } from "../core/state.js";
import { mustBeNew } from "../../engine/edit.js";
import type { NounDef } from "../nouns/index.js";
import { article } from "../nouns/noun.js";
import type { Built } from "../nouns/noun.js";
import { kv } from "../nouns/parse.js";
import { DRY_RUN, FILE, LABEL, MESSAGE } from "./shared-flags.js";

/** Resources of one kind from a YAML file (or stdin), with shape errors at file:line:col. */
export async function resourcesFromFile(ctx: Context, file: string, noun: NounDef): Promise<Resource[]> {
  const model = await ctx.model();
  let text: string;
  try {
    text = file === "-" ? await readAll(ctx.io.stdin) : await readFile(file, "utf8");
  } catch (e) {
    throw new HecateError("read", `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const { docs, diagnostics } = model.parseYamlText(text, file === "-" ? "<stdin>" : file);
  const diags: Diagnostic[] = [...diagnostics];
  for (const d of docs) {
    if (d.resource.kind !== noun.kind) {
      diags.push({ severity: "error", code: "kind", message: `expected kind ${noun.kind} here (this is \`${noun.noun}\`), found ${String(d.resource.kind)}`, pos: d.pos(["kind"]) });
      continue;
    }
    diags.push(...checkShape(model, d.resource, { pos: (path) => d.pos(path), ...(d.keyPos ? { keyPos: (path) => d.keyPos!(path) } : {}) }));
  }
  if (hasErrors(diags)) throw new HecateError("invalid", `${file} is not valid`, { diagnostics: diags.filter((d) => d.severity === "error") });
  if (!docs.length) throw new HecateError("invalid", `${file} holds no ${noun.kind} document`);
  return docs.map((d) => d.resource);
}

export function labelsFrom(opts: Opts, current?: Record<string, string>): Record<string, string> | undefined {
  const set = kv(opts.label, "--label");
  const remove = (opts.removeLabel as string[] | undefined) ?? [];
  const next = { ...current, ...set };
  for (const k of remove) delete next[k];
  return Object.keys(next).length ? next : undefined;
}

export function createCommand(noun: NounDef): CommandDef {
  return {
    name: noun.noun,
    aliases: noun.aliases.filter((a) => !a.endsWith("s")),
    args: ["[name]"],
    summary: `create ${article(noun.noun)} ${noun.noun}: ${noun.summary}`,
    flags: [...noun.flags, { flags: "--name <name>", description: "the resource name, as an alternative to NAME (eos: create hecate route --name api.example.com)" }, LABEL, FILE, MESSAGE, DRY_RUN],
    examples: noun.examples.create,
    async run(ctx, [name], opts) {
      // The file is read once; what depends on the head is redone on a newer head (commitEdit).
      const fromFile = opts.file !== undefined ? await resourcesFromFile(ctx, String(opts.file), noun) : undefined;
      if (fromFile && name !== undefined && (fromFile.length !== 1 || fromFile[0]!.metadata.name !== name)) {
        throw new UsageError(`NAME "${name}" does not match the file (it defines ${fromFile.map((r) => r.metadata.name).join(", ")})`);
      }
      if (opts.name !== undefined) {
        if (name !== undefined && name !== opts.name) throw new UsageError(`NAME "${String(name)}" and --name "${String(opts.name)}" differ: give one of them`);
        name = String(opts.name);
      }
      if (!fromFile) {
        const word = name === undefined ? undefined : noun.fromWord?.(String(name), opts);
        if (word) ({ name, opts } = word);
        name ??= noun.defaultName?.(opts);
        if (name === undefined) throw new UsageError(`create ${noun.noun} needs a NAME (or -f FILE)`);
      }
      await commitEdit(ctx, async (resources) => {
        let created: Resource[];
        let beforeStore: Built["beforeStore"];
        if (fromFile) created = fromFile;
        else {
          const built = await noun.create(String(name), opts, ctx, resources);
          const labels = labelsFrom(opts);
          created = [{ apiVersion: API_VERSION, kind: noun.kind, metadata: { name: String(name), ...(labels ? { labels } : {}) }, spec: built.spec } as Resource];
          beforeStore = built.beforeStore;
        }
        for (const r of created) mustBeNew(resources, noun, r.metadata.name);
        const names = created.map((r) => r.metadata.name).join(", ");
        return {
          after: [...resources, ...created],
          changed: created.map(addressOf),
          message: (opts.message as string | undefined) ?? `create ${noun.noun} ${names}`,
          dryRun: Boolean(opts.dryRun),
          beforeStore: beforeStore ? [beforeStore] : [],
        };
      });
    },
  };
}
