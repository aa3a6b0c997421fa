// Backup and restore round trip through one tar.gz; corrupt or truncated archives are refused
// before anything is written; dry-run reports what would change.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, it } from "node:test";
import { HecateError } from "../../src/diag.js";
import { rig, route } from "./setup.js";

describe("backup and restore", () => {
  it("round-trips the store, secrets still encrypted, and refuses damaged archives", async () => {
    const r = await rig();
    try {
      const one = (await r.engine.commit([route("app", "127.0.0.1:8001")], { message: "one" })).revision;
      await r.engine.apply();
      await r.store.putSecret("db-password", "hunter2-very-secret");
      await r.store.setSetting("reconcile.suspended", "true");
      const file = join(r.dir, "backup.tar.gz");
      const m = await r.engine.backup(file);
      assert.equal(m.counts.revisions, 1);
      assert.equal(m.head, one.hash);
      const raw = readFileSync(file);
      assert.ok(!gunzipSync(raw).toString("latin1").includes("hunter2-very-secret"), "no plaintext secret in the archive");

      // Move on, then restore: back to one revision, same head, secret readable again.
      const two = (await r.engine.commit([route("app", "127.0.0.1:8001"), route("b", "127.0.0.1:8002")], { message: "two" })).revision;
      await r.store.deleteSecret("db-password");
      const dry = await r.engine.restore(file, { dryRun: true });
      assert.equal(dry.dryRun, true);
      assert.deepEqual(dry.revisions.removed, [two.hash]);
      assert.deepEqual(dry.revisions.added, []);
      assert.equal(dry.headBefore, two.hash);
      assert.equal(dry.headAfter, one.hash);
      assert.equal((await r.store.head())?.hash, two.hash, "dry run wrote nothing");

      const done = await r.engine.restore(file);
      assert.equal(done.dryRun, false);
      assert.equal((await r.store.head())?.hash, one.hash);
      assert.equal((await r.store.lastApplied())?.hash, one.hash);
      assert.equal(await r.store.getSecret("db-password"), "hunter2-very-secret");
      assert.equal(await r.store.getSetting("reconcile.suspended"), "true");

      // Damaged archives: truncated, one flipped byte, not an archive at all.
      const cases: [string, Buffer][] = [
        ["truncated", raw.subarray(0, Math.floor(raw.length / 2))],
        ["corrupted", Buffer.from(raw.map((b, i) => (i === Math.floor(raw.length / 2) ? b ^ 0xff : b)))],
        ["garbage", Buffer.from("hello, not a backup")],
      ];
      const headBefore = (await r.store.head())?.hash;
      for (const [name, bytes] of cases) {
        const bad = join(r.dir, `${name}.tar.gz`);
        writeFileSync(bad, bytes);
        await assert.rejects(r.engine.restore(bad), (e: unknown) => {
          assert.ok(e instanceof HecateError);
          assert.equal(e.code, "bad-backup", name);
          assert.match(e.message, /not a usable Hecate backup: .*nothing was restored/);
          return true;
        });
      }
      assert.equal((await r.store.head())?.hash, headBefore, "refused archives changed nothing");
    } finally {
      await r.cleanup();
    }
  });
});
