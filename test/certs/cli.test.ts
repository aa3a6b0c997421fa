// The operator's certificate lines (seed 000) against a real ACME server: a wildcard created by
// host name, renewed by host name only when due or forced, revoked at pebble (pebble's own
// records say revoked, with the reason), shown revoked, replaced, and its chain validated
// against pebble's root. Through `eos-hecate` and `hecate` in-process, with real Caddy serving.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { startHetznerSandbox, type HetznerSandbox } from "../../src/sandbox/hetzner/index.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import { startCaddy, type Caddy } from "../caddy-provider/caddy.js";
import { startPebble, tlsGet, type Pebble } from "../helpers/pebble.js";
import { freePorts, waitForPort } from "../helpers/proc.js";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { caddySettingsYaml, sandbox, type Sandbox } from "../cli/helpers.js";

const TOKEN = "sandbox-token-for-cert-cli-tests";

describe("certificate commands against pebble: create, renew, revoke, validate", () => {
  let sb: Sandbox;
  let hz: HetznerSandbox;
  let pebble: Pebble;
  let caddy: Caddy;
  let up: Upstream;
  let httpsPort: number;
  let root: string;

  /** The held certificate as the store has it (chain, fingerprint, revoked). */
  async function held(name = "wildcard.example.com") {
    const s = await openSqliteStore({ path: sb.store });
    try {
      const raw = await s.getSetting(`certificate:${name}`);
      return JSON.parse(raw!) as { chain: string; fingerprint: string; revoked?: { reason: string } };
    } finally {
      await s.close();
    }
  }
  const serial = (chain: string) => new X509Certificate(chain).serialNumber;
  /** A public route to the test upstream for `host`, served with Certificate `cert`. */
  async function createRoute(name: string, host: string, cert: string) {
    const file = `${sb.dir}/${name}.yaml`;
    writeFileSync(file, `apiVersion: hecate.io/v1
kind: Route
metadata: {name: ${name}}
spec:
  hosts: [${host}]
  upstreams: [{address: "${up.address}"}]
  public: true
  tls: {certificate: ${cert}}
`);
    const r = await sb.hecate(["create", "route", "-f", file]);
    assert.equal(r.code, 0, r.stderr);
  }

  before(async () => {
    sb = sandbox();
    hz = await startHetznerSandbox({ token: TOKEN, actionDelayMs: 5, zones: [{ name: "example.com" }] });
    pebble = await startPebble({ dnsServer: `${hz.dns.host}:${hz.dns.port}` });
    up = await startUpstream("wild-backend");
    caddy = await startCaddy({ config: { apps: { pki: { certificate_authorities: { local: { install_trust: false } } } } } });
    let httpPort: number;
    [httpsPort, httpPort] = (await freePorts(2)) as [number, number];
    writeFileSync(`${sb.dir}/token`, TOKEN);
    const conf = `${sb.dir}/conf`;
    mkdirSync(conf);
    writeFileSync(
      `${conf}/settings.yaml`,
      caddySettingsYaml(caddy.admin, { httpPort, httpsPort }, `  hetzner: {endpoint: "${hz.url}", token: "file:${sb.dir}/token"}
  dns: {nameservers: ["${hz.dns.host}:${hz.dns.port}"]}
  acme: {ca: "${pebble.directory}", email: ops@example.com, trustedRoots: ["${pebble.apiCaFile}"]}
`),
    );
    const applied = await sb.hecate(["apply", conf, "--yes"]);
    assert.equal(applied.code, 0, applied.stderr + applied.stdout);
  });
  after(async () => {
    await caddy?.stop();
    await pebble?.stop();
    await hz?.close();
    await up?.close();
    sb?.cleanup();
  });

  it("create cert '*.example.com': the name derived from the host, dns-01 implied and said so; --provider letsencrypt is Let's Encrypt's directory", async () => {
    const c = await sb.eos(["create", "hecate", "cert", "*.example.com", "--issuer", "acme"]);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /\*\.example\.com: a wildcard is obtained by dns-01, through Hecate's DNS provider/);
    assert.match(c.stdout, /create cert wildcard\.example\.com: revision/);
    const spec = JSON.parse((await sb.hecate(["read", "cert", "*.example.com", "-o", "json"])).stdout).spec;
    assert.deepEqual(spec, { hosts: ["*.example.com"], issuer: "acme", acme: { challenge: "dns-01" } });

    const le = await sb.eos(["create", "hecate", "cert", "*.example.org", "--provider", "letsencrypt", "--dns-challenge", "--dry-run", "-o", "json"]);
    assert.equal(le.code, 0, le.stderr);
    assert.match(le.stdout, /https:\/\/acme-v02\.api\.letsencrypt\.org\/directory/);
    assert.match(le.stdout, /wildcard\.example\.org/);

    await createRoute("a", "a.example.com", "wildcard.example.com");
  });

  it("renew by host name: obtained when missing, then 'not due' without --force, a new one with --force, each served by Caddy", async () => {
    const first = await sb.eos(["renew", "hecate", "cert", "*.example.com"]);
    assert.equal(first.code, 0, first.stderr + first.stdout);
    assert.match(first.stdout, /certificate wildcard\.example\.com: \*\.example\.com until/);
    assert.match(first.stdout, /caddy: serving the new certificate/);
    root = await pebble.issuingRoot();
    await waitForPort(httpsPort);
    const a = await held();
    assert.equal((await tlsGet(httpsPort, "a.example.com", root)).fingerprint, a.fingerprint);

    const again = await sb.eos(["renew", "hecate", "cert", "*.example.com"]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /certificate wildcard\.example\.com is not due: renewal at 20\d\d-[\d-]+T[\d:]+Z \(two thirds of its lifetime\), valid until .*; --force renews it now/);
    assert.equal((await held()).fingerprint, a.fingerprint, "nothing obtained");

    const forced = await sb.eos(["renew", "hecate", "cert", "*.example.com", "--force"]);
    assert.equal(forced.code, 0, forced.stderr + forced.stdout);
    const b = await held();
    assert.notEqual(b.fingerprint, a.fingerprint);
    assert.equal((await tlsGet(httpsPort, "a.example.com", root)).fingerprint, b.fingerprint, "Caddy serves the forced renewal");
  });

  it("revoke --reason key-compromise --no-renew: pebble records it revoked (reason 1), list certs says REVOKED, audit has no key; the next renew replaces it", async () => {
    const before1 = await held();
    const r = await sb.eos(["revoke", "hecate", "cert", "*.example.com", "--reason", "key-compromise", "--no-renew"]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /certificate wildcard\.example\.com \(\*\.example\.com, until .*\) revoked at https:\/\/127\.0\.0\.1:\d+\/dir: key-compromise/);
    assert.match(r.stdout, /Caddy serves it until it is replaced: `hecate cert renew wildcard\.example\.com` now, or the reconcile loop/);
    const status = await pebble.certStatus(serial(before1.chain));
    assert.equal(status.Status, "Revoked");
    assert.equal(status.Reason, 1);

    const list = await sb.hecate(["list", "certs"]);
    assert.match(list.stdout, /wildcard\.example\.com\s+\*\.example\.com\s+acme dns-01\s+.*\(REVOKED 20[\d-]+T[\d:]+Z, key-compromise; the next renewal replaces it\)/);
    const audit = await sb.hecate(["audit", "-o", "json"]);
    const entry = (JSON.parse(audit.stdout) as { action: string; detail: { reason: string; fingerprint: string } }[]).find((e) => e.action === "certificate.revoke");
    assert.equal(entry?.detail.reason, "key-compromise");
    assert.equal(entry?.detail.fingerprint, before1.fingerprint);
    assert.ok(!audit.stdout.includes("PRIVATE KEY"));

    const again = await sb.hecate(["cert", "revoke", "wildcard.example.com"]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /certificate wildcard\.example\.com was already revoked at .* \(key-compromise\); `hecate cert renew wildcard\.example\.com` obtains a new one/);

    const renewed = await sb.hecate(["cert", "renew", "wildcard.example.com"]);
    assert.equal(renewed.code, 0, renewed.stderr + renewed.stdout);
    const now = await held();
    assert.notEqual(now.fingerprint, before1.fingerprint, "a revoked certificate is due: renew obtained a new one without --force");
    assert.equal(now.revoked, undefined);
    assert.equal((await tlsGet(httpsPort, "a.example.com", root)).fingerprint, now.fingerprint);
  });

  it("revoke (renewing by default): the old one revoked at pebble, a new one served by Caddy at once", async () => {
    const old = await held();
    const r = await sb.eos(["revoke", "hecate", "cert", "wildcard.example.com", "--reason", "superseded", "-o", "json"]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const out = JSON.parse(r.stdout.slice(r.stdout.indexOf("{"))) as { revoked: { fingerprint: string; revoked: { reason: string } }; renewed: boolean; apply: string };
    assert.equal(out.revoked.fingerprint, old.fingerprint);
    assert.equal(out.revoked.revoked.reason, "superseded");
    assert.equal(out.renewed, true);
    assert.equal((await pebble.certStatus(serial(old.chain))).Reason, 4);
    const now = await held();
    assert.notEqual(now.fingerprint, old.fingerprint);
    assert.equal((await tlsGet(httpsPort, "a.example.com", root)).fingerprint, now.fingerprint);
  });

  it("validate --check-chain: against pebble's root it holds; without it the root is only a warning; a foreign CA bundle fails", async () => {
    const rootFile = `${sb.dir}/pebble-root.pem`;
    writeFileSync(rootFile, root);
    const ok = await sb.eos(["validate", "hecate", "cert", "*.example.com", "--check-chain", "--ca-bundle", rootFile]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /ok\s+key\s+the private key belongs to the leaf/);
    assert.match(ok.stdout, /ok\s+hosts\s+the leaf covers \*\.example\.com/);
    assert.match(ok.stdout, /ok\s+chain\s+each of \d certificates is signed by the next/);
    assert.match(ok.stdout, /ok\s+root\s+(ends at|signed by) trusted root/);

    const loose = await sb.eos(["validate", "hecate", "cert", "*.example.com", "--check-chain"]);
    assert.equal(loose.code, 0, loose.stdout);
    assert.match(loose.stdout, /warning root\s+.* is not a root of this machine's roots and Settings spec\.acme\.trustedRoots, nor signed by one \(give --ca-bundle FILE/);

    const foreign = await sb.eos(["validate", "hecate", "cert", "*.example.com", "--ca-bundle", pebble.apiCaFile]);
    assert.equal(foreign.code, 1);
    assert.match(foreign.stdout, /error\s+root\s+.* is not a root of .*ca\.pem, nor signed by one\n/);
    assert.match(foreign.stdout, /certificate wildcard\.example\.com: broken/);
    assert.ok(!(ok.stdout + loose.stdout + foreign.stdout).includes("PRIVATE KEY"));
  });

  it("list certs --expiring-within: the held one shows only inside its window", async () => {
    const [row] = JSON.parse((await sb.hecate(["list", "certs", "-o", "json"])).stdout) as { name: string; daysLeft: number }[];
    assert.equal(row!.name, "wildcard.example.com");
    const inside = await sb.eos(["list", "hecate", "certs", "--expiring-within", `${row!.daysLeft + 1}d`]);
    assert.match(inside.stdout, /^wildcard\.example\.com\s+\*\.example\.com\s+acme dns-01/m);
    const outside = await sb.eos(["list", "hecate", "certs", "--expiring-within", `${row!.daysLeft - 1}d`]);
    assert.equal(outside.stdout, `no certificate expires within ${row!.daysLeft - 1} days\n`);
  });

  it("list certs reads the not-after of Caddy's own certificates from what Caddy serves; --expiring-within filters them too", async () => {
    assert.equal((await sb.hecate(["create", "cert", "inside", "--host", "in.example.net", "--issuer", "internal"])).code, 0);
    await createRoute("in", "in.example.net", "inside");
    const applied = await sb.hecate(["apply", "--yes"]);
    assert.equal(applied.code, 0, applied.stderr + applied.stdout);
    // Caddy's internal CA issues short-lived certificates (12 h): within a day, not within an hour of now.
    const served = await eventuallyRow(async () => {
      const rows = JSON.parse((await sb.hecate(["list", "certs", "-o", "json"])).stdout) as { name: string; notAfter: string; daysLeft: number | null; source: string }[];
      const row = rows.find((r) => r.name === "inside")!;
      return row.daysLeft === null ? undefined : row;
    });
    assert.match(served.source, new RegExp(`^served by Caddy \\(127\\.0\\.0\\.1:${httpsPort}\\), which renews it itself$`));
    const left = Date.parse(served.notAfter) - Date.now();
    assert.ok(left > 3_600_000 && left <= 13 * 3_600_000, served.notAfter);
    const day = await sb.eos(["list", "hecate", "certs", "--expiring-within", "1d"]);
    assert.deepEqual(day.stdout.split("\n").slice(1).filter(Boolean).map((l) => l.split(/\s+/)[0]), ["inside"]);
    assert.equal(day.stderr, "");
  });
});

/** Caddy's internal issuer obtains the certificate just after the load: ask again for a few seconds. */
async function eventuallyRow<T>(f: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; ; i++) {
    const v = await f();
    if (v !== undefined) return v;
    if (i > 40) throw new Error("Caddy never served the certificate");
    await new Promise((r) => setTimeout(r, 250));
  }
}
