// `hecate secret rekey` as an operator runs it: every secret still resolves under the new key, the
// old key opens nothing in the store, and a backup made before restores only with the old key
// given explicitly (`restore --key-file`), its secrets then sealed with the new key.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { sandbox, type Sandbox } from "../cli/helpers.js";
import { openSqliteStore } from "../../src/store/sqlite.js";

let sb: Sandbox;
before(() => (sb = sandbox()));
after(() => sb.cleanup());

const keyOf = (file: string) => Buffer.from(readFileSync(file, "utf8").trim(), "base64");

async function secretsWith(key: Buffer, path: string): Promise<Record<string, string>> {
  const s = await openSqliteStore({ path, secretKey: key });
  try {
    const out: Record<string, string> = {};
    for (const n of await s.listSecrets()) out[n] = (await s.getSecret(n))!;
    return out;
  } finally {
    await s.close();
  }
}

describe("secret rekey", () => {
  it("with $HECATE_SECRET_KEY: the new key goes to --new-key-file; old key refused; an old backup restores with --key-file", async () => {
    const oldKey = Buffer.from(process.env.HECATE_SECRET_KEY!, "base64");
    const oldFile = `${sb.dir}/old.key`;
    writeFileSync(oldFile, oldKey.toString("base64") + "\n", { mode: 0o600 });
    assert.equal((await sb.hecate(["create", "secret", "db-password", "--value-from-stdin"], { stdin: "hunter2-db" })).code, 0);
    assert.equal((await sb.hecate(["create", "secret", "api-token", "--value-from-stdin"], { stdin: "tok-123456" })).code, 0);
    const bak = `${sb.dir}/before.tar.gz`;
    assert.equal((await sb.hecate(["backup", "--out", bak])).code, 0);

    const refused = await sb.hecate(["secret", "rekey"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /comes from \$HECATE_SECRET_KEY, which rekey cannot change: give --new-key-file FILE/);

    const newFile = `${sb.dir}/new.key`;
    const r = await sb.hecate(["secret", "rekey", "--new-key-file", newFile]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr + r.stdout, /re-encrypted 2 secret\(s\) with key id [0-9a-f]{16} \(was [0-9a-f]{16}\); the new key is in .*new\.key/);
    const newKey = keyOf(newFile);
    assert.notDeepEqual(newKey, oldKey);
    assert.deepEqual(await secretsWith(newKey, sb.store), { "api-token": "tok-123456", "db-password": "hunter2-db" });
    await assert.rejects(secretsWith(oldKey, sb.store), /secret key does not match/);

    const audit = await sb.hecate(["audit", "-o", "json"]);
    assert.match(audit.stdout, /secret\.rekey/);
    assert.ok(!audit.stdout.includes(newKey.toString("base64")) && !audit.stdout.includes(oldKey.toString("base64")));

    process.env.HECATE_SECRET_KEY = newKey.toString("base64");
    const plain = await sb.hecate(["restore", bak, "--yes"]);
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /signed with a different secret key .* give the old key with --key-file FILE/);
    const restored = await sb.hecate(["restore", bak, "--key-file", oldFile, "--yes"]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.deepEqual(await secretsWith(newKey, sb.store), { "api-token": "tok-123456", "db-password": "hunter2-db" }, "restored secrets open with the new key");
    await assert.rejects(secretsWith(oldKey, sb.store), /secret key does not match/);
    const wrong = `${sb.dir}/wrong.key`;
    writeFileSync(wrong, randomBytes(32).toString("base64"), { mode: 0o600 });
    assert.equal((await sb.hecate(["restore", bak, "--key-file", wrong, "--yes"])).code, 1);
  });

  it("with a key file: the file itself is replaced (no .new left), the copy of the old one opens nothing", async () => {
    const saved = process.env.HECATE_SECRET_KEY;
    delete process.env.HECATE_SECRET_KEY;
    try {
      const store = `${sb.dir}/filekey.db`;
      const keyFile = `${process.env.XDG_CONFIG_HOME}/hecate/secret.key`;
      assert.equal((await sb.hecate(["--store", store, "create", "secret", "s1", "--value-from-stdin"], { stdin: "v1-value", env: { HECATE_SECRET_KEY: undefined } })).code, 0);
      assert.ok(existsSync(keyFile), "the first sealed secret made the key file");
      const before = keyOf(keyFile);
      const r = await sb.hecate(["--store", store, "secret", "rekey"], { env: { HECATE_SECRET_KEY: undefined } });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!existsSync(`${keyFile}.new`));
      const after = keyOf(keyFile);
      assert.notDeepEqual(after, before);
      assert.deepEqual(await secretsWith(after, store), { s1: "v1-value" });
      await assert.rejects(secretsWith(before, store), /secret key does not match/);
    } finally {
      process.env.HECATE_SECRET_KEY = saved;
    }
  });
});
