// `hecate audit`: the append-only audit log of every change (revisions, applies, rollbacks, locks).
import { HecateError } from "../../diag.js";
import type { CommandDef } from "../core/define.js";
import { int } from "../nouns/parse.js";

export const auditVerify: CommandDef = {
  name: "verify",
  summary: "check the audit log's hash chain: exit 1 when an entry was edited or deleted",
  examples: ["hecate audit verify", "hecate audit verify -o json"],
  async run(ctx) {
    const v = await (await ctx.store()).verifyAudit();
    if (ctx.output === "json") ctx.json(v);
    else if (v.ok) ctx.out(`${ctx.paint("green", "ok:")} the audit log's ${v.entries} entr${v.entries === 1 ? "y chains" : "ies chain"} unbroken`);
    if (v.ok) return 0;
    throw new HecateError(
      "audit-tampered",
      `the audit log was changed outside Hecate: ${v.problems.map((p) => p.message).join("; ")}`,
      { diagnostics: v.problems.map((p) => ({ severity: "error" as const, code: "audit-chain", message: p.message, ...(p.id !== undefined ? { address: `audit #${p.id}` } : {}) })) },
    );
  },
};

export const audit: CommandDef = {
  name: "audit",
  subcommands: [auditVerify],
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
      { header: "FROM", get: (e) => e.address ?? "" },
    ], "the audit log is empty");
  },
};

function summarize(d: Record<string, unknown> | undefined): string {
  if (!d) return "";
  const parts: string[] = [];
  for (const k of ["status", "seq", "applyId", "holder"]) if (d[k] !== undefined) parts.push(`${k}=${typeof d[k] === "object" ? JSON.stringify(d[k]) : String(d[k])}`);
  return parts.join(" ");
}
