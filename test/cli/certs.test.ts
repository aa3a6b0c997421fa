// The certificate commands as an operator sees them: `cert import` keeps the PEM pair as store
// Secrets behind an imported Certificate (hosts from the certificate), `list certs` shows
// not-after, days left and where it comes from, `cert renew` says who renews what, and the key
// never shows in any output, plan, audit or the store's plaintext.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { EXPIRY_THRESHOLDS_DAYS } from "../../src/secrets/upkeep.js";
import { sandbox, type Sandbox } from "./helpers.js";

let sb: Sandbox;
before(() => (sb = sandbox()));
after(() => sb.cleanup());

function selfSigned(dir: string, cn: string, days: number, sans: string[]): { cert: string; key: string } {
  const cert = join(dir, `${cn}.crt`), key = join(dir, `${cn}.key`);
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", String(days), "-subj", `/CN=${cn}`, "-addext", `subjectAltName=${sans.map((s) => `DNS:${s}`).join(",")}`], { stdio: "ignore" });
  return { cert, key };
}

describe("cert commands", () => {
  it("import keeps the pair as Secrets behind an imported Certificate; list certs shows not-after, days left and source", async () => {
    const pair = selfSigned(sb.dir, "legacy", 30, ["legacy.example.com", "old.example.com"]);
    const r = await sb.hecate(["cert", "import", "legacy", "--cert", pair.cert, "--key", pair.key]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr + r.stdout, /import certificate legacy \(legacy\.example\.com, old\.example\.com, until 20\d\d-/);
    const read = await sb.hecate(["read", "cert", "legacy", "-o", "json"]);
    assert.deepEqual(JSON.parse(read.stdout).spec, { hosts: ["legacy.example.com", "old.example.com"], issuer: "imported", certificate: "secret:legacy-certificate", key: "secret:legacy-key" });

    const list = await sb.hecate(["list", "certs"]);
    assert.equal(list.code, 0, list.stderr);
    const line = list.stdout.split("\n").find((l) => l.startsWith("legacy"))!;
    assert.match(line, /legacy\.example\.com,old\.example\.com\s+imported\s+20\d\d-\d\d-\d\dT[\d:]+Z\s+(29|30)\s+secret:legacy-certificate/);
    assert.match(list.stdout.split("\n")[0]!, /NAME\s+HOSTS\s+ISSUER\s+NOT-AFTER\s+DAYS LEFT\s+SOURCE/);
    const json = JSON.parse((await sb.hecate(["list", "certs", "-o", "json"])).stdout) as { name: string; daysLeft: number }[];
    assert.ok([29, 30].includes(json[0]!.daysLeft));
  });

  it("an acme dns-01 certificate not obtained yet says how to get it; Caddy's own say Caddy renews them", async () => {
    assert.equal((await sb.hecate(["create", "cert", "wild", "--host", "*.example.com", "--issuer", "acme", "--challenge", "dns-01"])).code, 1, "dns-01 needs the DNS provider's settings");
    assert.equal((await sb.hecate(["create", "cert", "api", "--host", "api.example.com", "--issuer", "acme"])).code, 0);
    const list = await sb.hecate(["list", "certs"]);
    assert.match(list.stdout, /api\s+api\.example\.com\s+acme http-01\s+-\s+-\s+Caddy \(obtains and renews it itself\)/);
    const renew = await sb.hecate(["cert", "renew", "api"]);
    assert.equal(renew.code, 1);
    assert.match(renew.stderr, /certificate api \(issuer acme, http-01\) is obtained and renewed by Caddy itself/);
    const imported = await sb.hecate(["cert", "renew", "legacy"]);
    assert.match(imported.stderr, /certificate legacy is imported: bring a new one with `hecate cert import legacy --cert FILE --key FILE`/);
  });

  it("refuses a key that is not the certificate's, by role, without echoing either", async () => {
    const a = selfSigned(sb.dir, "a", 10, ["a.example.com"]);
    const b = selfSigned(sb.dir, "b", 10, ["b.example.com"]);
    const r = await sb.hecate(["cert", "import", "mixed", "--cert", a.cert, "--key", b.key]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /certificate mixed: the key does not belong to the certificate/);
    assert.ok(!r.stderr.includes("PRIVATE KEY"));
  });

  it("the imported key is in no output, plan, audit or store plaintext", async () => {
    const key = readFileSync(join(sb.dir, "legacy.key"), "utf8");
    const body = key.split("\n").find((l) => l && !l.startsWith("-----"))!;
    const outs = await Promise.all([["read", "secret", "legacy-key", "-o", "yaml"], ["plan", "-v"], ["audit", "-o", "json"], ["history", "-o", "json"], ["render", "caddy"]].map((a) => sb.hecate(a)));
    for (const o of outs) assert.ok(!(o.stdout + o.stderr).includes(body), "key material shown");
    assert.ok(!readFileSync(sb.store).toString("latin1").includes(body), "the store file holds the key only encrypted");
  });

  it("list certs --expiring-within / --expiring-soon: only the certificates that close, Caddy's own named apart as unknown", async () => {
    const far = selfSigned(sb.dir, "far", 200, ["far.example.com"]);
    assert.equal((await sb.hecate(["cert", "import", "far", "--cert", far.cert, "--key", far.key])).code, 0);
    const soon = await sb.eos(["list", "hecate", "certs", "--expiring-soon"]);
    assert.equal(soon.code, 0, soon.stderr);
    assert.deepEqual(soon.stdout.split("\n").slice(1).filter(Boolean).map((l) => l.split(/\s+/)[0]), ["legacy"]);
    assert.match(soon.stderr, /not shown, their not-after unknown to Hecate: api: Caddy \(obtains and renews it itself\)/);
    const within = await sb.eos(["list", "hecate", "certificates", "--expiring-within", "201d"]);
    assert.deepEqual(within.stdout.split("\n").slice(1).filter(Boolean).map((l) => l.split(/\s+/)[0]), ["far", "legacy"]);
    const none = await sb.hecate(["list", "certs", "--expiring-within", "7d", "-o", "json"]);
    assert.deepEqual(JSON.parse(none.stdout), []);
    const help = await sb.hecate(["list", "certs", "--help"]);
    assert.match(help.stdout.replace(/\s+/g, " "), new RegExp(`--expiring-soon only certificates within ${Math.max(...EXPIRY_THRESHOLDS_DAYS)} days of not-after: the first threshold of the reconcile loop's cert.expiring warning`));
    const bad = await sb.hecate(["list", "certs", "--expiring-within", "soon"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--expiring-within expects a duration like 30d, 7d or 12h, got "soon"/);
  });

  it("eos import with --cert-file/--key-file names the Certificate by host; --cert and --cert-file must agree", async () => {
    const pair = selfSigned(sb.dir, "custom", 90, ["custom.example.com"]);
    const r = await sb.eos(["import", "hecate", "cert", "custom.example.com", "--cert-file", pair.cert, "--key-file", pair.key]);
    assert.equal(r.code, 0, r.stderr);
    const read = JSON.parse((await sb.hecate(["read", "cert", "custom.example.com", "-o", "json"])).stdout);
    assert.deepEqual(read.spec.hosts, ["custom.example.com"]);
    const both = await sb.hecate(["cert", "import", "x", "--cert", pair.cert, "--cert-file", join(sb.dir, "far.crt"), "--key", pair.key]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--cert and --cert-file differ: give one of them/);
  });

  it("validate --check-chain of an imported certificate: findings, exit 0 when whole, 1 when broken; Caddy's own cannot be checked", async () => {
    const self = await sb.eos(["validate", "hecate", "cert", "custom.example.com", "--check-chain"]);
    assert.equal(self.code, 0, self.stdout + self.stderr);
    assert.match(self.stdout, /^ok\s+key\s+the private key belongs to the leaf$/m);
    assert.match(self.stdout, /^ok\s+hosts\s+the leaf covers custom\.example\.com$/m);
    assert.match(self.stdout, /^warning root\s+"custom" is not a root of this machine's roots, nor signed by one/m);
    const pinned = await sb.hecate(["cert", "validate", "custom.example.com", "--ca-bundle", join(sb.dir, "custom.crt")]);
    assert.equal(pinned.code, 0, pinned.stdout);
    assert.match(pinned.stdout, /^ok\s+root\s+ends at trusted root "custom"/m);

    // A chain with someone else's CA behind the leaf, and a host the leaf does not cover.
    writeFileSync(join(sb.dir, "wrong-chain.pem"), readFileSync(join(sb.dir, "custom.crt"), "utf8") + readFileSync(join(sb.dir, "far.crt"), "utf8"));
    assert.equal((await sb.hecate(["cert", "import", "custom.example.com", "--cert", join(sb.dir, "wrong-chain.pem"), "--key", join(sb.dir, "custom.key")])).code, 0);
    assert.equal((await sb.hecate(["update", "cert", "custom.example.com", "--add-host", "www.custom.example.com"])).code, 0);
    const broken = await sb.eos(["validate", "hecate", "cert", "custom.example.com", "--check-chain", "--check-expiry"]);
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /^error\s+hosts\s+the leaf \(custom\.example\.com\) does not cover www\.custom\.example\.com$/m);
    assert.match(broken.stdout, /^error\s+chain\s+"custom" is not signed by the next certificate in the chain, "far"$/m);
    assert.match(broken.stdout, /^ok\s+expiry\s+the leaf has (89|90) days left$/m);
    assert.match(broken.stdout, /certificate custom\.example\.com: broken/);
    const json = JSON.parse((await sb.hecate(["cert", "validate", "legacy", "--check-expiry", "-o", "json"])).stdout) as { ok: boolean; findings: { check: string; severity: string }[] };
    assert.equal(json.ok, false, "30 days left is within the expiry warning");
    assert.equal(json.findings.find((f) => f.check === "expiry")?.severity, "error");

    const caddy = await sb.hecate(["cert", "validate", "api.example.com", "--check-chain"]);
    assert.equal(caddy.code, 1);
    assert.match(caddy.stderr, /certificate api \(issuer acme, http-01\) is obtained by Caddy itself, which holds its chain and key: Hecate cannot check them/);
  });

  it("revoke: Caddy's own and imported certificates say who holds the key and what to do", async () => {
    const caddy = await sb.eos(["revoke", "hecate", "cert", "api.example.com", "--reason", "key-compromise"]);
    assert.equal(caddy.code, 1);
    assert.match(caddy.stderr, /certificate api \(issuer acme, http-01\) is obtained by Caddy itself, which holds its key: Hecate cannot revoke it\. Revoke it with an ACME client given the certificate and key from Caddy's storage/);
    assert.match(caddy.stderr, /`hecate update cert api --challenge dns-01`/);
    const imported = await sb.hecate(["cert", "revoke", "legacy"]);
    assert.match(imported.stderr, /certificate legacy is imported: Hecate did not obtain it, so it cannot revoke it/);
    const reason = await sb.hecate(["cert", "revoke", "legacy", "--reason", "lost"]);
    assert.equal(reason.code, 2);
    assert.match(reason.stderr, /Allowed choices are unspecified, key-compromise, affiliation-changed, superseded, cessation-of-operation/);
  });

  it("create cert --domain --provider letsencrypt: issuer acme at Let's Encrypt, named after the domain; contradictions refused", async () => {
    const r = await sb.eos(["create", "hecate", "cert", "--domain", "shop.example.com", "--provider", "letsencrypt"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /create cert shop\.example\.com: revision/);
    const read = JSON.parse((await sb.hecate(["read", "cert", "shop.example.com", "-o", "json"])).stdout);
    assert.deepEqual(read.spec, { hosts: ["shop.example.com"], issuer: "acme", acme: { ca: "https://acme-v02.api.letsencrypt.org/directory" } });
    const clash = await sb.hecate(["create", "cert", "x", "--host", "x.example.com", "--provider", "letsencrypt", "--issuer", "internal"]);
    assert.equal(clash.code, 2);
    assert.match(clash.stderr, /--provider letsencrypt is an ACME CA: it goes with --issuer acme, not internal/);
    const wild = await sb.eos(["create", "hecate", "cert", "*.example.net", "--provider", "letsencrypt", "--challenge", "http-01"]);
    assert.equal(wild.code, 1);
    assert.match(wild.stderr, /Certificate\/wildcard\.example\.net: error: .*dns-01/);
  });

  it("renew names a certificate by host: one that two list is ambiguous; Caddy's own renews itself, --force or not", async () => {
    for (const n of ["dup-a", "dup-b"]) assert.equal((await sb.hecate(["create", "cert", n, "--host", "dup.example.com", "--issuer", "internal"])).code, 0);
    const dup = await sb.eos(["renew", "hecate", "cert", "dup.example.com"]);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /2 certificates list dup\.example\.com \(dup-a, dup-b\): name one of them/);
    const caddy = await sb.eos(["renew", "hecate", "cert", "api.example.com", "--force"]);
    assert.equal(caddy.code, 1);
    assert.match(caddy.stderr, /certificate api \(issuer acme, http-01\) is obtained and renewed by Caddy itself/);
  });
});
