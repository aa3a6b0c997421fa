// What only the SQLite store has: its file's modes, append-only tables guarded by triggers, opening
// and migrating files. Everything every backend does is in test/store/conformance.ts.
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { HecateError } from "../diag.js";
import type { Resource } from "../model/schema.js";
import { tempDir } from "../../test/helpers/proc.js";
import { hashResources } from "../model/serialize.js";
import { openSqliteStore } from "./sqlite.js";

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

  it("commits a lock's writes without a sync of their own, and every other write with one", async () => {
    const s = await fresh();
    const db = (s as unknown as { db: Database.Database }).db;
    const seen: string[] = [];
    // Which synchronous setting each commit ran under, from the statements the store runs.
    const pragma = db.pragma.bind(db);
    db.pragma = ((source: string, opts?: Database.PragmaOptions) => (seen.push(source), pragma(source, opts))) as typeof db.pragma;
    try {
      const lock = await s.tryLock("apply", "me", 30_000);
      assert.ok(lock.acquired);
      assert.ok(await s.renewLock("apply", "me", lock.lock.token, 30_000));
      await s.unlock("apply", "me");
      assert.deepEqual(seen, Array(3).fill(["synchronous = NORMAL", "synchronous = FULL"]).flat(), "each lock write under NORMAL, FULL again after it");
      seen.length = 0;
      await s.putRevision({ resources: [route("a")], author: "t", message: "m", source: { type: "cli" }, expectedParent: 0 });
      assert.deepEqual(seen, [], "a revision is committed as the connection is set: FULL");
      assert.equal(pragma("synchronous", { simple: true }), 2, "FULL");
    } finally {
      await s.close();
    }
  });

  it("creates the file 0600 in a 0700 directory", async () => {
    const s = await fresh();
    try {
      assert.equal(statSync(s.path).mode & 0o777, 0o600);
      assert.equal(statSync(join(s.path, "..")).mode & 0o777, 0o700);
    } finally {
      await s.close();
    }
  });

  // Revisions, locks, fencing, journal, audit, tokens, secrets, settings, dump and load: the store
  // conformance suite (test/store/conformance.ts) runs them on SQLite and etcd alike.

  describe("revisions", () => {
    it("hashes content, not key order", async () => {
      const x = { apiVersion: "hecate.io/v1", kind: "Route", metadata: { name: "z" }, spec: { upstreams: [{ address: "a:1" }], hosts: ["z.example.com"] } } as Resource;
      const y = { spec: { hosts: ["z.example.com"], upstreams: [{ address: "a:1" }] }, metadata: { name: "z" }, kind: "Route", apiVersion: "hecate.io/v1" } as Resource;
      assert.equal(hashResources([x]), hashResources([y]));
      assert.notEqual(hashResources([x]), hashResources([route("z")]));
      assert.equal(hashResources([route("a"), route("b")]), hashResources([route("b"), route("a")]), "document order does not matter");
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

  it("stays append-only after a load (the guards come back in the same transaction)", async () => {
    const s = await fresh();
    const t = await fresh();
    try {
      await s.putRevision({ resources: [route("app")], author: "alice", message: "one", source: { type: "cli" }, expectedParent: 0 });
      await s.audit({ actor: "alice", action: "revision.create" });
      await t.load(await s.dump());
      const raw = new Database(t.path);
      try {
        assert.throws(() => raw.exec("DELETE FROM audit"), /append-only/);
        assert.throws(() => raw.exec("DELETE FROM revisions"), /immutable/);
      } finally {
        raw.close();
      }
    } finally {
      await s.close();
      await t.close();
    }
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
