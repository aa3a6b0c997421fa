// `hecate migrate-store --from URL --to URL`: move the whole store to another backend (SQLite to
// etcd when Hecate grows past one machine), keeping every revision, audit row and secret.
import { UsageError } from "../../diag.js";
import type { CommandDef } from "../core/define.js";

export const migrateStore: CommandDef = {
  name: "migrate-store",
  local: "copies one store into another directly (SQLite file or etcd), not through a server",
  summary: "copy the whole store to another backend (every revision, audit row and sealed secret)",
  flags: [
    { flags: "--from <url>", description: "the store to copy: sqlite:PATH, a file path, or etcd://host:port[,host:port...][/prefix]" },
    { flags: "--to <url>", description: "the store to fill (empty unless --replace)" },
    { flags: "--replace", description: "overwrite a target store that already holds revisions or an audit log" },
  ],
  examples: [
    "hecate migrate-store --from sqlite:$HOME/.local/state/hecate/hecate.db --to etcd://10.0.0.1:2379,10.0.0.2:2379,10.0.0.3:2379",
    "hecate migrate-store --from etcd://10.0.0.1:2379 --to sqlite:/var/backups/hecate.db -o json",
  ],
  async run(ctx, _args, opts) {
    const from = opts.from as string | undefined;
    const to = opts.to as string | undefined;
    if (!from || !to) throw new UsageError("migrate-store needs --from URL and --to URL");
    if (from === to) throw new UsageError("--from and --to name the same store");
    const { openStore } = await import("../../store/index.js");
    const { migrateStore: migrate } = await import("../../store/migrate.js");
    const env = ctx.io.env as NodeJS.ProcessEnv;
    const source = await openStore({ url: from, env });
    try {
      const target = await openStore({ url: to, env });
      try {
        const r = await migrate(source, target, { replace: Boolean(opts.replace) });
        if (ctx.output === "json") return void ctx.json(r);
        ctx.say(
          `copied ${from} to ${to}: ${r.revisions} revisions (head ${r.head?.slice(0, 12) ?? "none"}, applied ${r.applied?.slice(0, 12) ?? "none"}), ` +
            `${r.audit} audit entries (chain verified), ${r.applies} applies, ${r.secrets} secrets (still sealed with the same secret key), ${r.settings} settings`,
        );
      } finally {
        await target.close();
      }
    } finally {
      await source.close();
    }
  },
};
