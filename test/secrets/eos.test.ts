// The seeds' secret and certificate lines through `eos-hecate`: the same commands as `hecate`.
// Secret lines of seed 000: list (--show-expiry), store (--value-from..., --value with a warning),
// rotate (--grace-period), delete (a dry run without --confirm), validate (--check-expiry); inject
// and sync are not built and say so.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { eosToHecate } from "../../src/cli/eos.js";
import { runCli } from "../helpers/cli.js";
import { lastRotatedKey } from "../../src/secrets/rotate.js";
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

/** The stored value of a secret, read straight from the store. */
async function stored(path: string, name: string): Promise<string | undefined> {
  const s = await openSqliteStore({ path });
  try {
    return await s.getSecret(name);
  } finally {
    await s.close();
  }
}

describe("eos-hecate: the seed's secret lines", () => {
  it("translates them", () => {
    assert.deepEqual(eosToHecate(["secret", "hecate", "list", "--show-expiry"]), ["list", "secrets", "--show-expiry"]);
    assert.deepEqual(eosToHecate(["secret", "hecate", "store", "k", "--value-from-stdin", "--encrypt"]), ["create", "secret", "k", "--value-from-stdin"]);
    assert.deepEqual(eosToHecate(["secret", "hecate", "store", "k", "--value", "v"]), ["create", "secret", "k", "--value-from-stdin"], "the value goes in on stdin");
    assert.deepEqual(eosToHecate(["secret", "hecate", "delete", "k", "--confirm"]), ["delete", "secret", "k"]);
    assert.deepEqual(eosToHecate(["secret", "hecate", "delete", "k"]), ["delete", "secret", "k", "--dry-run"]);
    assert.deepEqual(eosToHecate(["secret", "hecate", "validate", "--check-expiry"]), ["secret", "validate", "--check-expiry"]);
    assert.throws(() => eosToHecate(["secret", "hecate", "store", "k", "--value", "v", "--value-from-stdin"]), /--value excludes --value-from, --value-from-stdin and --from/);
  });

  it("store: from stdin or a file; --value is stored with a warning and never echoed (the real adapter)", async () => {
    const fromStdin = await sb.eos(["secret", "hecate", "store", "db-pass", "--value-from-stdin", "--encrypt"], { stdin: "stdin-value-1" });
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    assert.equal(await stored(sb.store, "db-pass"), "stdin-value-1");
    writeFileSync(`${sb.dir}/smtp.txt`, "file-value-2\n");
    assert.equal((await sb.eos(["secret", "hecate", "store", "smtp", "--value-from", `file:${sb.dir}/smtp.txt`])).code, 0);
    assert.equal(await stored(sb.store, "smtp"), "file-value-2");

    const env = { ...process.env, ...sb.env, HECATE_FROM_SOURCE: "1" } as NodeJS.ProcessEnv;
    const r = await runCli(env, ["secret", "hecate", "store", "authentik-token", "--value", "argv-value-3"], "bin/eos-hecate.js");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await stored(sb.store, "authentik-token"), "argv-value-3");
    assert.match(r.stderr, /^warning: --value puts the secret on the command line, where the shell's history and the process list keep it: remove it from the history, and next time pipe it in \(`printf %s "\$VALUE" \| eos-hecate secret hecate store authentik-token --value-from-stdin`\)/);
    assert.ok(!(r.stdout + r.stderr).includes("argv-value-3"), "the value is not echoed");
    const again = await sb.eos(["secret", "hecate", "store", "db-pass", "--value", "x"]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /secret "db-pass" already exists/);
  });

  it("list --show-expiry: the next rotation from rotateEvery and an open grace window", async () => {
    assert.equal((await sb.hecate(["update", "secret", "db-pass", "--rotate-every", "30d", "--grace", "1h"])).code, 0);
    const before = await sb.eos(["secret", "hecate", "list", "--show-expiry"]);
    assert.equal(before.code, 0, before.stderr);
    assert.match(before.stdout, /NAME\s+FROM\s+ROTATE EVERY\s+LAST ROTATED\s+NEXT ROTATION\s+OLD ACCEPTED UNTIL/);
    assert.match(before.stdout, /db-pass\s+store\s+30d\s+-\s+30d after the reconcile loop's first round\s+-/);
    assert.match(before.stdout, /smtp\s+store\s+-\s+-\s+-\s+-/);
    const rotated = await sb.eos(["secret", "hecate", "rotate", "db-pass", "--grace-period", "2h", "--value-from-stdin"], { stdin: "stdin-value-4" });
    assert.equal(rotated.code, 0, rotated.stderr);
    const json = await sb.eos(["-o", "json", "secret", "hecate", "list", "--show-expiry"]);
    const row = (JSON.parse(json.stdout) as { name: string; lastRotated: string; nextRotation: string; graceUntil: string; due: string }[]).find((x) => x.name === "db-pass")!;
    assert.equal(Date.parse(row.nextRotation) - Date.parse(row.lastRotated), 30 * 86_400_000);
    assert.ok(Math.abs(Date.parse(row.graceUntil) - Date.parse(row.lastRotated) - 2 * 3_600_000) < 1000, "the grace period given");
    assert.equal(row.due, "ok");
    const table = await sb.eos(["secret", "hecate", "list", "--show-expiry"]);
    assert.match(table.stdout, new RegExp(`db-pass\\s+store\\s+30d\\s+${row.lastRotated.replace(/\.\d+Z$/, "Z")}\\s+${row.nextRotation.replace(/\.\d+Z$/, "Z")}\\s+${row.graceUntil.replace(/\.\d+Z$/, "Z")}`));
  });

  it("validate: every secret and reference resolves (exit 0), a missing one fails by name (exit 1); --check-expiry reports an overdue rotation", async () => {
    const ok = await sb.eos(["secret", "hecate", "validate"]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^4 secret\(s\) and reference\(s\) resolve\n$/);
    assert.equal((await sb.hecate(["create", "secret", "hetzner-token", "--from", "env:HETZNER_TOKEN_UNSET"])).code, 0);
    const bad = await sb.eos(["secret", "hecate", "validate"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /error: Secret\/hetzner-token: environment variable HETZNER_TOKEN_UNSET is not set \(Secret\/hetzner-token takes its value from env:HETZNER_TOKEN_UNSET\)/);
    assert.match(bad.stdout, /1 problem\(s\); 5 secret\(s\) and reference\(s\) checked/);
    assert.equal((await sb.hecate(["delete", "secret", "hetzner-token"])).code, 0);

    const fine = await sb.eos(["secret", "hecate", "validate", "--check-expiry"]);
    assert.equal(fine.code, 0, fine.stdout);
    assert.match(fine.stdout, /note: Secret\/db-pass: rotated; the old value is accepted until /);
    assert.match(fine.stdout, /resolve; no rotation is overdue/);
    // Last rotated 31 days ago and no loop has run since: overdue.
    const s = await openSqliteStore({ path: sb.store });
    await s.setSetting(lastRotatedKey("db-pass"), new Date(Date.now() - 31 * 86_400_000).toISOString());
    await s.close();
    const late = await sb.eos(["secret", "hecate", "validate", "--check-expiry"]);
    assert.equal(late.code, 1);
    assert.match(late.stdout, /error: Secret\/db-pass: rotation overdue since \S+ \(rotateEvery 30d, last rotated \S+\): is a reconcile loop running \(`hecate serve --reconcile 1m`\)\? Rotate it now with `hecate secret rotate db-pass`/);
    assert.equal((await sb.eos(["secret", "hecate", "validate"])).code, 0, "without --check-expiry the schedule is not judged");
  });

  it("delete: without --confirm a dry run and exit 1; with it, deleted; inject and sync are not built", async () => {
    const dry = await sb.eos(["secret", "hecate", "delete", "smtp"]);
    assert.equal(dry.code, 1);
    assert.match(dry.stderr, /nothing deleted: that was a dry run\. To delete Secret\/smtp: eos-hecate secret hecate delete smtp --confirm/);
    assert.match((await sb.hecate(["list", "secrets"])).stdout, /smtp/);
    const done = await sb.eos(["secret", "hecate", "delete", "smtp", "--confirm"]);
    assert.equal(done.code, 0, done.stderr);
    assert.doesNotMatch((await sb.hecate(["list", "secrets"])).stdout, /smtp/);
    const ghost = await sb.eos(["secret", "hecate", "delete", "ghost", "--confirm"]);
    assert.equal(ghost.code, 1);

    const inject = await sb.eos(["secret", "hecate", "inject", "--into-env", "AUTHENTIK_TOKEN"]);
    assert.equal(inject.code, 1);
    assert.match(inject.stderr, /eos secret hecate inject is not built: Hecate never hands a secret's value to a shell/);
    const sync = await sb.eos(["secret", "hecate", "sync", "--from", "vault://secret/hecate/", "--to", "consul://hecate/secrets/"]);
    assert.equal(sync.code, 1);
    assert.match(sync.stderr, /eos secret hecate sync is not built: Hecate has no Vault or Consul secret backend/);
  });
});
