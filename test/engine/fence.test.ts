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
});
