// Secrets: encrypted at rest, key handling, and resolution of env:/file:/secret: references.
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { HecateError } from "../diag.js";
import type { Resource } from "../model/schema.js";
import { tempDir } from "../../test/helpers/proc.js";
import { createSecretResolver } from "./secrets.js";
import { openSqliteStore } from "./sqlite.js";

const PLAIN = "hunter2-very-secret-token-8d1f";

const fails = (p: Promise<unknown>, code: string, re: RegExp) =>
  assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof HecateError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    assert.ok(!e.message.includes(PLAIN), "the error must not contain the value");
    return true;
  });

describe("secrets at rest", () => {
  const dir = tempDir("hecate-secrets-");
  after(() => dir.cleanup());

  it("never writes the plaintext to the store files", async () => {
    const path = join(dir.path, "a", "hecate.db");
    const s = await openSqliteStore({ path, secretKey: randomBytes(32) });
    try {
      await s.putSecret("authentik-token", PLAIN);
      await s.putSecret("hetzner-token", PLAIN + "-2");
      assert.equal(await s.getSecret("authentik-token"), PLAIN);
      assert.deepEqual(await s.listSecrets(), ["authentik-token", "hetzner-token"]);
      for (const f of readdirSync(join(dir.path, "a"))) {
        const bytes = readFileSync(join(dir.path, "a", f));
        assert.equal(bytes.includes(PLAIN), false, `${f} holds the plaintext`);
        assert.equal(bytes.includes(Buffer.from(PLAIN, "utf16le")), false);
      }
      await s.deleteSecret("hetzner-token");
      assert.equal(await s.getSecret("hetzner-token"), undefined);
      assert.deepEqual(await s.listSecrets(), ["authentik-token"]);
    } finally {
      await s.close();
    }
  });

  it("a wrong key gives a clear error without the value, and cannot mix keys", async () => {
    const path = join(dir.path, "b", "hecate.db");
    const s = await openSqliteStore({ path, secretKey: randomBytes(32) });
    await s.putSecret("token", PLAIN);
    await s.close();
    const wrong = await openSqliteStore({ path, secretKey: randomBytes(32) });
    try {
      await fails(wrong.getSecret("token"), "secret-key", /does not match/);
      await fails(wrong.putSecret("other", "x"), "secret-key", /does not match/);
      assert.deepEqual(await wrong.listSecrets(), ["token"]);
    } finally {
      await wrong.close();
    }
  });

  it("takes the key from $HECATE_SECRET_KEY and checks its size", async () => {
    const saved = process.env.HECATE_SECRET_KEY;
    try {
      const key = randomBytes(32);
      process.env.HECATE_SECRET_KEY = key.toString("base64");
      const path = join(dir.path, "c", "hecate.db");
      const s = await openSqliteStore({ path, keyFile: join(dir.path, "c-unused.key") });
      await s.putSecret("token", PLAIN);
      await s.close();
      const same = await openSqliteStore({ path, secretKey: key });
      assert.equal(await same.getSecret("token"), PLAIN);
      await same.close();
      assert.throws(() => statSync(join(dir.path, "c-unused.key")), "no key file is made when the env key is set");

      process.env.HECATE_SECRET_KEY = randomBytes(16).toString("base64");
      const short = await openSqliteStore({ path });
      await fails(short.getSecret("token"), "secret-key", /32 random bytes.*16 bytes/);
      await short.close();
    } finally {
      if (saved === undefined) delete process.env.HECATE_SECRET_KEY;
      else process.env.HECATE_SECRET_KEY = saved;
    }
  });

  it("creates the key file 0600 in a 0700 directory on first use, and insists on its mode", async () => {
    const saved = process.env.HECATE_SECRET_KEY;
    delete process.env.HECATE_SECRET_KEY;
    try {
      const keyFile = join(dir.path, "config", "hecate", "secret.key");
      const path = join(dir.path, "d", "hecate.db");
      const s = await openSqliteStore({ path, keyFile });
      assert.equal(await s.getSecret("absent"), undefined);
      assert.throws(() => statSync(keyFile), "reading creates no key");
      await s.putSecret("token", PLAIN);
      await s.close();
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);
      assert.equal(statSync(join(keyFile, "..")).mode & 0o777, 0o700);
      assert.equal(Buffer.from(readFileSync(keyFile, "utf8").trim(), "base64").length, 32);

      const again = await openSqliteStore({ path, keyFile });
      assert.equal(await again.getSecret("token"), PLAIN);
      await again.close();

      chmodSync(keyFile, 0o644);
      const loose = await openSqliteStore({ path, keyFile });
      await fails(loose.getSecret("token"), "secret-key", /other users.*chmod 600/);
      await loose.close();

      const missing = await openSqliteStore({ path, keyFile: join(dir.path, "nowhere", "secret.key") });
      await fails(missing.getSecret("token"), "secret-key", /no secret key/);
      await missing.close();
    } finally {
      if (saved !== undefined) process.env.HECATE_SECRET_KEY = saved;
    }
  });
});

describe("secret resolver", () => {
  const dir = tempDir("hecate-resolve-");
  after(() => dir.cleanup());
  const secret = (name: string, from: string): Resource => ({ apiVersion: "hecate.io/v1", kind: "Secret", metadata: { name }, spec: { from } });

  it("resolves env:, file:, and secret: via env, file and the store", async () => {
    const store = await openSqliteStore({ path: join(dir.path, "hecate.db"), secretKey: randomBytes(32) });
    try {
      await store.putSecret("in-store", PLAIN);
      mkdirSync(join(dir.path, "f"));
      writeFileSync(join(dir.path, "f", "token"), "file-value\n");
      writeFileSync(join(dir.path, "f", "two-lines"), "line1\nline2\n\n");
      const env = { HECATE_TEST_TOKEN: "env-value", EMPTY: "" };
      const r = createSecretResolver(
        store,
        [secret("from-env", "env:HECATE_TEST_TOKEN"), secret("from-file", `file:${join(dir.path, "f", "token")}`), secret("in-store", "store"), secret("unset", "store"), secret("bad-env", "env:NOPE_NOT_SET")],
        env,
      );
      assert.equal(await r.resolve("env:HECATE_TEST_TOKEN"), "env-value");
      assert.equal(await r.resolve(`file:${join(dir.path, "f", "token")}`), "file-value");
      assert.equal(await r.resolve(`file:${join(dir.path, "f", "two-lines")}`), "line1\nline2\n", "only one trailing newline is trimmed");
      assert.equal(await r.resolve("secret:from-env"), "env-value");
      assert.equal(await r.resolve("secret:from-file"), "file-value");
      assert.equal(await r.resolve("secret:in-store"), PLAIN);

      await fails(r.resolve("env:NOPE_NOT_SET"), "secret-unresolved", /NOPE_NOT_SET is not set/);
      await fails(r.resolve("env:EMPTY"), "secret-unresolved", /EMPTY is empty/);
      await fails(r.resolve("secret:bad-env"), "secret-unresolved", /NOPE_NOT_SET is not set.*Secret\/bad-env/);
      await fails(r.resolve(`file:${join(dir.path, "f", "missing")}`), "secret-unresolved", /missing does not exist/);
      await fails(r.resolve("secret:nobody"), "secret-unresolved", /no Secret resource named "nobody"/);
      await fails(r.resolve("secret:unset"), "secret-unresolved", /no value there/);
      // A literal value where a reference belongs is not echoed back.
      await fails(r.resolve(PLAIN), "secret-unresolved", /not a secret reference/);
    } finally {
      await store.close();
    }
  });
});
