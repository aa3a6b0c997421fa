// `hecate audit`: the append-only audit log of every change (revisions, applies, rollbacks, locks).
import type { CommandDef } from "../core/define.js";
import { int } from "../nouns/parse.js";

export const audit: CommandDef = {
  name: "audit",
  summary: "list the audit log, newest first: who did what to which revision, and when",
  flags: [{ flags: "-n, --limit <n>", description: "show at most this many (default 50)" }],
  examples: ["hecate audit", "hecate audit -n 10", "hecate audit -o json"],
  async run(ctx, _args, opts) {
    const store = await ctx.store();
    const entries = await store.listAudit({ limit: int(opts.limit, "--limit") ?? 50 });
    ctx.records(entries, [
      { header: "TIME", get: (e) => (e.at ?? "").replace(/\.\d+Z$/, "Z") },
      { header: "ACTOR", get: (e) => e.actor },
      { header: "ACTION", get: (e) => e.action },
      { header: "TARGET", get: (e) => (e.target && /^[0-9a-f]{64}$/.test(e.target) ? e.target.slice(0, 12) : e.target ?? "") },
      { header: "DETAIL", get: (e) => summarize(e.detail) },
    ], "the audit log is empty");
  },
};

function summarize(d: Record<string, unknown> | undefined): string {
  if (!d) return "";
  const parts: string[] = [];
  for (const k of ["status", "seq", "applyId", "holder"]) if (d[k] !== undefined) parts.push(`${k}=${typeof d[k] === "object" ? JSON.stringify(d[k]) : String(d[k])}`);
  return parts.join(" ");
}
