// The store conformance suite: what every Store backend must do alike, run against SQLite
// (sqlite-conformance.test.ts) and real etcd (etcd-conformance.test.ts). Two instances on the same
// data stand for two processes (or machines) sharing one store.
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { HecateError } from "../../src/diag.js";
import type { Resource } from "../../src/model/schema.js";
import { hashResources } from "../../src/model/serialize.js";
import type { Fence, Store } from "../../src/store/store.js";

export interface Backend {
  /** A fresh, empty store. */
  open(): Promise<Store>;
  /** Another instance on the same data as `s` (a second process). */
  second(s: Store): Promise<Store>;
  /** A lock ttl the backend honours (etcd leases count whole seconds), and how long until it has surely lapsed. */
  shortTtlMs: number;
  lapseMs: number;
  /** The secret key the stores are opened with. */
  secretKey: Buffer;
}

export const route = (name: string, host = `${name}.example.com`): Resource => ({
  apiVersion: "hecate.io/v1",
  kind: "Route",
  metadata: { name },
  spec: { hosts: [host], upstreams: [{ address: "127.0.0.1:8080" }] },
});

export const rejectsWith = (p: Promise<unknown>, code: string, re?: RegExp) =>
  assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof HecateError, `expected HecateError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (code === "head-moved" || code === "fenced") assert.equal(e.status, 409);
    if (re) assert.match(e.message, re);
    return true;
  });

export function storeConformance(name: string, backend: Backend): void {
  describe(`store conformance: ${name}`, () => {
    let a: Store;
    let b: Store;
    const opened: Store[] = [];
    const fresh = async () => {
      const s = await backend.open();
      opened.push(s);
      return s;
    };
    before(async () => {
      a = await fresh();
      b = await backend.second(a);
      opened.push(b);
    });
    after(async () => {
      for (const s of opened) await s.close();
    });

    describe("revisions", () => {
      it("round trip, chain parents, and are found by hash, prefix and seq", async () => {
        assert.equal(await a.head(), undefined);
        const r1 = await a.putRevision({ resources: [route("app")], author: "alice", message: "first", source: { type: "file", location: "/etc/hecate" }, expectedParent: 0 });
        const r2 = await b.putRevision({ resources: [route("app"), route("api")], author: "bob", message: "second", source: { type: "cli" }, expectedParent: 1 });
        assert.equal(r1.seq, 1);
        assert.equal(r2.seq, 2);
        assert.equal(r1.parent, undefined);
        assert.equal(r2.parent, r1.hash);
        assert.equal(r1.hash, hashResources([route("app")]));
        assert.ok(!Number.isNaN(Date.parse(r1.createdAt)));
        const got = await b.getRevision(r1.hash);
        assert.deepEqual(got, r1);
        assert.equal((await a.getRevision(r2.hash.slice(0, 7)))?.seq, 2);
        assert.equal((await a.getRevision(r2.hash.slice(0, 7).toUpperCase()))?.seq, 2);
        assert.equal((await a.getRevision("#1"))?.hash, r1.hash);
        assert.equal((await a.getRevision("2"))?.hash, r2.hash);
        assert.equal(await a.getRevision("#3"), undefined);
        assert.equal(await a.getRevision("ffffffff"), undefined);
        assert.equal(await a.getRevision("not-a-ref"), undefined);
        await rejectsWith(a.getRevision("abc"), "revision-ref", /at least 4/);
        assert.equal((await a.head())?.hash, r2.hash);
        const list = await a.listRevisions();
        assert.deepEqual(list.map((r) => [r.seq, r.message, r.author]), [[2, "second", "bob"], [1, "first", "alice"]]);
        assert.equal("resources" in list[0]!, false);
        assert.deepEqual((await a.listRevisions({ limit: 1 })).map((r) => r.seq), [2]);
        assert.deepEqual(list[1]!.source, { type: "file", location: "/etc/hecate" });
      });

      it("record identical content as a new revision; the hash finds the newest", async () => {
        const head = (await a.head())!;
        const again = await a.putRevision({ resources: head.resources, author: "carol", message: "rollback", source: { type: "rollback", location: "#2" }, expectedParent: head.seq });
        assert.equal(again.hash, head.hash);
        assert.equal(again.seq, head.seq + 1);
        assert.equal((await b.getRevision(head.hash))?.message, "rollback");
        assert.equal((await b.getRevision(`#${head.seq}`))?.message, "second");
      });

      it("refuse an ambiguous prefix and list the candidates", async () => {
        const t = await fresh();
        const seen = new Map<string, Resource[]>();
        let pair: [Resource[], Resource[], string] | undefined;
        for (let i = 0; !pair; i++) {
          const res = [route(`r${i}`)];
          const p = hashResources(res).slice(0, 4);
          const prev = seen.get(p);
          if (prev) pair = [prev, res, p];
          else seen.set(p, res);
        }
        const r1 = await t.putRevision({ resources: pair[0], author: "a", message: "one", source: { type: "cli" }, expectedParent: 0 });
        const r2 = await t.putRevision({ resources: pair[1], author: "a", message: "two", source: { type: "cli" }, expectedParent: 1 });
        await rejectsWith(t.getRevision(pair[2]), "ambiguous-revision", new RegExp(`${r1.hash.slice(0, 12)}.*${r2.hash.slice(0, 12)}|${r2.hash.slice(0, 12)}.*${r1.hash.slice(0, 12)}`));
        let len = 5;
        while (r1.hash.slice(0, len) === r2.hash.slice(0, len)) len++;
        assert.equal((await t.getRevision(r1.hash.slice(0, len)))?.seq, 1);
      });

      it("mark and read the applied revision", async () => {
        assert.equal(await a.lastApplied(), undefined);
        const first = (await a.getRevision("#1"))!;
        await a.setApplied(first.hash);
        assert.equal((await b.lastApplied())?.hash, first.hash);
        await rejectsWith(a.setApplied("0".repeat(64)), "unknown-revision");
      });

      it("a revision applied to some systems alone: those remember it, the others keep the applied one, a full apply clears it", async () => {
        const t = await fresh();
        const r1 = await t.putRevision({ resources: [route("one")], author: "a", message: "one", source: { type: "cli" }, expectedParent: 0 });
        const r2 = await t.putRevision({ resources: [route("one"), route("two")], author: "a", message: "two", source: { type: "cli" }, expectedParent: 1 });
        await t.setApplied(r1.hash);
        await t.setApplied(r2.hash, undefined, ["caddy"]);
        assert.equal((await t.lastApplied())?.hash, r1.hash, "the revision applied to every system stays");
        assert.equal((await t.lastApplied("caddy"))?.hash, r2.hash);
        assert.equal((await t.lastApplied("nginx"))?.hash, r1.hash, "a system not applied alone falls back to the applied revision");
        const dump = await t.dump();
        assert.deepEqual(dump.appliedTo, { caddy: r2.hash });
        const u = await fresh();
        await u.load(JSON.parse(JSON.stringify(dump)));
        assert.equal((await u.lastApplied("caddy"))?.hash, r2.hash, "restored with the dump");
        await t.setApplied(r2.hash);
        assert.equal((await t.lastApplied("nginx"))?.hash, r2.hash);
        assert.equal((await t.dump()).appliedTo, undefined, "an apply to every system leaves no system alone");
      });

      it("store a revision only on the head it was based on (compare-and-set)", async () => {
        const t = await fresh();
        const u = await backend.second(t);
        opened.push(u);
        const put = (s: Store, n: string, expectedParent: number) => s.putRevision({ resources: [route(n)], author: n, message: `add ${n}`, source: { type: "cli" }, expectedParent });
        const first = await put(t, "one", 0);
        const second = await put(t, "two", 1);
        assert.equal(second.parent, first.hash);
        await rejectsWith(put(u, "three", 1), "head-moved", /based on revision #1, but the head is now #2 \(two: "add two"\).*read the head again/);
        await rejectsWith(put(u, "four", 0), "head-moved", /based on an empty store/);
        await rejectsWith(put(u, "five", 7), "head-moved");
        assert.deepEqual((await u.listRevisions()).map((r) => r.message), ["add two", "add one"], "nothing stored by the losers");
        // Racing writers on the same head: exactly one wins.
        const race = await Promise.allSettled([put(t, "x", 2), put(u, "y", 2), put(t, "z", 2)]);
        assert.equal(race.filter((r) => r.status === "fulfilled").length, 1);
        assert.equal((await t.head())?.seq, 3);
        for (const bad of [-1, 1.5, Number.NaN, undefined as unknown as number]) {
          await rejectsWith(t.putRevision({ resources: [], author: "x", message: "m", source: { type: "cli" }, expectedParent: bad }), "store-value", /expectedParent/);
        }
      });
    });

    describe("locks", () => {
      it("the second taker sees the holder; only the holder unlocks", async () => {
        assert.equal((await a.tryLock("apply", "alice@host:1", 60_000)).acquired, true);
        const held = await b.tryLock("apply", "bob@host:2", 60_000);
        assert.equal(held.acquired, false);
        assert.equal(held.lock.holder, "alice@host:1");
        assert.ok(Date.parse(held.lock.expiresAt) > Date.now() + 50_000);
        assert.equal((await b.tryLock("other", "bob@host:2", 60_000)).acquired, true, "another name is independent");
        await b.unlock("apply", "bob@host:2");
        assert.equal((await a.getLock("apply"))?.holder, "alice@host:1");
        await a.unlock("apply", "alice@host:1");
        assert.equal(await b.getLock("apply"), undefined);
        await b.unlock("other", "bob@host:2");
        await rejectsWith(a.tryLock("x", "alice", 0), "store-value", /ttl/);
      });

      it("a new token on every acquisition, the same on renewal (same acquiredAt, later expiry), never reused", async () => {
        const t1 = await a.tryLock("apply", "alice", 2_000);
        assert.ok(t1.acquired);
        const renewed = await a.tryLock("apply", "alice", 60_000);
        assert.equal(renewed.lock.token, t1.lock.token);
        assert.equal(renewed.lock.acquiredAt, t1.lock.acquiredAt);
        assert.ok(Date.parse(renewed.lock.expiresAt) > Date.parse(t1.lock.expiresAt));
        assert.equal((await b.tryLock("apply", "bob", 60_000)).lock.token, t1.lock.token, "the holder's lock, token included");
        await a.unlock("apply", "alice");
        const t2 = await b.tryLock("apply", "bob", 60_000);
        assert.ok(t2.acquired && t2.lock.token > t1.lock.token);
        const broken = await a.breakLock("apply");
        assert.equal(broken?.holder, "bob");
        assert.equal(await a.breakLock("absent"), undefined);
        const t3 = await a.tryLock("apply", "alice", 60_000);
        assert.ok(t3.acquired && t3.lock.token > t2.lock.token);
        assert.equal((await b.getLock("apply"))?.token, t3.lock.token);
        await a.unlock("apply", "alice");
      });

      it("renewLock extends only this acquisition while it is live, and never acquires", async () => {
        const got = await a.tryLock("renewal", "alice", backend.shortTtlMs);
        assert.ok(got.acquired);
        assert.equal(await a.renewLock("renewal", "alice", got.lock.token, 60_000), true);
        assert.ok(Date.parse((await b.getLock("renewal"))!.expiresAt) > Date.now() + 50_000);
        assert.equal(await b.renewLock("renewal", "bob", got.lock.token, 60_000), false, "another holder");
        assert.equal(await a.renewLock("renewal", "alice", got.lock.token + 1, 60_000), false, "another token");
        await b.breakLock("renewal");
        assert.equal(await a.renewLock("renewal", "alice", got.lock.token, 60_000), false, "broken");
        assert.equal(await b.getLock("renewal"), undefined, "a failed renewal does not take the lock");
      });

      it("an expired lease frees the lock; the old holder neither unlocks nor renews its way back", async () => {
        const got = await a.tryLock("expiry", "alice", backend.shortTtlMs);
        assert.ok(got.acquired);
        assert.equal((await b.tryLock("expiry", "bob", 60_000)).lock.holder, "alice");
        await sleep(backend.lapseMs);
        assert.equal(await b.getLock("expiry"), undefined, "expired lock reads as free");
        assert.equal(await a.renewLock("expiry", "alice", got.lock.token, 60_000), false, "expired");
        assert.equal((await b.tryLock("expiry", "bob", 60_000)).acquired, true);
        await a.unlock("expiry", "alice");
        assert.equal((await a.getLock("expiry"))?.holder, "bob");
        assert.equal((await a.tryLock("expiry", "alice", 60_000)).lock.holder, "bob");
        await b.unlock("expiry", "bob");
      });
    });

    describe("fencing", () => {
      it("refuses every apply write carrying a stale token, and lets the current holder's through", async () => {
        const t = await fresh();
        const u = await backend.second(t);
        opened.push(u);
        const old = await t.tryLock("apply", "alice", 60_000);
        const stale: Fence = { lock: "apply", token: old.lock.token };
        const rev = await t.putRevision({ resources: [route("fenced")], author: "a", message: "m", source: { type: "cli" }, expectedParent: 0 });
        await t.beginApply({ applyId: "f1", revision: rev.hash, holder: "alice" }, stale);
        await t.journal({ applyId: "f1", event: "begin" }, stale);
        // bob breaks the lock (an operator's unlock --force) and takes it: alice's token is stale now.
        await u.breakLock("apply");
        const now = await u.tryLock("apply", "bob", 60_000);
        assert.ok(now.acquired);
        const current: Fence = { lock: "apply", token: now.lock.token };
        const fencedRe = new RegExp(`token ${stale.token} of the "apply" lock, but it is held by bob with token ${current.token}.*must stop`);
        await rejectsWith(t.journal({ applyId: "f1", event: "step.start", system: "caddy" }, stale), "fenced", fencedRe);
        await rejectsWith(t.beginApply({ applyId: "f2", revision: rev.hash, holder: "alice" }, stale), "fenced");
        await rejectsWith(t.endApply("f1", "succeeded", stale), "fenced");
        await rejectsWith(t.setApplied(rev.hash, stale), "fenced");
        await rejectsWith(t.putSecret("hecate.journal/f1/caddy", "undo", stale), "fenced");
        await rejectsWith(t.deleteSecret("hecate.journal/f1/caddy", stale), "fenced");
        await rejectsWith(t.load(await t.dump(), stale), "fenced");
        assert.deepEqual((await u.readJournal("f1")).map((e) => e.event), ["begin"], "nothing of the refused writes landed");
        assert.equal(await u.getApply("f2"), undefined);
        assert.equal((await u.getApply("f1"))?.status, "running");
        assert.equal(await u.lastApplied(), undefined);
        assert.deepEqual(await u.listSecrets(), []);
        await u.journal({ applyId: "f1", event: "recover" }, current);
        await u.endApply("f1", "rolled-back", current);
        await u.setApplied(rev.hash, current);
        await u.putSecret("s", "v", current);
        await u.deleteSecret("s", current);
        assert.equal((await t.getApply("f1"))?.status, "rolled-back");
        assert.equal((await t.lastApplied())?.hash, rev.hash);
        await u.unlock("apply", "bob");
        await rejectsWith(u.journal({ applyId: "f1", event: "x" }, current), "fenced", /but it is free/);
      });

      it("refuses a holder whose lease ran out, even if nobody took the lock", async () => {
        const got = await a.tryLock("short", "alice", backend.shortTtlMs);
        assert.ok(got.acquired);
        const fence: Fence = { lock: "short", token: got.lock.token };
        await a.beginApply({ applyId: "s1", revision: "h", holder: "alice" });
        await a.journal({ applyId: "s1", event: "begin" }, fence);
        await sleep(backend.lapseMs);
        await rejectsWith(a.journal({ applyId: "s1", event: "late" }, fence), "fenced", /lease ran out/);
        const again = await a.tryLock("short", "alice", 60_000);
        assert.ok(again.acquired && again.lock.token > got.lock.token, "a lapsed holder gets a new token");
        await rejectsWith(a.journal({ applyId: "s1", event: "late" }, fence), "fenced");
        assert.deepEqual((await b.readJournal("s1")).map((e) => e.event), ["begin"]);
        await a.unlock("short", "alice");
      });
    });

    describe("applies and journal", () => {
      it("keep journal entries in order per apply, written from two instances", async () => {
        const rec = await a.beginApply({ applyId: "a1", revision: "abc", holder: "host:1" });
        assert.equal(rec.status, "running");
        await b.beginApply({ applyId: "a2", revision: "def", holder: "host:2" });
        await rejectsWith(b.beginApply({ applyId: "a1", revision: "x", holder: "y" }), "apply-exists");
        const events = ["begin", "step.start", "step.done", "step.failed", "undo.start", "end"];
        await Promise.all(events.map(async (_, i) => (i % 2 ? a : b).journal({ applyId: "a2", event: `p${i}` })));
        for (const [i, ev] of events.entries()) await (i % 2 ? a : b).journal({ applyId: "a1", event: ev, system: "caddy", data: { i } });
        const j = await a.readJournal("a1");
        assert.deepEqual(j.map((e) => e.event), events);
        assert.deepEqual(j.map((e) => e.seq), events.map((_, i) => i + 1));
        assert.deepEqual(j.map((e) => (e.data as { i: number }).i), events.map((_, i) => i));
        assert.equal(j[0]!.system, "caddy");
        assert.deepEqual((await b.readJournal("a2")).map((e) => e.seq), events.map((_, i) => i + 1), "concurrent appends never collide");
        await rejectsWith(a.journal({ applyId: "nope", event: "begin" }), "unknown-apply");
        await a.endApply("a1", "rolled-back");
        const a1 = await b.getApply("a1");
        assert.equal(a1?.status, "rolled-back");
        assert.ok(a1?.endedAt);
        const listed = (await b.listApplies()).map((x) => x.applyId);
        assert.ok(listed.indexOf("a2") < listed.indexOf("a1"), "newest first");
        assert.ok((await b.listApplies({ status: "running" })).some((x) => x.applyId === "a2"));
        assert.ok(!(await b.listApplies({ status: "running" })).some((x) => x.applyId === "a1"));
        assert.equal((await b.listApplies({ limit: 1 })).length, 1);
        await rejectsWith(a.endApply("nope", "failed"), "unknown-apply");
      });
    });

    describe("an apply's begin and end, each one write", () => {
      it("begins with its first journal entries and ends with its last ones, the applied mark and the audit entry, all or nothing", async () => {
        const t = await fresh();
        const u = await backend.second(t);
        opened.push(u);
        const rev = await t.putRevision({ resources: [route("ending")], author: "a", message: "m", source: { type: "cli" }, expectedParent: 0 });
        const got = await t.tryLock("apply", "alice", 60_000);
        assert.ok(got.acquired);
        const fence: Fence = { lock: "apply", token: got.lock.token };
        await t.beginApply({ applyId: "e1", revision: rev.hash, holder: "alice" }, fence, [{ event: "begin", data: { revision: rev.hash } }, { event: "step.start", system: "caddy" }]);
        await t.journal([{ applyId: "e1", event: "change.done", system: "caddy", data: { n: 0 } }, { applyId: "e1", event: "change.done", system: "caddy", data: { n: 1 } }], fence);
        assert.deepEqual((await u.readJournal("e1")).map((e) => `${e.seq} ${e.event}`), ["1 begin", "2 step.start", "3 change.done", "4 change.done"]);
        await rejectsWith(t.beginApply({ applyId: "e1", revision: rev.hash, holder: "alice" }, fence, [{ event: "begin" }]), "apply-exists");
        assert.equal((await u.readJournal("e1")).length, 4, "a refused begin journals nothing");

        // An ending that cannot be written (no such revision to mark) writes none of itself.
        const auditBefore = (await u.listAudit()).length;
        const ending = { journal: [{ event: "step.done", system: "caddy" }, { event: "end", data: { status: "succeeded" } }], audit: { actor: "alice", action: "apply", target: rev.hash } };
        await rejectsWith(t.endApply("e1", "succeeded", fence, { ...ending, applied: { hash: "0".repeat(64) } }), "unknown-revision");
        assert.equal((await u.getApply("e1"))?.status, "running");
        assert.equal((await u.readJournal("e1")).length, 4);
        assert.equal((await u.listAudit()).length, auditBefore);
        // Nor does one carrying a stale fence.
        await u.breakLock("apply");
        const now = await u.tryLock("apply", "bob", 60_000);
        assert.ok(now.acquired);
        await rejectsWith(t.endApply("e1", "succeeded", fence, { ...ending, applied: { hash: rev.hash } }), "fenced");
        assert.equal((await u.getApply("e1"))?.status, "running");
        assert.equal((await u.readJournal("e1")).length, 4);
        assert.equal((await u.listAudit()).length, auditBefore);
        assert.equal(await u.lastApplied(), undefined);

        const current: Fence = { lock: "apply", token: now.lock.token };
        await u.endApply("e1", "succeeded", current, { ...ending, applied: { hash: rev.hash, systems: ["caddy"] } });
        const ended = await t.getApply("e1");
        assert.equal(ended?.status, "succeeded");
        assert.ok(ended?.endedAt);
        assert.deepEqual((await t.readJournal("e1")).map((e) => `${e.seq} ${e.event}`).slice(4), ["5 step.done", "6 end"]);
        assert.equal((await t.lastApplied("caddy"))?.hash, rev.hash, "applied to the systems named");
        assert.equal(await t.lastApplied(), undefined, "and to those alone");
        const [newest] = await t.listAudit({ limit: 1 });
        assert.equal(newest?.action, "apply");
        assert.equal(newest?.target, rev.hash);
        assert.ok((await t.verifyAudit()).ok, "the audit entry is chained like any other");
        await u.unlock("apply", "bob");
      });
    });

    describe("audit, tokens, secrets, settings", () => {
      it("the audit log is a hash chain that verifies, with addresses, also when two instances append at once", async () => {
        await Promise.all([1, 2, 3, 4, 5, 6].map((i) => (i % 2 ? a : b).audit({ actor: "alice", action: "revision.create", target: `rev${i}`, detail: { seq: i }, ...(i === 3 ? { address: "127.0.0.1" } : {}) })));
        const v = await b.verifyAudit();
        assert.deepEqual(v, { ok: true, entries: 6, problems: [] });
        const all = await a.listAudit();
        assert.deepEqual(all.map((e) => e.id), [6, 5, 4, 3, 2, 1]);
        assert.match(all[0]!.hash!, /^[0-9a-f]{64}$/);
        assert.equal(all.find((e) => e.target === "rev3")?.address, "127.0.0.1");
        assert.deepEqual((await a.listAudit({ limit: 2 })).map((e) => e.id), [6, 5]);
      });

      it("tokens: kept by id, a taken name refused, revoked by name", async () => {
        const t = await a.putToken({ id: "abc", name: "ci", scope: "write", hash: "h".repeat(64), createdBy: "alice" });
        assert.equal(t.name, "ci");
        assert.equal((await b.getToken("abc"))?.scope, "write");
        await rejectsWith(b.putToken({ id: "def", name: "ci", scope: "read", hash: "x", createdBy: "alice" }), "exists");
        const revoked = await b.revokeToken("ci");
        assert.ok(revoked?.revokedAt);
        assert.equal((await a.getToken("abc"))?.revokedAt, revoked.revokedAt);
        assert.equal((await a.revokeToken("abc"))?.revokedAt, revoked.revokedAt, "revoking twice keeps the first time");
        assert.equal(await a.revokeToken("nope"), undefined);
        assert.deepEqual((await a.listTokens()).map((x) => x.name), ["ci"]);
      });

      it("tokens: a rotation sets the new hash and keeps the old one until a time, only on the hash it was made from", async () => {
        await a.putToken({ id: "rot", name: "grafana", scope: "read", hash: "1".repeat(64), createdBy: "alice" });
        const next = { hash: "2".repeat(64), previousHash: "1".repeat(64), previousUntil: "2030-01-01T00:00:00.000Z", rotatedAt: "2029-12-31T00:00:00.000Z" };
        assert.deepEqual(await b.setTokenSecret("rot", { hash: "1".repeat(64) }, next), { ...(await a.getToken("rot")), ...next });
        assert.equal((await a.getToken("rot"))?.previousUntil, next.previousUntil);
        assert.equal(await a.setTokenSecret("rot", { hash: "1".repeat(64) }, { hash: "3".repeat(64) }), undefined, "made from a hash it no longer has: refused");
        assert.equal(await a.setTokenSecret("ghost", { hash: "1".repeat(64) }, { hash: "3".repeat(64) }), undefined);
        // The window closed: the old hash gone, the rest kept; closing it again finds it changed.
        const closed = await b.setTokenSecret("rot", next, { hash: next.hash, rotatedAt: next.rotatedAt });
        assert.equal(closed?.previousHash, undefined);
        assert.equal(closed?.previousUntil, undefined);
        assert.equal(await a.setTokenSecret("rot", next, { hash: next.hash, rotatedAt: next.rotatedAt }), undefined, "closed once");
        const read = await a.getToken("rot");
        assert.deepEqual([read?.hash, read?.previousHash, read?.rotatedAt, read?.scope], [next.hash, undefined, next.rotatedAt, "read"]);
      });

      it("secrets are sealed, read back by name, listed and deleted; settings are kept", async () => {
        await a.putSecret("db/password", "s3cr3t-value-123");
        await a.putSecret("api", "other");
        assert.equal(await b.getSecret("db/password"), "s3cr3t-value-123");
        assert.deepEqual(await b.listSecrets(), ["api", "db/password"]);
        assert.ok(!JSON.stringify(await b.dump()).includes("s3cr3t-value-123"), "a dump holds no plaintext");
        await b.deleteSecret("api");
        assert.equal(await a.getSecret("api"), undefined);
        assert.equal(await a.getSetting("reconcile.suspended"), undefined);
        await a.setSetting("reconcile.suspended", "true");
        assert.equal(await b.getSetting("reconcile.suspended"), "true");
        await b.setSetting("reconcile.suspended", undefined);
        assert.equal(await a.getSetting("reconcile.suspended"), undefined);
      });
    });

    describe("rekey", () => {
      it("re-seals every value with the new key in one go; the old key opens nothing after; reseal opens an old dump", async () => {
        const s = await fresh();
        const old = await backend.second(s); // another process, still on the old key
        opened.push(old);
        await s.putSecret("basic/ops", "$2a$10$old-hash-value");
        await s.putSecret("certificate:w:key", "-----BEGIN PRIVATE KEY-----x");
        const before = await s.dump();
        const stale: Fence = { lock: "apply", token: 999_999 };
        const newKey = randomBytes(32);
        await rejectsWith(s.rekey(newKey, stale), "fenced");
        assert.equal(await old.getSecret("basic/ops"), "$2a$10$old-hash-value", "a refused rekey changed nothing");
        const r = await s.rekey(newKey);
        assert.equal(r.secrets, 2);
        assert.notEqual(r.keyId, r.previousKeyId);
        assert.equal(await s.getSecret("basic/ops"), "$2a$10$old-hash-value");
        assert.equal(await s.getSecret("certificate:w:key"), "-----BEGIN PRIVATE KEY-----x");
        await rejectsWith(old.getSecret("basic/ops"), "secret-key", /different key/);
        await rejectsWith(old.putSecret("another", "v"), "secret-key");
        const after = await s.dump();
        for (const n of Object.keys(before.secrets)) assert.notEqual(after.secrets[n], before.secrets[n], `${n} was sealed again`);
        // A dump made before the rekey: its blobs open only with the old key given explicitly.
        const oldKey = (await old.deriveKey("x", { create: false })).keyId;
        assert.equal(oldKey, r.previousKeyId);
        await rejectsWith(s.reseal(before.secrets, newKey), "secret-key");
        const resealed = await s.reseal(before.secrets, backend.secretKey);
        await s.load({ ...before, secrets: resealed });
        assert.equal(await s.getSecret("basic/ops"), "$2a$10$old-hash-value", "the old dump restored under the new key");
        await rejectsWith(old.getSecret("basic/ops"), "secret-key");
      });
    });

    describe("dump and load", () => {
      it("round trip everything, secrets still encrypted", async () => {
        const s = await fresh();
        const t = await fresh();
        const r1 = await s.putRevision({ resources: [route("app")], author: "alice", message: "one", source: { type: "git", location: "https://git.example/x", commit: "abc" }, expectedParent: 0 });
        await s.putRevision({ resources: [route("app"), route("api")], author: "bob", message: "two", source: { type: "cli" }, expectedParent: 1 });
        await s.setApplied(r1.hash);
        await s.audit({ actor: "alice", action: "revision.create", target: r1.hash });
        await s.beginApply({ applyId: "x1", revision: r1.hash, holder: "h" });
        await s.journal({ applyId: "x1", event: "begin" });
        await s.journal({ applyId: "x1", event: "end", data: { ok: true } });
        await s.endApply("x1", "succeeded");
        await s.beginApply({ applyId: "x0", revision: r1.hash, holder: "h" });
        await s.putSecret("token", "s3cr3t-value-123");
        await s.setSetting("k", "v");
        const dump = await s.dump();
        assert.equal(dump.applied, r1.hash);
        assert.deepEqual(dump.applies.map((x) => x.applyId), ["x1", "x0"], "in the order begun");
        await t.putRevision({ resources: [route("old")], author: "z", message: "to be replaced", source: { type: "cli" }, expectedParent: 0 });
        await t.load(JSON.parse(JSON.stringify(dump)));
        assert.deepEqual(await t.dump(), dump);
        assert.equal(await t.getSecret("token"), "s3cr3t-value-123");
        assert.equal((await t.lastApplied())?.hash, r1.hash);
        assert.equal((await t.head())?.message, "two");
        assert.equal((await t.verifyAudit()).ok, true);
        assert.equal((await t.putRevision({ resources: [], author: "c", message: "three", source: { type: "cli" }, expectedParent: 2 })).seq, 3);
      });

      it("reject a tampered dump and leave the store as it was", async () => {
        const s = await fresh();
        await s.putRevision({ resources: [route("app")], author: "a", message: "keep me", source: { type: "cli" }, expectedParent: 0 });
        const dump = await s.dump();
        const tampered = JSON.parse(JSON.stringify(dump));
        tampered.revisions[0].resources[0].spec.hosts = ["evil.example.com"];
        await rejectsWith(s.load(tampered), "store-dump", /does not match/);
        await rejectsWith(s.load({ ...dump, format: "other" as "hecate-store/1" }), "store-dump", /format/);
        assert.equal((await s.head())?.message, "keep me");
      });
    });
  });
}
