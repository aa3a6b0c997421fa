// `hecate unlock`: show who holds the apply lock; --force removes it (after a crash on another host).
import { HecateError } from "../../diag.js";
import { APPLY_LOCK, breakLock } from "../../engine/lock.js";
import type { CommandDef } from "../core/define.js";

export const unlock: CommandDef = {
  name: "unlock",
  summary: "show the apply lock's holder; --force removes it (the next apply undoes what a dead holder left half done)",
  flags: [{ flags: "--force", description: "remove the lock whoever holds it" }],
  examples: ["hecate unlock", "hecate unlock --force"],
  async run(ctx, _args, opts) {
    const store = await ctx.store();
    const lock = await store.getLock(APPLY_LOCK);
    if (!lock) return void ctx.out("the apply lock is free");
    if (!opts.force) {
      throw new HecateError("locked", `the apply lock is held by ${lock.holder} since ${lock.acquiredAt} (expires ${lock.expiresAt}); run \`hecate unlock --force\` only if that process is gone`);
    }
    const removed = await breakLock(store, APPLY_LOCK, ctx.author);
    ctx.out(`removed the apply lock held by ${removed?.holder ?? lock.holder}`);
  },
};
