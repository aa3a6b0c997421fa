// The commands without a noun (`hecate apply`, `hecate history`, ...): the table program.ts
// builds the command tree from, and run.ts dispatches simple command lines from without
// commander (direct.ts). No module here loads commander.
import type { CommandDef } from "./core/define.js";

export type Load = () => Promise<CommandDef[]>;

/** The definitions named `names`, from a module's list of them, in that order; the lists must agree. */
export function pick(defs: readonly CommandDef[], names: readonly string[], where: string): CommandDef[] {
  const extra = defs.find((d) => !names.includes(d.name));
  if (extra) throw new Error(`internal: ${where} defines command "${extra.name}", which src/cli/top-level.ts does not list`);
  return names.map((n) => {
    const d = defs.find((x) => x.name === n);
    if (!d) throw new Error(`internal: ${where} defines no command "${n}" (src/cli/top-level.ts lists it)`);
    return d;
  });
}

/** Commands without a noun, in the order help lists them; several may share one module. */
export const TOP_LEVEL: { names: string[]; load: Load }[] = [
  { names: ["validate"], load: async () => [(await import("./commands/validate.js")).validate] },
  { names: ["schema"], load: async () => [(await import("./commands/schema.js")).schema] },
  { names: ["presets"], load: async () => [(await import("./commands/presets.js")).presets] },
  { names: ["history"], load: async () => [(await import("./commands/history.js")).history] },
  { names: ["show"], load: async () => [(await import("./commands/show.js")).show] },
  { names: ["diff"], load: async () => [(await import("./commands/diff.js")).diff] },
  { names: ["render"], load: async () => [(await import("./commands/render.js")).render] },
  { names: ["plan"], load: async () => [(await import("./commands/plan.js")).plan] },
  { names: ["apply"], load: async () => [(await import("./commands/apply.js")).apply] },
  { names: ["drift"], load: async () => [(await import("./commands/drift.js")).drift] },
  { names: ["reconcile"], load: async () => [(await import("./commands/reconcile.js")).reconcile] },
  { names: ["rollback"], load: async () => [(await import("./commands/rollback.js")).rollback] },
  { names: ["backup", "restore"], load: async () => { const m = await import("./commands/backup.js"); return [m.backup, m.restore]; } },
  { names: ["canary", "switch", "disable", "enable", "block", "unblock", "bypass-auth"], load: async () => (await import("./commands/delivery.js")).DELIVERY_COMMANDS },
  { names: ["health", "metrics"], load: async () => { const m = await import("./commands/health.js"); return [m.health, m.metrics]; } },
  { names: ["migrate-store"], load: async () => [(await import("./commands/migrate-store.js")).migrateStore] },
  { names: ["audit"], load: async () => [(await import("./commands/audit.js")).audit] },
  { names: ["unlock"], load: async () => [(await import("./commands/unlock.js")).unlock] },
  { names: ["serve"], load: async () => [(await import("./commands/serve.js")).serve] },
  { names: ["up", "down", "status"], load: async () => { const m = await import("./commands/up.js"); return [m.up, m.down, m.status]; } },
];
