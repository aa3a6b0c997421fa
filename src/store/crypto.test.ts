// Keys derived from the secret key (backup signing): stable, separated by purpose, never the key
// itself; a missing key is an error that says where it was looked for.
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { tempDir } from "../../test/helpers/proc.js";
import { HecateError } from "../diag.js";
import { SecretBox, deriveKey, keyIdOf } from "./crypto.js";

describe("derived keys", () => {
  const dir = tempDir("hecate-crypto-");
  after(() => dir.cleanup());

  it("are stable per key and purpose, differ across purposes and keys, and are not the key", () => {
    const key = randomBytes(32);
    const box = new SecretBox({ key });
    const a = box.derive("hecate:backup:v1", { create: false });
    assert.deepEqual(a.key, deriveKey(key, "hecate:backup:v1"));
    assert.deepEqual(new SecretBox({ key: Buffer.from(key) }).derive("hecate:backup:v1", { create: false }).key, a.key);
    assert.notDeepEqual(box.derive("hecate other v1", { create: false }).key, a.key);
    assert.notDeepEqual(a.key, key);
    assert.equal(a.key.length, 32);
    assert.match(a.keyId, /^[0-9a-f]{16}$/);
    assert.equal(a.keyId, keyIdOf(key));
    assert.notEqual(keyIdOf(randomBytes(32)), a.keyId);
    assert.ok(!key.toString("hex").includes(a.keyId), "the key id is not a piece of the key");
    assert.equal(a.source, "the key given to the store");
  });

  it("without a key: an error naming the key file and $HECATE_SECRET_KEY, or a new key file with create", () => {
    const keyFile = join(dir.path, "cfg", "secret.key");
    const box = new SecretBox({ keyFile, env: {} });
    assert.throws(
      () => box.derive("hecate:backup:v1", { create: false }),
      (e: unknown) => e instanceof HecateError && e.code === "secret-key" && e.message.includes(keyFile) && e.message.includes("$HECATE_SECRET_KEY") && /"hecate:backup:v1"/.test(e.message),
    );
    assert.equal(existsSync(keyFile), false);
    const made = box.derive("hecate:backup:v1", { create: true });
    assert.equal(existsSync(keyFile), true);
    assert.equal(made.source, `key file ${keyFile}`);
    assert.equal(new SecretBox({ keyFile, env: {} }).derive("hecate:backup:v1", { create: false }).keyId, made.keyId);
  });
});
