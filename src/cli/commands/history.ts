// `hecate history`: the revisions of the desired state, newest first.
import type { RevisionMeta } from "../../store/store.js";
import type { CommandDef } from "../core/define.js";
import { int } from "../nouns/parse.js";

export function sourceOf(m: RevisionMeta): string {
  const s = m.source;
  return [s.type, s.location, s.ref].filter(Boolean).join(":");
}

export const history: CommandDef = {
  name: "history",
  summary: "list revisions (seq, hash, time, author, source, message); * marks the one last applied",
  flags: [{ flags: "-n, --limit <n>", description: "show at most this many (default 50)" }],
  examples: ["hecate history", "hecate history -n 5", "hecate history -o json"],
  async run(ctx, _args, opts) {
    const limit = int(opts.limit, "--limit") ?? 50;
    let revs: RevisionMeta[];
    let applied: string | undefined;
    if (ctx.remote) {
      const items = await ctx.remote.history(limit);
      applied = items.find((r) => r.applied)?.hash;
      revs = items.map(({ applied: _a, ...r }) => r);
    } else {
      const store = await ctx.store();
      revs = await store.listRevisions({ limit });
      applied = (await store.lastApplied())?.hash;
    }
    const rows = ctx.format("table") === "table" ? revs : revs.map((r) => ({ ...r, applied: r.hash === applied }));
    ctx.records(rows, [
      { header: "SEQ", get: (r) => `${r.hash === applied ? "*" : " "}${r.seq}` },
      { header: "HASH", get: (r) => r.hash.slice(0, 12) },
      { header: "TIME", get: (r) => r.createdAt.replace(/\.\d+Z$/, "Z") },
      { header: "AUTHOR", get: (r) => r.author },
      { header: "SOURCE", get: sourceOf },
      { header: "MESSAGE", get: (r) => r.message },
    ], "no revisions yet (create a resource or `hecate apply` some YAML)");
  },
};
