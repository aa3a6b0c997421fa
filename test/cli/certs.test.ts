// The certificate commands as an operator sees them: `cert import` keeps the PEM pair as store
// Secrets behind an imported Certificate (hosts from the certificate), `list certs` shows
// not-after, days left and where it comes from, `cert renew` says who renews what, and the key
// never shows in any output, plan, audit or the store's plaintext.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
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
});
