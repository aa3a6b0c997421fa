// Backup and restore round trip through one tar.gz; corrupt or truncated archives are refused
// before anything is written; dry-run reports what would change. Backups are signed: an archive
// edited by hand (even with its checksums fixed) or signed with another key is refused, and a
// running apply inside a backup is closed as abandoned on restore, never recovered.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, it } from "node:test";
import { HecateError } from "../../src/diag.js";
import { backup } from "../../src/engine/backup.js";
import { fingerprint } from "../../src/engine/canonical.js";
import { abandonedApplies } from "../../src/engine/recovery.js";
import { sealName } from "../../src/engine/seal.js";
import { openSqliteStore } from "../../src/store/index.js";
import type { StoreDump } from "../../src/store/store.js";
import { tamper } from "../helpers/backup.js";
import { rig, route } from "./setup.js";

const refused = (code: string, re: RegExp) => (e: unknown) => {
  assert.ok(e instanceof HecateError, String(e));
  assert.equal(e.code, code, e.message);
  assert.match(e.message, re);
  return true;
};

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

  it("refuses a backup whose store.json was edited and re-checksummed: emptied audit, forged author, swapped resources", async () => {
    const r = await rig();
    try {
      await r.engine.commit([route("app", "127.0.0.1:8001")], { message: "one" });
      await r.engine.commit([route("app", "127.0.0.1:6666")], { message: "two" });
      const file = join(r.dir, "good.tar.gz");
      await r.engine.backup(file);
      const edits: [string, (d: StoreDump) => void][] = [
        ["audit emptied", (d) => void (d.audit = [])],
        ["author forged", (d) => void (d.revisions[0]!.author = "mallory")],
        [
          "resources swapped",
          (d) => {
            // Swap content and hash together, so every revision still matches its own hash.
            const [a, b] = [d.revisions[0]!, d.revisions[1]!];
            [a.resources, b.resources, a.hash, b.hash] = [b.resources, a.resources, b.hash, a.hash];
            b.parent = a.hash;
          },
        ],
      ];
      const auditBefore = (await r.store.listAudit()).length;
      for (const [name, edit] of edits) {
        const bad = join(r.dir, `${name.replace(/ /g, "-")}.tar.gz`);
        await tamper(file, bad, edit);
        for (const dryRun of [true, false]) {
          await assert.rejects(r.engine.restore(bad, { dryRun }), refused("backup-signature", /modified after it was made.*nothing was restored.*--insecure-skip-signature/), name);
        }
        // The edit itself is well-formed: only the signature stands between it and the store.
        const skipped = await r.engine.restore(bad, { dryRun: true, skipSignature: true });
        assert.equal(skipped.signature.status, "skipped", name);
      }
      assert.equal((await r.store.listAudit()).length, auditBefore, "refused restores wrote nothing");

      // No signature at all (stripped, or a backup from before signing): refused too.
      const stripped = join(r.dir, "unsigned.tar.gz");
      await tamper(file, stripped, () => undefined, { drop: "signature.json" });
      await assert.rejects(r.engine.restore(stripped), refused("backup-signature", /has no signature\.json/));
      // An untouched file still restores.
      assert.equal((await r.engine.restore(file)).signature.status, "valid");
    } finally {
      await r.cleanup();
    }
  });

  it("a backup signed with another key is refused with both key ids; --insecure-skip-signature restores it, audited", async () => {
    const r = await rig();
    const other = await openSqliteStore({ path: join(r.dir, "other.db"), secretKey: randomBytes(32) });
    try {
      await r.engine.commit([route("app", "127.0.0.1:8001")], { message: "mine" });
      const theirs = await other.putRevision({ expectedParent: 0, resources: [route("b", "127.0.0.1:8002")], author: "bob", message: "theirs", source: { type: "cli" } });
      const file = join(r.dir, "other.tar.gz");
      const m = await backup(other, file);
      const mine = await r.store.deriveKey("hecate:backup:v1", { create: false });
      assert.notEqual(m.keyId, mine.keyId);
      await assert.rejects(r.engine.restore(file, { dryRun: true }), (e: unknown) => {
        refused("backup-signature", /signed with a different secret key/)(e);
        const msg = (e as Error).message;
        assert.ok(msg.includes(`key id ${m.keyId}`) && msg.includes(`key id ${mine.keyId}`), msg);
        assert.match(msg, /\$HECATE_SECRET_KEY.*key file/);
        return true;
      });
      const done = await r.engine.restore(file, { skipSignature: true });
      assert.deepEqual(done.signature, { status: "skipped", keyId: m.keyId, reason: `signed with key id ${m.keyId}, this store's key is ${mine.keyId}: its secrets cannot be read with this key` });
      assert.equal((await r.store.head())?.hash, theirs.hash);
      const row = (await r.store.listAudit({ limit: 1 }))[0]!;
      assert.equal(row.action, "restore");
      assert.equal(row.detail?.signature, "skipped");
      assert.match(String(row.detail?.signatureProblem), /signed with key id/);
    } finally {
      await other.close();
      await r.cleanup();
    }
  });

  it("reports exactly what a restore changes, the same in the dry run and the restore", async () => {
    const r = await rig();
    const fresh = await rig();
    try {
      const one = (await r.engine.commit([route("app", "127.0.0.1:8001")], { message: "one" })).revision;
      await r.engine.apply();
      const two = (await r.engine.commit([route("app", "127.0.0.1:8002")], { message: "two" })).revision;
      await r.store.putSecret("a", "alpha");
      await r.store.putSecret("b", "beta");
      await r.store.setSetting("s1", "x");
      await r.store.setSetting("s2", "y");
      const file = join(r.dir, "b.tar.gz");
      await r.engine.backup(file);
      const inBackup = (await r.store.listAudit()).length - 1; // the "backup" row comes after the dump

      // Into an empty store: everything is added, nothing removed.
      const into = await fresh.engine.restore(file, { dryRun: true });
      assert.deepEqual(into.revisions, { added: [one.hash, two.hash], removed: [], total: 2 });
      assert.deepEqual(into.audit, { before: 0, after: inBackup, added: inBackup, removed: 0 });
      assert.deepEqual(into.secrets, { before: 0, after: 2, added: ["a", "b"], removed: [], changed: [] });
      assert.deepEqual(into.settings, { added: ["s1", "s2"], removed: [], changed: [] });

      // Move on, then look at what going back would do.
      const three = (await r.engine.commit([route("app", "127.0.0.1:8003")], { message: "three" })).revision;
      await r.store.deleteSecret("a");
      await r.store.putSecret("b", "beta-2");
      await r.store.putSecret("c", "gamma");
      await r.store.setSetting("s1", "z");
      await r.store.setSetting("s2", undefined);
      await r.store.setSetting("s3", "w");
      const now = (await r.store.listAudit()).length;
      const expected = {
        signature: { status: "valid", keyId: (await r.store.deriveKey("x", { create: false })).keyId },
        revisions: { added: [], removed: [three.hash], total: 2 },
        headBefore: three.hash,
        headAfter: two.hash,
        appliedBefore: one.hash,
        appliedAfter: one.hash,
        audit: { before: now, after: inBackup, added: 0, removed: now - inBackup },
        secrets: { before: 2, after: 2, added: ["a"], removed: ["c"], changed: ["b"] },
        settings: { added: ["s2"], removed: ["s3"], changed: ["s1"] },
        applies: { before: 1, after: 1, abandoned: [] },
      };
      const dry = await r.engine.restore(file, { dryRun: true });
      assert.deepEqual({ ...dry, created: undefined, file: undefined }, { ...expected, dryRun: true, created: undefined, file: undefined });
      const done = await r.engine.restore(file);
      assert.deepEqual({ ...done, created: undefined, file: undefined }, { ...expected, dryRun: false, created: undefined, file: undefined });
      assert.equal(await r.store.getSecret("a"), "alpha");
      assert.equal(await r.store.getSecret("c"), undefined);
      const row = (await r.store.listAudit({ limit: 1 }))[0]!;
      assert.equal(row.action, "restore");
      assert.deepEqual(row.detail?.secrets, { added: ["a"], removed: ["c"], changed: ["b"] });
      assert.equal(row.detail?.signature, "valid");
      assert.equal(row.detail?.auditRemoved, now - inBackup);
      assert.ok(!JSON.stringify(row).includes("alpha") && !JSON.stringify(done).includes("alpha"), "names only, never values");
    } finally {
      await fresh.cleanup();
      await r.cleanup();
    }
  });

  it("a running apply in the backup is marked abandoned on restore and never recovered", async () => {
    const r = await rig();
    try {
      await r.engine.commit([route("app", "127.0.0.1:8001")], { message: "one" });
      await r.engine.apply();
      const two = (await r.engine.commit([route("app", "127.0.0.1:8002")], { message: "two" })).revision;
      // An apply of two that died after its Caddy step: running, journal with undo data, sealed data.
      const liveOne = r.caddy.live();
      const applyId = "crashed-apply-1";
      await r.store.beginApply({ applyId, revision: two.hash, holder: "ghost@gone-host/4242/abcdef" });
      await r.store.journal({ applyId, event: "begin", data: { revision: two.hash } });
      await r.store.journal({ applyId, event: "step.start", system: "caddy", data: { before: fingerprint(liveOne) } });
      await r.store.journal({ applyId, event: "change.done", system: "caddy", data: { n: 0, record: { change: { system: "caddy", action: "update", kind: "file", id: "caddy" }, undo: { previous: liveOne } } } });
      await r.store.putSecret(sealName(applyId, 0), "{}");
      assert.equal((await abandonedApplies(r.store, "me")).length, 1, "as backed up, recovery would pick it up");
      const file = join(r.dir, "mid-apply.tar.gz");
      await r.engine.backup(file);

      // Later: that apply was recovered, two applied properly; traffic goes to 8002.
      await r.engine.recover();
      await r.engine.apply();
      const liveTwo = r.caddy.live();
      assert.notDeepEqual(liveTwo, liveOne);

      const dry = await r.engine.restore(file, { dryRun: true });
      const report = await r.engine.restore(file, { lockTimeoutMs: 1000 });

      // The next plan recovers nothing: live traffic stays where it is.
      const undosBefore = r.caddy.undos;
      await r.engine.plan();
      assert.deepEqual(r.caddy.live(), liveTwo, "live traffic was not switched back");
      assert.equal(r.caddy.undos, undosBefore);
      assert.ok(!(await r.store.listAudit()).some((a) => a.action === "apply.recover"), "nothing recovered since the restore");
      assert.equal((await r.store.getApply(applyId))?.status, "abandoned");
      assert.deepEqual(await abandonedApplies(r.store, "me"), []);
      const last = (await r.store.readJournal(applyId)).at(-1)!;
      assert.equal(last.event, "end");
      assert.equal((last.data as { status: string }).status, "abandoned");
      assert.ok(!(await r.store.listSecrets()).includes(sealName(applyId, 0)), "sealed undo data of the abandoned apply is dropped");

      // Both reports name it; so does the audit row.
      for (const rep of [dry, report]) {
        assert.deepEqual(rep.applies.abandoned.map((a) => [a.applyId, a.revision, a.holder]), [[applyId, two.hash, "ghost@gone-host/4242/abcdef"]]);
      }
      assert.deepEqual((await r.store.listAudit({ limit: 1 }))[0]?.detail?.abandonedApplies, [applyId]);
    } finally {
      await r.cleanup();
    }
  });
});
