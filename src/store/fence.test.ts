// The two compare-and-set rules of the store: a revision names its expected parent, and apply
// writes carry the apply lock's fencing token. Two store instances on one file, as two processes.
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { HecateError } from "../diag.js";
import type { Resource } from "../model/schema.js";
import { twoStores } from "../../test/helpers/stores.js";
import type { SqliteStore } from "./sqlite.js";
import type { Fence } from "./store.js";

const route = (name: string): Resource => ({
  apiVersion: "hecate.io/v1",
  kind: "Route",
  metadata: { name },
  spec: { hosts: [`${name}.example.com`], upstreams: [{ address: "127.0.0.1:8080" }] },
});

const rejectsWith = (p: Promise<unknown>, code: string, re?: RegExp) =>
  assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof HecateError, `expected HecateError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.status, code === "store-value" ? 400 : 409);
    if (re) assert.match(e.message, re);
    return true;
  });

describe("fenced store", () => {
  const stores = twoStores("hecate-fence-", { secretKey: randomBytes(32) });
  let a: SqliteStore;
  let b: SqliteStore;
  before(() => ({ a, b } = stores));

  describe("expected parent", () => {
    it("stores a revision only on the head it was based on", async () => {
      const put = (s: SqliteStore, name: string, expectedParent: number) =>
        s.putRevision({ resources: [route(name)], author: name, message: `add ${name}`, source: { type: "cli" }, expectedParent });
      const first = await put(a, "one", 0);
      assert.equal(first.seq, 1);
      // Both writers read #1; the first to write wins, the second is told the head moved.
      const second = await put(a, "two", 1);
      assert.equal(second.parent, first.hash);
      await rejectsWith(put(b, "three", 1), "head-moved", /based on revision #1, but the head is now #2 \(two: "add two"\).*read the head again/);
      await rejectsWith(put(b, "four", 0), "head-moved", /based on an empty store/);
      await rejectsWith(put(b, "five", 7), "head-moved");
      assert.deepEqual((await b.listRevisions()).map((r) => r.message), ["add two", "add one"], "nothing stored by the losers");
      assert.equal((await put(b, "three", 2)).seq, 3);
    });

    it("refuses a parent that is not a seq", async () => {
      for (const bad of [-1, 1.5, Number.NaN, undefined as unknown as number]) {
        await rejectsWith(a.putRevision({ resources: [], author: "x", message: "m", source: { type: "cli" }, expectedParent: bad }), "store-value", /expectedParent/);
      }
    });
  });

  describe("fencing tokens", () => {
    it("a new token on every acquisition, the same on renewal, never reused after unlock", async () => {
      const t1 = await a.tryLock("apply", "alice", 60_000);
      assert.ok(t1.acquired);
      assert.equal((await a.tryLock("apply", "alice", 60_000)).lock.token, t1.lock.token);
      assert.equal((await b.tryLock("apply", "bob", 60_000)).lock.token, t1.lock.token, "the holder's lock, token included");
      await a.unlock("apply", "alice");
      const t2 = await b.tryLock("apply", "bob", 60_000);
      assert.ok(t2.acquired && t2.lock.token > t1.lock.token);
      await b.breakLock("apply");
      const t3 = await a.tryLock("apply", "alice", 60_000);
      assert.ok(t3.acquired && t3.lock.token > t2.lock.token);
      assert.equal((await b.getLock("apply"))?.token, t3.lock.token);
      await a.unlock("apply", "alice");
    });

    it("renewLock extends only this acquisition while it is live, and never acquires", async () => {
      const got = await a.tryLock("renewal", "alice", 150);
      assert.ok(got.acquired);
      assert.equal(await a.renewLock("renewal", "alice", got.lock.token, 60_000), true);
      assert.ok(Date.parse((await b.getLock("renewal"))!.expiresAt) > Date.now() + 50_000);
      assert.equal(await b.renewLock("renewal", "bob", got.lock.token, 60_000), false, "another holder");
      assert.equal(await a.renewLock("renewal", "alice", got.lock.token + 1, 60_000), false, "another token");
      await b.breakLock("renewal");
      assert.equal(await a.renewLock("renewal", "alice", got.lock.token, 60_000), false, "broken");
      assert.equal(await b.getLock("renewal"), undefined, "a failed renewal does not take the lock");
      const short = await a.tryLock("renewal", "alice", 50);
      await sleep(80);
      assert.equal(await a.renewLock("renewal", "alice", short.lock.token, 60_000), false, "expired");
    });

    it("refuses every apply write carrying a stale token, and lets the current holder's through", async () => {
      const old = await a.tryLock("apply", "alice", 60_000);
      const stale: Fence = { lock: "apply", token: old.lock.token };
      const rev = await a.putRevision({ resources: [route("fenced")], author: "a", message: "m", source: { type: "cli" }, expectedParent: (await a.head())!.seq });
      await a.beginApply({ applyId: "f1", revision: rev.hash, holder: "alice" }, stale);
      await a.journal({ applyId: "f1", event: "begin" }, stale);
      // bob breaks the lock (an operator's unlock --force) and takes it: alice's token is stale now.
      await b.breakLock("apply");
      const now = await b.tryLock("apply", "bob", 60_000);
      assert.ok(now.acquired);
      const current: Fence = { lock: "apply", token: now.lock.token };
      const fenced = new RegExp(`token ${stale.token} of the "apply" lock, but it is held by bob with token ${current.token}.*must stop`);
      await rejectsWith(a.journal({ applyId: "f1", event: "step.start", system: "caddy" }, stale), "fenced", fenced);
      await rejectsWith(a.beginApply({ applyId: "f2", revision: rev.hash, holder: "alice" }, stale), "fenced");
      await rejectsWith(a.endApply("f1", "succeeded", stale), "fenced");
      await rejectsWith(a.setApplied(rev.hash, stale), "fenced");
      await rejectsWith(a.putSecret("hecate.journal/f1/caddy", "undo", stale), "fenced");
      await rejectsWith(a.deleteSecret("hecate.journal/f1/caddy", stale), "fenced");
      await rejectsWith(a.load(await a.dump(), stale), "fenced");
      // Nothing of the refused writes landed.
      assert.deepEqual((await b.readJournal("f1")).map((e) => e.event), ["begin"]);
      assert.equal(await b.getApply("f2"), undefined);
      assert.equal((await b.getApply("f1"))?.status, "running");
      assert.equal(await b.lastApplied(), undefined);
      assert.deepEqual(await b.listSecrets(), []);
      // The new holder's writes go through.
      await b.journal({ applyId: "f1", event: "recover" }, current);
      await b.endApply("f1", "rolled-back", current);
      await b.setApplied(rev.hash, current);
      await b.putSecret("s", "v", current);
      await b.deleteSecret("s", current);
      assert.equal((await a.getApply("f1"))?.status, "rolled-back");
      assert.equal((await a.lastApplied())?.hash, rev.hash);
      await b.unlock("apply", "bob");
      await rejectsWith(b.journal({ applyId: "f1", event: "x" }, current), "fenced", /but it is free/);
    });

    it("refuses a holder whose lease ran out, even if nobody took the lock", async () => {
      const got = await a.tryLock("short", "alice", 100);
      assert.ok(got.acquired);
      await a.beginApply({ applyId: "s1", revision: "h", holder: "alice" });
      await a.journal({ applyId: "s1", event: "begin" }, { lock: "short", token: got.lock.token });
      await sleep(150);
      await rejectsWith(a.journal({ applyId: "s1", event: "late" }, { lock: "short", token: got.lock.token }), "fenced", /lease ran out/);
      // Renewing after the lapse is a new acquisition: a new token, so the old one stays refused.
      const again = await a.tryLock("short", "alice", 60_000);
      assert.ok(again.acquired && again.lock.token > got.lock.token);
      await rejectsWith(a.journal({ applyId: "s1", event: "late" }, { lock: "short", token: got.lock.token }), "fenced");
      await a.unlock("short", "alice");
    });
  });
});
