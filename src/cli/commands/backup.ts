// `hecate backup --out FILE` and `hecate restore FILE`: the whole store (secrets stay encrypted),
// signed with a key derived from the store's secret key; restore shows exactly what it changes.
import { UsageError } from "../../diag.js";
import type { RestoreReport } from "../../engine/index.js";
import type { CommandDef } from "../core/define.js";
import { method } from "./engine.js";
import { DRY_RUN, YES } from "./shared-flags.js";

export const backup: CommandDef = {
  name: "backup",
  summary: "write the whole store (revisions, audit log, journal, encrypted secrets) to a signed file",
  flags: [{ flags: "--out <file>", description: "backup file to write (e.g. hecate-$(date +%F).tar.gz)" }],
  examples: ["hecate backup --out /backups/hecate-$(date +%F).tar.gz", "hecate backup --out hecate.bak -o json"],
  async run(ctx, _args, opts) {
    if (opts.out === undefined) throw new UsageError("backup needs --out FILE");
    const m = await method(await ctx.engine(), "backup")(String(opts.out));
    if (ctx.output === "json") return void ctx.json(m);
    ctx.say(
      `wrote ${opts.out}: ${m.counts.revisions} revisions, ${m.counts.secrets} secrets (encrypted), ${m.counts.audit} audit entries; ` +
        `signed with secret key id ${m.keyId} (restoring needs that key)`,
    );
  },
};

export const restore: CommandDef = {
  name: "restore",
  args: ["[file]"],
  summary: "replace the store with a signed backup (--dry-run shows exactly what would change)",
  flags: [
    { flags: "--from <file>", description: "backup file (same as FILE)" },
    DRY_RUN,
    YES,
    { flags: "--key-file <file>", description: "the secret key the backup was made with, if the store was rekeyed since (its secrets are sealed again with the current key)" },
    { flags: "--insecure-skip-signature", description: "restore even if the signature is missing or does not verify (audited); only for a file you trust" },
  ],
  examples: [
    "hecate restore /backups/hecate-2026-01-15.tar.gz --dry-run",
    "hecate restore /backups/hecate-2026-01-15.tar.gz --yes",
    "hecate restore /backups/hecate-2026-01-15.tar.gz --dry-run -o json",
    "hecate restore /backups/hecate-2026-01-15.tar.gz --key-file /root/secret.key.2026-01 --yes",
  ],
  async run(ctx, [file], opts) {
    const from = (file ?? opts.from) as string | undefined;
    if (!from) throw new UsageError("restore needs a FILE (or --from FILE)");
    const skipSignature = Boolean(opts.insecureSkipSignature);
    const engine = await ctx.engine();
    const key = opts.keyFile === undefined ? undefined : await oldKey(String(opts.keyFile));
    const given = key ? { key } : {};
    const preview = await method(engine, "restore")(from, { dryRun: true, skipSignature, ...given });
    if (preview.signature.status === "skipped") ctx.warn(`the signature of ${from} is not verified (${preview.signature.reason}); the restore is audited as unverified`);
    if (opts.dryRun) {
      if (ctx.output === "json") ctx.json(preview);
      else ctx.out(`would restore ${from}:\n${describeRestore(preview)}\ndry run: nothing changed`);
      return 0;
    }
    const ok = await ctx.confirm(`Restoring ${from} replaces the store:\n${describeRestore(preview)}\nRestore?`, {
      yes: Boolean(opts.yes) || (preview.revisions.removed.length === 0 && preview.audit.removed === 0 && preview.signature.status === "valid"),
      refusal: `restoring ${from} would remove ${preview.revisions.removed.length} revision(s) and ${preview.audit.removed} audit row(s)${preview.signature.status === "skipped" ? " and its signature is not verified" : ""}; check with --dry-run, then re-run with --yes`,
    });
    if (!ok) return 1;
    const r = await method(engine, "restore")(from, { skipSignature, ...given });
    if (ctx.output === "json") ctx.json(r);
    else ctx.say(`restored ${from}:\n${describeRestore(r)}`);
  },
};

async function oldKey(file: string): Promise<Buffer> {
  const { readKeyFile } = await import("../../secrets/rekey.js");
  const key = readKeyFile(file);
  if (!key) throw new UsageError(`--key-file ${file} does not exist`);
  return key;
}

/** The report, one line per part of the store, names only for secrets and settings. */
function describeRestore(r: RestoreReport): string {
  const lines: string[] = [];
  const sig = r.signature;
  lines.push(
    sig.status === "valid"
      ? `  backup made ${r.created}, signature valid (secret key id ${sig.keyId})`
      : `  backup made ${r.created}, SIGNATURE NOT VERIFIED (--insecure-skip-signature): ${sig.reason}`,
  );
  lines.push(`  revisions: ${r.revisions.added.length} added, ${r.revisions.removed.length} removed (${r.revisions.total} total)`);
  for (const h of r.revisions.added) lines.push(`    + ${short(h)}`);
  for (const h of r.revisions.removed) lines.push(`    - ${short(h)}`);
  lines.push(`  head: ${change(r.headBefore, r.headAfter)}`);
  lines.push(`  applied: ${change(r.appliedBefore, r.appliedAfter)}`);
  lines.push(`  audit log: ${r.audit.added} rows added, ${r.audit.removed} removed (${r.audit.before} -> ${r.audit.after})`);
  lines.push(`  secrets: ${names(r.secrets)} (${r.secrets.before} -> ${r.secrets.after})`);
  lines.push(`  settings: ${names(r.settings)}`);
  if (r.applies.abandoned.length === 0) lines.push(`  applies: ${r.applies.before} -> ${r.applies.after}`);
  else {
    lines.push(`  applies: ${r.applies.before} -> ${r.applies.after}; running when the backup was made, marked abandoned (never recovered or replayed):`);
    for (const a of r.applies.abandoned) lines.push(`    ${a.applyId} (revision ${short(a.revision)}, ${a.holder}, started ${a.startedAt})`);
    lines.push("    the live systems may differ from the applied revision: run `hecate plan` to see what an apply would change");
  }
  return lines.join("\n");
}

function names(d: { added: string[]; removed: string[]; changed: string[] }): string {
  const parts = [
    ...(d.added.length ? [`added ${d.added.join(", ")}`] : []),
    ...(d.removed.length ? [`removed ${d.removed.join(", ")}`] : []),
    ...(d.changed.length ? [`changed ${d.changed.join(", ")}`] : []),
  ];
  return parts.length ? parts.join("; ") : "unchanged";
}

function change(before: string | undefined, after: string | undefined): string {
  return before === after ? `${short(before)} (unchanged)` : `${short(before)} -> ${short(after)}`;
}

function short(h: string | undefined): string {
  return h ? h.slice(0, 12) : "(none)";
}
