// Desired state given as resources (`hecate plan DIR`, `hecate apply DIR`) is stored as a revision
// only when the apply goes ahead: a plan stores nothing, and an apply refused by the lock or by a
// world that moved since the plan leaves history exactly as it was.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { HecateError } from "../../src/diag.js";
import { APPLY_LOCK } from "../../src/engine/lock.js";
import { rig, route, type Rig } from "./setup.js";

const refused = (code: string) => (e: unknown) => e instanceof HecateError && e.code === code;

describe("apply of resources stores nothing unless it goes ahead", () => {
  let r: Rig;
  before(async () => (r = await rig()));
  after(async () => r.cleanup());

  it("plan of resources needs no stored revision and stores none", async () => {
    const plan = await r.engine.plan({ resources: [route("app", "127.0.0.1:8001")] });
    assert.equal(plan.summary.create, 1);
    assert.deepEqual(await r.store.listRevisions(), []);
  });

  it("refused by the lock: no revision", async () => {
    await r.engine.commit([route("app", "127.0.0.1:8001")], { message: "one" });
    assert.equal((await r.engine.apply()).status, "succeeded");
    const next = [route("app", "127.0.0.1:8002")];
    assert.equal((await r.store.tryLock(APPLY_LOCK, `bob@${"x".repeat(3)}/1/aa`, 60_000)).acquired, true);
    try {
      await assert.rejects(r.engine.apply({ resources: next }, { resources: next, lockTimeoutMs: 50 }), refused("locked"));
    } finally {
      await r.store.breakLock(APPLY_LOCK);
    }
    assert.equal((await r.store.listRevisions()).length, 1, "history is as it was");
  });

  it("reality changed since the plan: no revision", async () => {
    const next = [route("app", "127.0.0.1:8003")];
    const plan = await r.engine.plan({ resources: next });
    r.caddy.handEdit((o) => (o["hand"] = { resource: "Route/hand", spec: {} }));
    await assert.rejects(r.engine.apply(plan, { resources: next }), refused("stale-plan"));
    assert.equal((await r.store.listRevisions()).length, 1, "history is as it was");
    r.caddy.handEdit((o) => delete o["hand"]);
  });

  it("an apply that goes ahead stores the revision, with its message, and applies it", async () => {
    const next = [route("app", "127.0.0.1:8004")];
    const res = await r.engine.apply({ resources: next }, { resources: next, commit: { message: "from conf/" } });
    assert.equal(res.status, "succeeded");
    const head = await r.store.head();
    assert.equal(head?.seq, 2);
    assert.equal(head?.message, "from conf/");
    assert.equal((await r.store.lastApplied())?.hash, head?.hash);
  });
});
