// `hecate history`: the revisions of the desired state, newest first.
import type { RevisionMeta } from "../../store/store.js";
import type { CommandDef } from "../core/define.js";
import { int } from "../nouns/parse.js";

/** Where a revision came from; a revision hash in it (a rollback's target) as its 12-character short form. */
export function sourceOf(m: RevisionMeta): string {
  const s = m.source;
  return [s.type, s.location, s.ref]
    .filter(Boolean)
    .map((x) => String(x).replace(/\b[0-9a-f]{64}\b/g, (h) => h.slice(0, 12)))
    .join(":");
}

export const history: CommandDef = {
  name: "history",
  summary: "list revisions (seq, hash, time, author, source, message); * marks the one last applied",
  flags: [{ flags: "-n, --limit <n>", description: "show at most this many (default 50)" }],
  examples: ["hecate history", "hecate history -n 5", "hecate history -o json"],
  async run(ctx, _args, opts) {
    const limit = int(opts.limit, "--limit") ?? 50;
    let revs: RevisionMeta[];
    // By seq, not hash: a rollback records an earlier revision's content again, under the same hash.
    let applied: number | undefined;
    if (ctx.remote) {
      const items = await ctx.remote.history(limit);
      applied = items.find((r) => r.applied)?.seq;
      revs = items.map(({ applied: _a, ...r }) => r);
    } else {
      const store = await ctx.store();
      revs = await store.listRevisions({ limit });
      applied = (await store.lastApplied())?.seq;
    }
    const rows = ctx.format("table") === "table" ? revs : revs.map((r) => ({ ...r, applied: r.seq === applied }));
    ctx.records(rows, [
      { header: "SEQ", get: (r) => `${r.seq === applied ? "*" : " "}${r.seq}` },
      { header: "HASH", get: (r) => r.hash.slice(0, 12) },
      { header: "TIME", get: (r) => r.createdAt.replace(/\.\d+Z$/, "Z") },
      { header: "AUTHOR", get: (r) => r.author },
      { header: "SOURCE", get: sourceOf },
      { header: "MESSAGE", get: (r) => r.message },
    ], "no revisions yet (create a resource or `hecate apply` some YAML)");
  },
};
