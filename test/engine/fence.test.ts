// The engine's own apply writes carry the apply lock's fence: an apply whose lock was broken and
// taken by another holder mid-way cannot close its record or mark its revision applied.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { HecateError } from "../../src/diag.js";
import { APPLY_LOCK } from "../../src/engine/lock.js";
import { rig, route, type Rig } from "./setup.js";

describe("fenced apply", () => {
  let r: Rig;
  before(async () => (r = await rig()));
  after(async () => r.cleanup());

  it("an apply that lost its lock mid-way is refused its closing writes", async () => {
    const { revision } = await r.engine.commit([route("app", "127.0.0.1:8001")], { message: "first" });
    const apply = r.caddy.apply.bind(r.caddy);
    r.caddy.apply = async (...args) => {
      // An operator's `unlock --force`, and another holder takes the lock while this step runs.
      await r.store.breakLock(APPLY_LOCK);
      assert.equal((await r.store.tryLock(APPLY_LOCK, "bob@elsewhere/2/bb", 60_000)).acquired, true);
      return apply(...args);
    };
    await assert.rejects(r.engine.apply(), (e: unknown) => e instanceof HecateError && e.code === "fenced" && e.status === 409);
    r.caddy.apply = apply;
    assert.equal(await r.store.lastApplied(), undefined, "not marked applied");
    const [rec] = await r.store.listApplies();
    assert.equal(rec?.revision, revision.hash);
    assert.equal(rec?.status, "running", "left for the new holder's recovery, not closed by the loser");
    assert.equal((await r.store.getLock(APPLY_LOCK))?.holder, "bob@elsewhere/2/bb", "the loser's release left the winner's lock alone");
  });

  it("a lock broken while an apply runs aborts that apply; the apply that broke it undoes it and proceeds", async (t) => {
    const r = await rig();
    t.after(() => r.cleanup());
    await r.engine.commit([route("app", "127.0.0.1:8001")], { message: "one" });
    assert.equal((await r.engine.apply()).status, "succeeded");
    const before = r.caddy.live();
    await r.engine.commit([route("app", "127.0.0.1:8002")], { message: "two" });
    const alice = r.other("alice", { lease: { ttlMs: 2000, renewEveryMs: 100 } });
    // alice's apply lands half of its Caddy change, then hangs until something aborts it.
    r.caddy.fault = "partial-hang";
    let hanging!: () => void;
    const hung = new Promise<void>((res) => (hanging = res));
    r.caddy.onHang = () => hanging();
    const first = alice.apply().then(
      (res) => ({ res, err: undefined as unknown }),
      (err: unknown) => ({ res: undefined, err }),
    );
    await hung;
    assert.notDeepEqual(r.caddy.live(), before, "alice's half change is live");
    // An operator breaks the lock (`hecate unlock --force`) and bob applies.
    await r.store.breakLock(APPLY_LOCK);
    const bob = await r.other("bob").apply();
    assert.equal(bob.status, "succeeded", JSON.stringify(bob.steps));
    const audit = await r.store.listAudit({ limit: 10 });
    const recovered = audit.find((a) => a.action === "apply.recover");
    assert.equal((recovered?.detail as { status?: string })?.status, "rolled-back", "bob undid alice's half apply before his own");
    // alice's renewal found the lease gone: her apply stopped and wrote nothing more.
    const { err } = await first;
    assert.ok(err instanceof HecateError && (err.code === "fenced" || err.code === "lock-lost"), String(err));
    assert.deepEqual(Object.values(r.caddy.live()).map((o) => (o.spec as { upstreams: string[] }).upstreams), [["127.0.0.1:8002"]]);
    assert.deepEqual((await r.engine.plan()).steps, [], "bob's revision is what runs");
  });
});
