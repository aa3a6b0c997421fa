// The seeds' secret and certificate lines through `eos-hecate`: the same commands as `hecate`.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eosToHecate } from "../../src/cli/eos.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import { sandbox, type Sandbox } from "../cli/helpers.js";

let sb: Sandbox;
before(() => (sb = sandbox()));
after(() => sb.cleanup());

describe("eos-hecate: secrets and certificates", () => {
  it("translates the seeds' spellings", () => {
    assert.deepEqual(eosToHecate(["secret", "hecate", "rotate", "authentik-token", "--grace-period", "24h"]), ["secret", "rotate", "authentik-token", "--grace", "24h"]);
    assert.deepEqual(eosToHecate(["secret", "hecate", "rotate", "api-key", "--strategy", "dual-secret", "--grace-period=1h"]), ["secret", "rotate", "api-key", "--grace", "1h"]);
    assert.deepEqual(eosToHecate(["update", "hecate", "rotate-secret", "compromised-key", "--immediate"]), ["secret", "rotate", "compromised-key", "--grace", "0"]);
    assert.deepEqual(eosToHecate(["renew", "hecate", "cert", "wild"]), ["cert", "renew", "wild"]);
    assert.deepEqual(eosToHecate(["import", "hecate", "cert", "custom", "--cert-file", "c.pem", "--key-file", "k.pem"]), ["cert", "import", "custom", "--cert-file", "c.pem", "--key-file", "k.pem"]);
    assert.deepEqual(eosToHecate(["list", "hecate", "certs"]), ["list", "certs"]);
    assert.deepEqual(eosToHecate(["list", "hecate", "certs", "--expiring-within", "30d"]), ["list", "certs", "--expiring-within", "30d"]);
    assert.deepEqual(eosToHecate(["renew", "hecate", "cert", "*.example.com", "--force"]), ["cert", "renew", "*.example.com", "--force"]);
    assert.deepEqual(eosToHecate(["revoke", "hecate", "cert", "old.example.com", "--reason", "key-compromise"]), ["cert", "revoke", "old.example.com", "--reason", "key-compromise"]);
    assert.deepEqual(eosToHecate(["validate", "hecate", "cert", "custom.example.com", "--check-chain"]), ["cert", "validate", "custom.example.com", "--check-chain"]);
    assert.deepEqual(eosToHecate(["create", "hecate", "cert", "--domain", "api.example.com", "--provider", "letsencrypt"]), ["create", "cert", "--domain", "api.example.com", "--provider", "letsencrypt"]);
    assert.throws(() => eosToHecate(["update", "hecate", "rotate-secret", "x", "--strategy", "big-bang"]), /Hecate rotates with a grace window/);
  });

  it("runs them: a rotation with the old value kept for the grace period, then an immediate one", async () => {
    assert.equal((await sb.eos(["create", "hecate", "secret", "api-key", "--value-from-stdin"], { stdin: "first-value-123" })).code, 0);
    const r = await sb.eos(["secret", "hecate", "rotate", "api-key", "--strategy", "dual-secret", "--grace-period", "1h", "--value-from-stdin"], { stdin: "second-value-456" });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr + r.stdout, /Secret\/api-key rotated; the old value is accepted until/);
    const s = await openSqliteStore({ path: sb.store });
    try {
      assert.equal(await s.getSecret("api-key"), "second-value-456");
      assert.equal(await s.getSecret("previous/api-key"), "first-value-123");
      const now = await sb.eos(["update", "hecate", "rotate-secret", "api-key", "--immediate", "--generate"]);
      assert.equal(now.code, 0, now.stderr);
      assert.match(now.stdout, /^[A-Za-z0-9_-]{43}\n$/, "the generated value, printed once");
      assert.equal(await s.getSecret("previous/api-key"), undefined, "no grace: the old value is gone");
      assert.equal(await s.getSecret("api-key"), now.stdout.trim());
    } finally {
      await s.close();
    }
    const renew = await sb.eos(["renew", "hecate", "cert", "nope"]);
    assert.match(renew.stderr, /no Certificate named "nope"/);
  });
});
