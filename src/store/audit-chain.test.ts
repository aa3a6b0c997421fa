// The audit log's hash chain on the SQLite store (tokens: test/store/conformance.ts): an entry edited, deleted
// in the middle or at the end by hand is found; a store from before the chain is migrated to it.
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { tempDir } from "../../test/helpers/proc.js";
import { MIGRATIONS, openSqliteStore } from "./sqlite.js";

describe("audit chain", () => {
  const dir = tempDir("hecate-audit-");
  const key = randomBytes(32);
  let n = 0;
  const fresh = () => openSqliteStore({ path: join(dir.path, `s${++n}`, "hecate.db"), secretKey: key });
  after(() => dir.cleanup());

  /** Run SQL on the file as someone with a sqlite3 shell would (the guard trigger dropped first). */
  const byHand = (path: string, sql: string) => {
    const db = new Database(path);
    try {
      db.exec("DROP TRIGGER IF EXISTS audit_append_only_u; DROP TRIGGER IF EXISTS audit_append_only_d;");
      db.exec(sql);
    } finally {
      db.close();
    }
  };

  const filled = async () => {
    const s = await fresh();
    for (let i = 1; i <= 5; i++) await s.audit({ actor: "alice", action: "revision.create", target: `rev${i}`, detail: { seq: i }, ...(i === 3 ? { address: "127.0.0.1" } : {}) });
    return s;
  };

  it("verifies a log written through the store; each entry carries its hash and address", async () => {
    const s = await filled();
    try {
      const v = await s.verifyAudit();
      assert.deepEqual(v, { ok: true, entries: 5, problems: [] });
      const [newest] = await s.listAudit({ limit: 1 });
      assert.match(newest!.hash!, /^[0-9a-f]{64}$/);
      assert.equal((await s.listAudit()).find((e) => e.target === "rev3")?.address, "127.0.0.1");
    } finally {
      await s.close();
    }
  });

  for (const [what, sql, re] of [
    ["an edited entry", "UPDATE audit SET actor = 'mallory' WHERE id = 3", /entry #3 does not match its hash/],
    ["an edited detail", `UPDATE audit SET detail = '{"seq":99}' WHERE id = 2`, /entry #2 does not match/],
    ["a deleted entry", "DELETE FROM audit WHERE id = 2", /entry #2 before #3 is missing/],
    ["the newest entry deleted", "DELETE FROM audit WHERE id = 5", /newest entries are missing: the log ends at #4, but #5 was written/],
  ] as const) {
    it(`finds ${what}`, async () => {
      const s = await filled();
      const path = s.path;
      await s.close();
      byHand(path, sql);
      const again = await openSqliteStore({ path, secretKey: key });
      try {
        const v = await again.verifyAudit();
        assert.equal(v.ok, false);
        assert.ok(v.problems.some((p) => re.test(p.message)), JSON.stringify(v.problems));
      } finally {
        await again.close();
      }
    });
  }

  it("migrates a store from before the chain: old entries get their links and verify", async () => {
    const path = join(dir.path, "old", "hecate.db");
    // The file at schema version 2 with entries, as an older Hecate left it.
    mkdirSync(join(dir.path, "old"));
    const db = new Database(path);
    db.pragma("application_id = 1212498753"); // "HECA"
    db.exec(MIGRATIONS[0] as string);
    (MIGRATIONS[1] as (d: Database.Database) => void)(db);
    db.pragma("user_version = 2");
    db.prepare("INSERT INTO audit (at, actor, action) VALUES ('2026-01-01T00:00:00.000Z', 'alice', 'apply'), ('2026-01-02T00:00:00.000Z', 'bob', 'rollback')").run();
    db.close();
    const s = await openSqliteStore({ path, secretKey: key });
    try {
      assert.deepEqual(await s.verifyAudit(), { ok: true, entries: 2, problems: [] });
      await s.audit({ actor: "carol", action: "apply" });
      assert.deepEqual((await s.verifyAudit()).entries, 3);
      assert.ok((await s.verifyAudit()).ok);
    } finally {
      await s.close();
    }
  });
});
