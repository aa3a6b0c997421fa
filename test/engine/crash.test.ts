// A process SIGKILLed at any point of a two-system apply is found and undone by the next run:
// reality ends at the old revision everywhere, and the journal and audit log say so.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rig, route, runUntilKilled, stream } from "./setup.js";

const rev1 = () => [route("app", "127.0.0.1:8001"), route("api", "127.0.0.1:8002"), stream("pg", 15432, "127.0.0.1:5432")];
const rev2 = () => [route("app", "127.0.0.1:9001"), route("web", "127.0.0.1:9003"), stream("pg", 15432, "127.0.0.1:6432")];

/** Run the child until it reports reaching `killAt`, then kill -9 it and wait for it to be gone. */
function applyAndKill(storePath: string, dir: string, killAt: string): Promise<void> {
  return runUntilKilled(new URL("./crash-child.ts", import.meta.url), [storePath, dir, killAt], killAt, 20_000);
}

describe("recovery after SIGKILL mid-apply", () => {
  for (const killAt of ["step.start:caddy", "apply:caddy", "step.done:caddy", "step.start:nginx", "apply:nginx", "step.done:nginx"]) {
    it(`killed at ${killAt}: the next run restores the old revision`, async () => {
      const r = await rig();
      try {
        await r.engine.commit(rev1(), { message: "one" });
        assert.equal((await r.engine.apply()).status, "succeeded");
        const old = { caddy: r.caddy.live(), nginx: r.nginx.live() };
        const good = (await r.store.lastApplied())!.hash;
        await r.engine.commit(rev2(), { message: "two" });

        await applyAndKill(r.storePath, r.dir, killAt);
        const [running] = await r.store.listApplies({ status: "running" });
        assert.ok(running, "the killed apply is left marked running");
        if (killAt !== "step.start:caddy") {
          assert.notDeepEqual({ caddy: r.caddy.live(), nginx: r.nginx.live() }, old, "the kill left a half-applied mix");
        }

        // The next run of anything (here: plan) finds and undoes it.
        const plan = await r.other("carol").plan();
        assert.deepEqual(r.caddy.live(), old.caddy);
        assert.deepEqual(r.nginx.live(), old.nginx);
        assert.equal((await r.store.getApply(running.applyId))?.status, "rolled-back");
        assert.equal((await r.store.lastApplied())!.hash, good);
        assert.ok(plan.steps.length > 0, "the new revision is still to be applied");
        const journal = await r.store.readJournal(running.applyId);
        assert.ok(journal.some((e) => e.event === "recover"));
        const started = journal.filter((e) => e.event === "step.start").map((e) => e.system);
        const undone = journal.filter((e) => e.event === "restore.done").map((e) => e.system);
        assert.deepEqual(undone, [...started].reverse());
        const audit = await r.store.listAudit({ limit: 20 });
        assert.ok(audit.some((a) => a.action === "apply.recover" && (a.detail as { applyId?: string }).applyId === running.applyId));
        assert.ok(audit.some((a) => a.action === "lock.break"));

        // Nothing orphaned: a fresh apply goes through cleanly.
        assert.equal((await r.other("carol").apply()).status, "succeeded");
        assert.deepEqual(Object.keys(r.caddy.live()).sort(), ["app", "web"]);
        assert.equal((await r.store.listApplies({ status: "running" })).length, 0);
      } finally {
        await r.cleanup();
      }
    });
  }
});
