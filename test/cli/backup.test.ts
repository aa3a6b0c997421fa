// `hecate backup` / `hecate restore` as an operator sees them: the exact report in human and JSON
// form, refusal of an edited backup and of one signed with another key, and the audited override.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { tamper } from "../helpers/backup.js";
import { sandbox, type Sandbox } from "./helpers.js";

let sb: Sandbox;
before(() => (sb = sandbox()));
after(() => sb.cleanup());

const route = (name: string) => ["create", "route", name, "--host", `${name}.example.com`, "--upstream", "10.0.0.1:80", "--public"];

describe("backup and restore commands", () => {
  it("show exactly what a restore changes, refuse an edited backup or another key, and audit the override", async () => {
    assert.equal((await sb.hecate(route("one"))).code, 0);
    const file = join(sb.dir, "b.tar.gz");
    const made = await sb.hecate(["backup", "--out", file]);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /signed with secret key id [0-9a-f]{16} \(restoring needs that key\)/);
    assert.equal((await sb.hecate(route("two"))).code, 0);
    const head = (JSON.parse((await sb.hecate(["history", "-o", "json"])).stdout) as { hash: string }[])[0]!.hash;

    const dry = await sb.hecate(["restore", file, "--dry-run"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /signature valid \(secret key id [0-9a-f]{16}\)/);
    assert.match(dry.stdout, /revisions: 0 added, 1 removed \(1 total\)\n {4}- [0-9a-f]{12}/);
    assert.ok(dry.stdout.includes(`head: ${head.slice(0, 12)} -> `), dry.stdout);
    assert.match(dry.stdout, /applied: \(none\) \(unchanged\)/);
    assert.match(dry.stdout, /audit log: 0 rows added, 2 removed \(3 -> 1\)/); // "two" and the backup itself
    assert.match(dry.stdout, /secrets: unchanged \(0 -> 0\)/);
    assert.match(dry.stdout, /dry run: nothing changed/);
    const json = JSON.parse((await sb.hecate(["restore", file, "--dry-run", "-o", "json"])).stdout) as { signature: { status: string }; revisions: { removed: string[] }; audit: { removed: number } };
    assert.equal(json.signature.status, "valid");
    assert.deepEqual(json.revisions.removed, [head]);
    assert.equal(json.audit.removed, 2);

    // Removing history needs --yes.
    const asked = await sb.hecate(["restore", file]);
    assert.equal(asked.code, 1);
    assert.match(asked.stderr, /would remove 1 revision\(s\) and 2 audit row\(s\).*--yes/);

    // Edited, checksums fixed: refused, with a message and no stack trace.
    const forged = join(sb.dir, "forged.tar.gz");
    await tamper(file, forged, (d) => void (d.revisions[0]!.author = "mallory"));
    const bad = await sb.hecate(["restore", forged, "--dry-run"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: .*forged\.tar\.gz cannot be trusted: it was modified after it was made/);
    assert.ok(!/\n\s+at /.test(bad.stderr), bad.stderr);
    const badJson = JSON.parse((await sb.hecate(["restore", forged, "--dry-run", "-o", "json"])).stderr) as { error: { code: string } };
    assert.equal(badJson.error.code, "backup-signature");

    // Another machine's key: refused, pointing at the key; the override restores and is audited.
    const mine = process.env.HECATE_SECRET_KEY;
    process.env.HECATE_SECRET_KEY = randomBytes(32).toString("base64");
    try {
      const other = await sb.hecate(["restore", file, "--dry-run"]);
      assert.equal(other.code, 1);
      assert.match(other.stderr, /signed with a different secret key \(key id [0-9a-f]{16}\) than this store's \(key id [0-9a-f]{16}, from \$HECATE_SECRET_KEY\)/);
      assert.ok(other.stderr.includes(`or put it in the key file ${join(sb.dir, "config", "hecate", "secret.key")}`), other.stderr);
      assert.match(other.stderr, /--insecure-skip-signature/);
      const forced = await sb.hecate(["restore", file, "--insecure-skip-signature", "--yes"]);
      assert.equal(forced.code, 0, forced.stderr);
      assert.match(forced.stderr, /warning: the signature of .* is not verified/);
      assert.match(forced.stdout, /restored .*\n {2}backup made .*, SIGNATURE NOT VERIFIED \(--insecure-skip-signature\): signed with key id/);
    } finally {
      process.env.HECATE_SECRET_KEY = mine;
    }
    const audit = JSON.parse((await sb.hecate(["audit", "-n", "1", "-o", "json"])).stdout) as { action: string; detail: { signature: string } }[];
    assert.equal(audit[0]!.action, "restore");
    assert.equal(audit[0]!.detail.signature, "skipped");
  });
});
