// The SQLite store: revisions, applied marker, append-only history, journal, settings, dump/load.
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { HecateError } from "../diag.js";
import type { Resource } from "../model/schema.js";
import { tempDir } from "../../test/helpers/proc.js";
import { hashResources } from "../model/serialize.js";
import { openSqliteStore, type SqliteStore } from "./sqlite.js";

const route = (name: string, host = `${name}.example.com`): Resource => ({
  apiVersion: "hecate.io/v1",
  kind: "Route",
  metadata: { name },
  spec: { hosts: [host], upstreams: [{ address: "127.0.0.1:8080" }] },
});

const rejectsWith = (p: Promise<unknown>, code: string, re?: RegExp) =>
  assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof HecateError, `expected HecateError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (re) assert.match(e.message, re);
    return true;
  });

describe("sqlite store", () => {
  const dir = tempDir("hecate-store-");
  const key = randomBytes(32);
  let n = 0;
  const fresh = () => openSqliteStore({ path: join(dir.path, `s${++n}`, "hecate.db"), secretKey: key });
  after(() => dir.cleanup());

  it("creates the file 0600 in a 0700 directory", async () => {
    const s = await fresh();
    try {
      assert.equal(statSync(s.path).mode & 0o777, 0o600);
      assert.equal(statSync(join(s.path, "..")).mode & 0o777, 0o700);
    } finally {
      await s.close();
    }
  });

  describe("revisions", () => {
    let s: SqliteStore;
    before(async () => (s = await fresh()));
    after(() => s.close());

    it("round trips, chains parents and finds by hash, prefix and seq", async () => {
      assert.equal(await s.head(), undefined);
      const a = await s.putRevision({ resources: [route("app")], author: "alice", message: "first", source: { type: "file", location: "/etc/hecate" }, expectedParent: 0 });
      const b = await s.putRevision({ resources: [route("app"), route("api")], author: "bob", message: "second", source: { type: "cli" }, expectedParent: 1 });
      assert.equal(a.seq, 1);
      assert.equal(b.seq, 2);
      assert.equal(a.parent, undefined);
      assert.equal(b.parent, a.hash);
      assert.equal(a.hash, hashResources([route("app")]));
      assert.match(a.hash, /^[0-9a-f]{64}$/);
      assert.ok(!Number.isNaN(Date.parse(a.createdAt)));

      const got = await s.getRevision(a.hash);
      assert.deepEqual(got, a);
      assert.deepEqual(got?.resources, [route("app")]);
      assert.equal((await s.getRevision(b.hash.slice(0, 7)))?.seq, 2);
      assert.equal((await s.getRevision(b.hash.slice(0, 7).toUpperCase()))?.seq, 2);
      assert.equal((await s.getRevision("#1"))?.hash, a.hash);
      assert.equal((await s.getRevision("2"))?.hash, b.hash);
      assert.equal(await s.getRevision("#3"), undefined);
      assert.equal(await s.getRevision("ffffffff"), undefined);
      assert.equal(await s.getRevision("not-a-ref"), undefined);
      await rejectsWith(s.getRevision("abc"), "revision-ref", /at least 4/);

      assert.deepEqual((await s.head())?.hash, b.hash);
      const list = await s.listRevisions();
      assert.deepEqual(list.map((r) => [r.seq, r.message, r.author]), [[2, "second", "bob"], [1, "first", "alice"]]);
      assert.equal("resources" in list[0]!, false);
      assert.deepEqual((await s.listRevisions({ limit: 1 })).map((r) => r.seq), [2]);
      assert.deepEqual(list[1]!.source, { type: "file", location: "/etc/hecate" });
    });

    it("records identical content as a new revision with the same hash", async () => {
      const head = (await s.head())!;
      const again = await s.putRevision({ resources: head.resources, author: "carol", message: "rollback", source: { type: "rollback", location: "#2" }, expectedParent: head.seq });
      assert.equal(again.hash, head.hash);
      assert.equal(again.seq, head.seq + 1);
      assert.equal(again.parent, head.hash);
      const byHash = await s.getRevision(head.hash);
      assert.equal(byHash?.seq, again.seq, "lookup by hash gives the newest revision with it");
      assert.equal(byHash?.message, "rollback");
      assert.equal((await s.getRevision(`#${head.seq}`))?.message, "second");
    });

    it("hashes content, not key order", async () => {
      const x = { apiVersion: "hecate.io/v1", kind: "Route", metadata: { name: "z" }, spec: { upstreams: [{ address: "a:1" }], hosts: ["z.example.com"] } } as Resource;
      const y = { spec: { hosts: ["z.example.com"], upstreams: [{ address: "a:1" }] }, metadata: { name: "z" }, kind: "Route", apiVersion: "hecate.io/v1" } as Resource;
      assert.equal(hashResources([x]), hashResources([y]));
      assert.notEqual(hashResources([x]), hashResources([route("z")]));
      assert.equal(hashResources([route("a"), route("b")]), hashResources([route("b"), route("a")]), "document order does not matter");
    });

    it("refuses an ambiguous prefix and lists the candidates", async () => {
      const t = await fresh();
      try {
        // Find two contents whose hashes share the first 4 hex characters (birthday search).
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
        // A longer prefix that is unique works.
        let len = 5;
        while (r1.hash.slice(0, len) === r2.hash.slice(0, len)) len++;
        assert.equal((await t.getRevision(r1.hash.slice(0, len)))?.seq, 1);
      } finally {
        await t.close();
      }
    });

    it("marks and reads the applied revision", async () => {
      assert.equal(await s.lastApplied(), undefined);
      const first = (await s.getRevision("#1"))!;
      await s.setApplied(first.hash);
      assert.equal((await s.lastApplied())?.hash, first.hash);
      await rejectsWith(s.setApplied("0".repeat(64)), "unknown-revision");
    });
  });

  describe("append-only history", () => {
    it("the database itself refuses to change or delete audit, revision and journal rows", async () => {
      const s = await fresh();
      try {
        await s.audit({ actor: "alice", action: "apply", target: "rev", detail: { changes: 3 } });
        await s.audit({ actor: "bob", action: "lock.break" });
        await s.putRevision({ resources: [route("a")], author: "a", message: "m", source: { type: "cli" }, expectedParent: 0 });
        await s.beginApply({ applyId: "ap1", revision: "h", holder: "me" });
        await s.journal({ applyId: "ap1", event: "begin" });

        const raw = new Database(s.path);
        try {
          for (const sql of [
            "UPDATE audit SET actor = 'mallory'",
            "DELETE FROM audit",
            "UPDATE revisions SET message = 'rewritten'",
            "DELETE FROM revisions",
            "UPDATE journal SET event = 'x'",
            "DELETE FROM journal",
            "DELETE FROM applies",
            "UPDATE applies SET revision = 'other'",
          ]) {
            assert.throws(() => raw.exec(sql), /append-only|immutable|kept|only the status/, sql);
          }
        } finally {
          raw.close();
        }
        const audit = await s.listAudit();
        assert.deepEqual(audit.map((a) => [a.actor, a.action]), [["bob", "lock.break"], ["alice", "apply"]]);
        assert.deepEqual(audit[1]!.detail, { changes: 3 });
        assert.equal(audit[1]!.target, "rev");
        assert.ok(audit[0]!.id! > audit[1]!.id!);
        assert.deepEqual((await s.listAudit({ limit: 1 })).map((a) => a.actor), ["bob"]);
        assert.equal((await s.getRevision("#1"))?.message, "m");
      } finally {
        await s.close();
      }
    });
  });

  describe("applies and journal", () => {
    it("keeps journal entries in order per apply, across two connections", async () => {
      const s1 = await fresh();
      const s2 = await openSqliteStore({ path: s1.path, secretKey: key });
      try {
        const rec = await s1.beginApply({ applyId: "a1", revision: "abc", holder: "host:1" });
        assert.equal(rec.status, "running");
        await s2.beginApply({ applyId: "a2", revision: "def", holder: "host:2" });
        await rejectsWith(s2.beginApply({ applyId: "a1", revision: "x", holder: "y" }), "apply-exists");
        const events = ["begin", "step.start", "step.done", "step.start", "step.failed", "undo.start", "undo.done", "end"];
        for (const [i, ev] of events.entries()) {
          await (i % 2 ? s1 : s2).journal({ applyId: "a1", event: ev, system: "caddy", data: { i } });
          await (i % 2 ? s2 : s1).journal({ applyId: "a2", event: `other-${i}` });
        }
        const j = await s1.readJournal("a1");
        assert.deepEqual(j.map((e) => e.event), events);
        assert.deepEqual(j.map((e) => e.seq), events.map((_, i) => i + 1));
        assert.deepEqual(j.map((e) => (e.data as { i: number }).i), events.map((_, i) => i));
        assert.equal(j[0]!.system, "caddy");
        assert.deepEqual((await s2.readJournal("a2")).map((e) => e.seq), events.map((_, i) => i + 1));
        await rejectsWith(s1.journal({ applyId: "nope", event: "begin" }), "unknown-apply");

        await s1.endApply("a1", "rolled-back");
        const a1 = await s2.getApply("a1");
        assert.equal(a1?.status, "rolled-back");
        assert.ok(a1?.endedAt);
        assert.deepEqual((await s2.listApplies()).map((a) => a.applyId), ["a2", "a1"]);
        assert.deepEqual((await s2.listApplies({ status: "running" })).map((a) => a.applyId), ["a2"]);
        await rejectsWith(s1.endApply("nope", "failed"), "unknown-apply");
      } finally {
        await s2.close();
        await s1.close();
      }
    });
  });

  it("keeps settings", async () => {
    const s = await fresh();
    try {
      assert.equal(await s.getSetting("reconcile.suspended"), undefined);
      await s.setSetting("reconcile.suspended", "true");
      assert.equal(await s.getSetting("reconcile.suspended"), "true");
      await s.setSetting("reconcile.suspended", undefined);
      assert.equal(await s.getSetting("reconcile.suspended"), undefined);
    } finally {
      await s.close();
    }
  });

  describe("dump and load", () => {
    it("round trips everything, secrets still encrypted, and stays append-only", async () => {
      const s = await fresh();
      const t = await fresh();
      try {
        const r1 = await s.putRevision({ resources: [route("app")], author: "alice", message: "one", source: { type: "git", location: "https://git.example/x", commit: "abc" }, expectedParent: 0 });
        await s.putRevision({ resources: [route("app"), route("api")], author: "bob", message: "two", source: { type: "cli" }, expectedParent: 1 });
        await s.setApplied(r1.hash);
        await s.audit({ actor: "alice", action: "revision.create", target: r1.hash });
        await s.beginApply({ applyId: "x1", revision: r1.hash, holder: "h" });
        await s.journal({ applyId: "x1", event: "begin" });
        await s.journal({ applyId: "x1", event: "end", data: { ok: true } });
        await s.endApply("x1", "succeeded");
        await s.putSecret("token", "s3cr3t-value-123");
        await s.setSetting("k", "v");

        const dump = await s.dump();
        assert.equal(dump.format, "hecate-store/1");
        assert.equal(dump.applied, r1.hash);
        assert.ok(!JSON.stringify(dump).includes("s3cr3t-value-123"), "dump holds no plaintext secret");

        await t.putRevision({ resources: [route("old")], author: "z", message: "to be replaced", source: { type: "cli" }, expectedParent: 0 });
        await t.load(JSON.parse(JSON.stringify(dump)));
        assert.deepEqual(await t.dump(), dump);
        assert.equal(await t.getSecret("token"), "s3cr3t-value-123");
        assert.equal((await t.lastApplied())?.hash, r1.hash);
        assert.equal((await t.head())?.message, "two");
        const next = await t.putRevision({ resources: [], author: "c", message: "three", source: { type: "cli" }, expectedParent: 2 });
        assert.equal(next.seq, 3);

        const raw = new Database(t.path);
        try {
          assert.throws(() => raw.exec("DELETE FROM audit"), /append-only/);
        } finally {
          raw.close();
        }
      } finally {
        await s.close();
        await t.close();
      }
    });

    it("rejects a tampered dump and leaves the store as it was", async () => {
      const s = await fresh();
      try {
        await s.putRevision({ resources: [route("app")], author: "a", message: "keep me", source: { type: "cli" }, expectedParent: 0 });
        const dump = await s.dump();
        const tampered = JSON.parse(JSON.stringify(dump));
        tampered.revisions[0].resources[0].spec.hosts = ["evil.example.com"];
        await rejectsWith(s.load(tampered), "store-dump", /does not match/);
        await rejectsWith(s.load({ ...dump, format: "other" as "hecate-store/1" }), "store-dump", /format/);
        assert.equal((await s.head())?.message, "keep me");
      } finally {
        await s.close();
      }
    });
  });

  describe("opening", () => {
    it("names the file when it is not a database", async () => {
      const path = join(dir.path, "garbage.db");
      writeFileSync(path, randomBytes(8192), { mode: 0o600 });
      await rejectsWith(openSqliteStore({ path }), "store-corrupt", new RegExp(path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
    });

    it("refuses somebody else's SQLite database", async () => {
      const path = join(dir.path, "other.db");
      const raw = new Database(path);
      raw.exec("CREATE TABLE customers (id INTEGER)");
      raw.close();
      await rejectsWith(openSqliteStore({ path }), "store-open", /not a Hecate store/);
    });

    it("refuses a store written by a newer Hecate", async () => {
      const s = await fresh();
      await s.close();
      const raw = new Database(s.path);
      raw.pragma("user_version = 99");
      raw.close();
      await rejectsWith(openSqliteStore({ path: s.path }), "store-version", /newer/);
    });

    it("reopens an existing store without migrating twice, and rejects use after close", async () => {
      const s = await fresh();
      await s.putRevision({ resources: [], author: "a", message: "m", source: { type: "cli" }, expectedParent: 0 });
      await s.close();
      const again = await openSqliteStore({ path: s.path });
      try {
        assert.equal((await again.head())?.message, "m");
      } finally {
        await again.close();
      }
      await rejectsWith(s.head(), "store-closed");
    });
  });
});
