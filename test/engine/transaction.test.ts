// Engine transaction semantics against file-backed test-double providers: plan/apply/no-op,
// failures at every step roll everything back, locks, saved plans, rails, rollback, drift.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { HecateError } from "../../src/diag.js";
import { loadPlan, renderPlan, savePlan } from "../../src/engine/index.js";
import type { EngineEvent } from "../../src/engine/types.js";
import { rig, route, stream, type Rig } from "./setup.js";

const rev1 = () => [route("app", "127.0.0.1:8001"), route("api", "127.0.0.1:8002"), stream("pg", 15432, "127.0.0.1:5432")];
const rev2 = () => [route("app", "127.0.0.1:9001"), route("web", "127.0.0.1:9003"), stream("pg", 15432, "127.0.0.1:6432"), stream("redis", 16379, "127.0.0.1:6379")];

async function rejectsCode(p: Promise<unknown>, code: string): Promise<HecateError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof HecateError, `expected HecateError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected HecateError ${code}`);
}

describe("plan and apply", () => {
  let r: Rig;
  before(async () => (r = await rig()));
  after(async () => r.cleanup());

  it("applies a revision to both systems, then plans nothing, repeatedly", async () => {
    const { revision } = await r.engine.commit(rev1(), { message: "first" });
    const plan = await r.engine.plan();
    assert.deepEqual(plan.summary, { create: 3, update: 0, delete: 0 });
    assert.deepEqual(plan.steps.map((s) => s.system), ["caddy", "nginx"]);
    const text = renderPlan(plan, { color: false });
    assert.match(text, /\+ create route app {2}\(Route\/app\)/);
    assert.match(text, /Plan: 3 to create, 0 to update, 0 to delete\./);
    assert.doesNotMatch(text, /\x1b\[/);
    const res = await r.engine.apply();
    assert.equal(res.status, "succeeded");
    assert.deepEqual(Object.keys(r.caddy.live()).sort(), ["api", "app"]);
    assert.deepEqual(Object.keys(r.nginx.live()), ["pg"]);
    assert.equal((await r.store.lastApplied())?.hash, revision.hash);
    for (let i = 0; i < 3; i++) {
      const again = await r.engine.plan();
      assert.equal(again.steps.length, 0);
      assert.match(renderPlan(again, { color: false }), /No changes/);
      const before = r.caddy.applies;
      assert.equal((await r.engine.apply()).status, "no-op");
      assert.equal(r.caddy.applies, before, "a no-op apply calls no provider");
    }
  });

  it("shows updates field by field, deletes, and colors only when asked", async () => {
    await r.engine.commit(rev2(), { message: "second" });
    const plan = await r.engine.plan();
    assert.deepEqual(plan.summary, { create: 2, update: 2, delete: 1 });
    const text = renderPlan(plan, { color: false });
    assert.match(text, /~ update route app/);
    assert.match(text, /~ upstreams\.0: "127\.0\.0\.1:8001" -> "127\.0\.0\.1:9001"/);
    assert.match(text, /- delete route api/);
    assert.match(renderPlan(plan, { color: true }), /\x1b\[31m {2}- delete/);
    const dry = await r.engine.apply({}, { dryRun: true });
    assert.equal(dry.status, "dry-run");
    assert.deepEqual(Object.keys(r.caddy.live()).sort(), ["api", "app"], "dry run touches nothing");
    assert.equal((await r.engine.apply()).status, "succeeded");
    assert.deepEqual(Object.keys(r.caddy.live()).sort(), ["app", "web"]);
  });
});

describe("a failure at any step leaves the old revision everywhere", () => {
  for (const system of ["caddy", "nginx"] as const) {
    for (const fault of ["error", "hang", "partial", "verify"] as const) {
      it(`${system} ${fault === "hang" ? "times out" : fault === "verify" ? "fails verification" : fault === "partial" ? "fails half way" : "refuses"}`, async () => {
        const r = await rig({ stepTimeoutMs: 300 });
        try {
          await r.engine.commit(rev1(), { message: "one" });
          assert.equal((await r.engine.apply()).status, "succeeded");
          const old = { caddy: r.caddy.live(), nginx: r.nginx.live() };
          const good = (await r.store.lastApplied())!.hash;
          await r.engine.commit(rev2(), { message: "two" });
          r[system].fault = fault;
          const events: EngineEvent[] = [];
          const res = await r.engine.apply({}, { onEvent: (e) => void events.push(e) });
          r[system].fault = undefined;
          assert.equal(res.status, "rolled-back", JSON.stringify(res.steps));
          assert.deepEqual(r.caddy.live(), old.caddy, "caddy is back to the old revision");
          assert.deepEqual(r.nginx.live(), old.nginx, "nginx is back to the old revision");
          assert.equal((await r.store.lastApplied())!.hash, good);
          const failed = res.steps.find((s) => s.status === "failed");
          assert.equal(failed?.system, system);
          if (fault === "hang") assert.match(failed!.error!, /did not finish within 300 ms/);
          // The journal tells the same story.
          const rec = await r.store.getApply(res.applyId);
          assert.equal(rec?.status, "rolled-back");
          const journal = await r.store.readJournal(res.applyId);
          const undone = journal.filter((e) => e.event === "restore.done").map((e) => e.system);
          const started = journal.filter((e) => e.event === "step.start").map((e) => e.system);
          assert.deepEqual(undone, [...started].reverse(), "every started step undone, in reverse");
          assert.ok(journal.some((e) => e.event === "step.failed" && e.system === system));
          assert.ok(events.some((e) => e.type === "undo.done"));
          // And once the fault is gone the same revision applies fully.
          assert.equal((await r.engine.apply()).status, "succeeded");
          assert.deepEqual(Object.keys(r.caddy.live()).sort(), ["app", "web"]);
          assert.deepEqual(Object.keys(r.nginx.live()).sort(), ["pg", "redis"]);
        } finally {
          await r.cleanup();
        }
      });
    }
  }
});

describe("locking", () => {
  it("two concurrent applies never interleave: the second waits, or fails with locked", async () => {
    const r = await rig();
    try {
      await r.engine.commit(rev1(), { message: "one" });
      const order: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((res) => (release = res));
      let entered!: () => void;
      const inside = new Promise<void>((res) => (entered = res));
      const first = r.engine.apply({}, {
        onEvent: async (e) => {
          if (e.type === "step.start") order.push(`A:${e.system}`);
          if (e.type === "step.start" && e.system === "caddy") {
            entered();
            await gate;
          }
        },
      });
      await inside;
      const bob = r.other("bob");
      const err = await rejectsCode(bob.apply({}, { lockTimeoutMs: 200 }), "locked");
      assert.match(err.message, /alice@.* since \d{4}-/);
      const waits: string[] = [];
      const second = bob.apply({}, { lockTimeoutMs: 10_000, onEvent: (e) => {
        if (e.type === "lock.wait") waits.push(e.holder);
        if (e.type === "step.start") order.push(`B:${e.system}`);
      } });
      await new Promise((res) => setTimeout(res, 300));
      release();
      assert.equal((await first).status, "succeeded");
      const b = await second;
      assert.equal(b.status, "no-op", "B planned after A finished, so nothing was left to do");
      assert.equal(waits.length, 1);
      assert.match(waits[0]!, /^alice@/);
      assert.deepEqual(order, ["A:caddy", "A:nginx"]);
    } finally {
      await r.cleanup();
    }
  });
});

describe("saved plans and safety rails", () => {
  let r: Rig;
  before(async () => (r = await rig()));
  after(async () => r.cleanup());

  it("refuses a saved plan when reality moved, applies it when not", async () => {
    await r.engine.commit(rev1(), { message: "one" });
    const file = join(r.dir, "plan.json");
    await savePlan(await r.engine.plan(), file);
    r.caddy.handEdit((o) => (o["intruder"] = { resource: "Route/intruder", spec: {} }));
    const err = await rejectsCode(r.engine.apply(await loadPlan(file)), "stale-plan");
    assert.match(err.message, /caddy/);
    assert.equal(r.caddy.live()["app"], undefined, "nothing applied");
    r.caddy.handEdit((o) => delete o["intruder"]);
    const res = await r.engine.apply(await loadPlan(file));
    assert.equal(res.status, "succeeded");
    assert.ok(r.caddy.live()["app"]);
  });

  it("refuses more deletes than the limit", async () => {
    const many = Array.from({ length: 12 }, (_, i) => route(`r${i}`, `127.0.0.1:${7000 + i}`));
    await r.engine.commit(many, { message: "many" });
    assert.equal((await r.engine.apply()).status, "succeeded");
    await r.engine.commit([route("r0", "127.0.0.1:7000")], { message: "few" });
    const err = await rejectsCode(r.engine.apply(), "too-many-deletes");
    assert.match(err.message, /deletes 11 objects, more than the limit of 10/);
    assert.equal(Object.keys(r.caddy.live()).length, 12, "nothing deleted");
    assert.equal((await r.engine.apply({}, { maxDeletes: 11 })).status, "succeeded");
    assert.equal(Object.keys(r.caddy.live()).length, 1);
  });

  it("refuses to delete a protected resource unless allowed", async () => {
    await r.engine.commit([route("r0", "127.0.0.1:7000"), route("vault", "127.0.0.1:7100", {}, { protected: true })], { message: "p" });
    assert.equal((await r.engine.apply()).status, "succeeded");
    await r.engine.commit([route("r0", "127.0.0.1:7000")], { message: "drop vault" });
    const err = await rejectsCode(r.engine.apply(), "protected");
    assert.match(err.message, /Route\/vault/);
    assert.ok(r.caddy.live()["vault"]);
    assert.equal((await r.engine.apply({}, { allowProtected: true })).status, "succeeded");
    assert.equal(r.caddy.live()["vault"], undefined);
  });
});

describe("history, drift and reconcile", () => {
  let r: Rig;
  before(async () => (r = await rig()));
  after(async () => r.cleanup());

  it("rolls back by creating a new revision with the old resources", async () => {
    const one = (await r.engine.commit(rev1(), { message: "one" })).revision;
    await r.engine.apply();
    const oldLive = { caddy: r.caddy.live(), nginx: r.nginx.live() };
    await r.engine.commit(rev2(), { message: "two" });
    await r.engine.apply();
    assert.notDeepEqual(r.caddy.live(), oldLive.caddy);
    const { revision, result } = await r.engine.rollback(one.hash.slice(0, 8));
    assert.equal(result.status, "succeeded");
    assert.equal(revision!.seq, 3);
    assert.deepEqual(revision!.source, { type: "rollback", location: one.hash });
    assert.equal(revision!.hash, one.hash, "same content, same hash");
    assert.deepEqual(r.caddy.live(), oldLive.caddy);
    assert.deepEqual(r.nginx.live(), oldLive.nginx);
    assert.equal((await r.store.head())?.seq, 3);
    await rejectsCode(r.engine.rollback("#99"), "unknown-revision");
  });

  it("drift lists a hand edit and reconcile puts it back", async () => {
    assert.equal((await r.engine.drift()).drifted, false);
    r.caddy.handEdit((o) => {
      o["app"] = { resource: "Route/app", spec: { hosts: ["app.example.com"], upstreams: ["10.9.9.9:1"] } };
      o["rogue"] = { resource: "Route/rogue", spec: {} };
    });
    const d = await r.engine.drift();
    assert.equal(d.drifted, true);
    const caddy = d.systems.find((s) => s.system === "caddy")!;
    assert.deepEqual(caddy.changes.map((c) => `${c.action} ${c.id}`), ["update app", "delete rogue"]);
    assert.equal(d.systems.find((s) => s.system === "nginx")!.changes.length, 0);
    const res = await r.engine.reconcile();
    assert.equal(res.status, "succeeded");
    assert.equal((await r.engine.drift()).drifted, false);
    assert.deepEqual((r.caddy.live()["app"]!.spec as { upstreams: string[] }).upstreams, ["127.0.0.1:8001"]);
  });
});
