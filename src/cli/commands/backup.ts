// `hecate backup --out FILE` and `hecate restore FILE`: the whole store (secrets stay encrypted).
import { UsageError } from "../../diag.js";
import type { CommandDef } from "../core/define.js";
import { method } from "./engine.js";
import { DRY_RUN, YES } from "./shared-flags.js";

export const backup: CommandDef = {
  name: "backup",
  summary: "write the whole store (revisions, audit log, journal, encrypted secrets) to a file",
  flags: [{ flags: "--out <file>", description: "backup file to write (e.g. hecate-$(date +%F).tar.gz)" }],
  examples: ["hecate backup --out /backups/hecate-$(date +%F).tar.gz", "hecate backup --out hecate.bak -o json"],
  async run(ctx, _args, opts) {
    if (opts.out === undefined) throw new UsageError("backup needs --out FILE");
    const m = await method(await ctx.engine(), "backup")(String(opts.out));
    if (ctx.output === "json") return void ctx.json(m);
    ctx.say(`wrote ${opts.out}: ${m.counts.revisions} revisions, ${m.counts.secrets} secrets (encrypted), ${m.counts.audit} audit entries`);
  },
};

export const restore: CommandDef = {
  name: "restore",
  args: ["[file]"],
  summary: "replace the store with a backup (--dry-run shows what would change)",
  flags: [{ flags: "--from <file>", description: "backup file (same as FILE)" }, DRY_RUN, YES],
  examples: ["hecate restore /backups/hecate-2026-01-15.tar.gz --dry-run", "hecate restore /backups/hecate-2026-01-15.tar.gz --yes"],
  async run(ctx, [file], opts) {
    const from = (file ?? opts.from) as string | undefined;
    if (!from) throw new UsageError("restore needs a FILE (or --from FILE)");
    const engine = await ctx.engine();
    const preview = await method(engine, "restore")(from, { dryRun: true });
    const describe = (r: typeof preview) =>
      `revisions: ${r.revisions.added.length} added, ${r.revisions.removed.length} removed (${r.revisions.total} total); head ${short(r.headBefore)} -> ${short(r.headAfter)}; secrets ${r.secrets.before} -> ${r.secrets.after}`;
    if (opts.dryRun) {
      if (ctx.output === "json") ctx.json(preview);
      else ctx.out(`would restore ${from} (made ${preview.created}): ${describe(preview)}\ndry run: nothing changed`);
      return 0;
    }
    const ok = await ctx.confirm(`Replace the store with ${from}? (${describe(preview)})`, {
      yes: Boolean(opts.yes) || preview.revisions.removed.length === 0,
      refusal: `restoring ${from} would remove ${preview.revisions.removed.length} revision(s) from the store; re-run with --yes`,
    });
    if (!ok) return 1;
    const r = await method(engine, "restore")(from, {});
    if (ctx.output === "json") ctx.json(r);
    else ctx.say(`restored ${from}: ${describe(r)}`);
  },
};

function short(h: string | undefined): string {
  return h ? h.slice(0, 12) : "(none)";
}
