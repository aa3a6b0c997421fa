// `apply --system X` applies a revision to X alone: drift, health and reconcile must compare every
// other system with what was last applied to it, not report its objects as changed outside Hecate
// or put them forward to a revision nobody applied to them.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { rig, route, stream, type Rig } from "./setup.js";

const rev1 = () => [route("app", "127.0.0.1:8001"), stream("pg", 15432, "127.0.0.1:5432")];
const rev2 = () => [route("app", "127.0.0.1:9001"), route("web", "127.0.0.1:9003"), stream("pg", 15432, "127.0.0.1:6432")];

describe("a revision applied to some systems alone", () => {
  let r: Rig;
  before(async () => (r = await rig()));
  after(async () => r.cleanup());

  it("drift compares each system with what was applied to it, reconcile puts each back to its own, a full apply ends it", async () => {
    const one = (await r.engine.commit(rev1(), { message: "one" })).revision;
    assert.equal((await r.engine.apply()).status, "succeeded");
    const two = (await r.engine.commit(rev2(), { message: "two" })).revision;
    assert.equal((await r.engine.apply({ systems: ["caddy"] })).status, "succeeded");
    assert.deepEqual(Object.keys(r.caddy.live()).sort(), ["app", "web"], "caddy has revision two");
    assert.deepEqual(r.nginx.live()["pg"]?.spec, { listen: { port: 15432 }, upstreams: ["127.0.0.1:5432"] }, "nginx still has revision one");

    assert.equal((await r.store.lastApplied())?.hash, one.hash, "the revision applied everywhere is still one");
    assert.equal((await r.store.lastApplied("caddy"))?.hash, two.hash);
    const drift = await r.engine.drift();
    assert.equal(drift.drifted, false, `nothing changed outside Hecate: ${JSON.stringify(drift.systems)}`);
    assert.equal(drift.systems.find((s) => s.system === "caddy")?.revision, two.hash, "caddy is compared with the revision applied to it alone");
    const health = await r.engine.health();
    assert.deepEqual(health.alone, [{ system: "caddy", applied: two.seq }]);
    assert.deepEqual(health.systems.map((s) => `${s.system} ${s.state}`), ["caddy ok", "nginx ok"]);

    // A hand edit of nginx is drift against revision one, and reconcile puts back one's stream, not two's.
    r.nginx.handEdit((o) => delete o["pg"]);
    const after1 = await r.engine.drift();
    assert.deepEqual(after1.systems.filter((s) => s.changes.length).map((s) => s.system), ["nginx"]);
    assert.equal((await r.engine.reconcile()).status, "succeeded");
    assert.deepEqual(r.nginx.live()["pg"]?.spec, { listen: { port: 15432 }, upstreams: ["127.0.0.1:5432"] });
    assert.deepEqual(Object.keys(r.caddy.live()).sort(), ["app", "web"], "reconcile left caddy at revision two");
    assert.equal((await r.engine.drift()).drifted, false);

    // Applying two to every system: one revision applied everywhere again.
    assert.equal((await r.engine.apply()).status, "succeeded");
    assert.deepEqual(r.nginx.live()["pg"]?.spec, { listen: { port: 15432 }, upstreams: ["127.0.0.1:6432"] });
    assert.equal((await r.store.lastApplied())?.hash, two.hash);
    assert.equal((await r.store.dump()).appliedTo, undefined);
    assert.equal((await r.engine.drift()).systems.some((s) => s.revision), false);
  });
});
