// A wildcard certificate by DNS-01, done by Hecate itself against a real ACME server (pebble):
// the _acme-challenge TXT rrset written through the DNS provider into the Hetzner sandbox, pebble
// resolving it at the sandbox's nameserver, the certificate loaded into real Caddy, two hosts
// served over TLS chained to pebble's root, the TXT rrset gone afterwards, the key only sealed.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { listIssued } from "../../src/certs/issued.js";
import { renewCertificate } from "../../src/certs/renew.js";
import { createEngine, type Engine } from "../../src/engine/index.js";
import { reconcileLoop } from "../../src/engine/reconcile.js";
import type { Resource } from "../../src/model/schema.js";
import { query } from "../../src/providers/dns/query.js";
import type { HetznerSandbox } from "../../src/sandbox/hetzner/index.js";
import { openSqliteStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/store.js";
import type { Caddy } from "../caddy-provider/caddy.js";
import { KEY } from "../engine/setup.js";
import { tlsGet, type Pebble } from "../helpers/pebble.js";
import { tempDir, waitForPort } from "../helpers/proc.js";
import type { Upstream } from "../helpers/servers.js";
import { startCertStack, type CertStack } from "./stack.js";

const TOKEN = "sandbox-token-for-cert-tests";
process.env["HECATE_TEST_CERT_HETZNER_TOKEN"] = TOKEN;


describe("certificates: a wildcard by DNS-01 through the Hetzner sandbox, from pebble, served by real Caddy", () => {
  let stack: CertStack;
  let hz: HetznerSandbox;
  let pebble: Pebble;
  let caddy: Caddy;
  let up: Upstream;
  let store: Store;
  let engine: Engine;
  let httpsPort: number;
  let resources: Resource[];
  const dir = tempDir("hecate-certs-");
  const logs: string[] = [];

  before(async () => {
    stack = await startCertStack({ token: TOKEN, zones: [{ name: "example.com" }], backend: "wild-backend" });
    ({ hz, pebble, up, caddy, httpsPort } = stack);
    const { httpPort } = stack;
    store = await openSqliteStore({ path: join(dir.path, "s.db"), secretKey: KEY });
    engine = createEngine({ store, actor: "t", stepTimeoutMs: 60_000 });
    const r = (kind: string, name: string, spec: unknown) => ({ apiVersion: "hecate.io/v1", kind, metadata: { name }, spec }) as Resource;
    resources = [
      r("Settings", "s", {
        caddy: { admin: [caddy.admin], listen: [`127.0.0.1:${httpsPort}`], httpPort, httpsPort },
        hetzner: { token: "env:HECATE_TEST_CERT_HETZNER_TOKEN", endpoint: hz.url },
        dns: { nameservers: [`${hz.dns.host}:${hz.dns.port}`] },
        acme: { ca: pebble.directory, email: "ops@example.com", trustedRoots: [pebble.apiCaFile] },
      }),
      r("Certificate", "wild", { hosts: ["*.example.com"], issuer: "acme", acme: { challenge: "dns-01" } }),
      r("Route", "a", { hosts: ["a.example.com"], upstreams: [{ address: up.address }], public: true, tls: { certificate: "wild" } }),
      r("Route", "b", { hosts: ["b.example.com"], upstreams: [{ address: up.address }], public: true, tls: { certificate: "wild" } }),
    ];
    await engine.commit(resources, { message: "wildcard" });
  });
  after(async () => {
    await store?.close();
    await stack?.stop();
    dir.cleanup();
  });

  it("before it is obtained, the plan says so and Caddy is configured without it", async () => {
    const plan = await engine.plan({ systems: ["caddy"] });
    assert.ok(plan.diagnostics.some((d) => d.code === "certificate-pending" && d.message.includes("hecate cert renew wild")), JSON.stringify(plan.diagnostics));
  });

  it("renew obtains *.example.com by DNS-01; Caddy serves a and b with it, chained to pebble's root; the TXT rrset is removed", async () => {
    const { state, ctx } = await engine.context();
    const res = await renewCertificate(store, state, ctx, "wild", { actor: "t", reason: "manual", log: (m) => logs.push(m) });
    assert.deepEqual(res.certificate.hosts, ["*.example.com"]);
    assert.ok(logs.some((l) => l.includes("TXT _acme-challenge.example.com written")), logs.join("\n"));
    assert.ok(logs.some((l) => l.includes("TXT _acme-challenge.example.com removed")), logs.join("\n"));
    assert.ok(!hz.rrsets("example.com").some((s) => s.type === "TXT"), "no TXT rrset left in the zone");
    assert.deepEqual((await query(hz.dns, "_acme-challenge.example.com", "TXT")).values, [], "the nameserver no longer answers the challenge");

    const applied = await engine.apply({ systems: ["caddy"] });
    assert.equal(applied.status, "succeeded", JSON.stringify(applied.steps));
    await waitForPort(httpsPort);
    const root = await pebble.issuingRoot();
    for (const host of ["a.example.com", "b.example.com"]) {
      const got = await tlsGet(httpsPort, host, root);
      assert.equal(got.status, 200, got.body);
      assert.equal(JSON.parse(got.body).name, "wild-backend");
      assert.equal(got.fingerprint, res.certificate.fingerprint, `${host} is served the certificate Hecate obtained`);
    }
    await assert.rejects(tlsGet(httpsPort, "a.example.com", pebble.apiCa), /certificate|self.signed|unable/i, "not trusted without pebble's root: verification is on");
  });

  it("a second renewal is loaded on the next apply: Caddy serves the new certificate", async () => {
    const [held] = await listIssued(store);
    const { state, ctx } = await engine.context();
    const res = await renewCertificate(store, state, ctx, "wild", { actor: "t", reason: "manual" });
    assert.notEqual(res.certificate.fingerprint, held!.fingerprint);
    const plan = await engine.plan({ systems: ["caddy"] });
    assert.ok(plan.steps.length > 0, "the renewed certificate is a change for Caddy");
    assert.equal((await engine.apply({ systems: ["caddy"] })).status, "succeeded");
    const got = await tlsGet(httpsPort, "b.example.com", await pebble.issuingRoot());
    assert.equal(got.fingerprint, res.certificate.fingerprint);
  });

  it("the reconcile loop renews a certificate past two thirds of its lifetime; requests during the switch all succeed", async () => {
    const applied = await engine.apply();
    assert.ok(["succeeded", "no-op"].includes(applied.status), JSON.stringify(applied.steps));
    const [held] = await listIssued(store);
    const root = await pebble.issuingRoot();
    // Two thirds of the lifetime from now on: what the loop sees when the time has come.
    const late = Date.parse(held!.notBefore) + ((Date.parse(held!.notAfter) - Date.parse(held!.notBefore)) * 3) / 4;
    const ac = new AbortController();
    const rounds: unknown[] = [];
    const loop = reconcileLoop(
      { store, actor: "reconciler", reconcile: (o) => engine.reconcile({ ...o, now: late }) },
      { intervalMs: 300, signal: ac.signal, onRound: (r) => { rounds.push(r); if (r.certificates?.renewed.length && r.status === "ok") ac.abort(); } },
    );
    const failures: string[] = [];
    let served = 0;
    const seen = new Set<string>();
    while (!ac.signal.aborted) {
      try {
        // Caddy 2.6.2 resets a connection caught by the reload's listener swap before answering
        // it: a client sends such a GET again once, as browsers do.
        const host = served % 2 ? "a.example.com" : "b.example.com";
        const got = await tlsGet(httpsPort, host, root).catch((e: Error) => {
          if (!/ECONNRESET/.test(e.message)) throw e;
          return tlsGet(httpsPort, host, root);
        });
        if (got.status !== 200) failures.push(String(got.status));
        seen.add(got.fingerprint);
      } catch (e) {
        failures.push((e as Error).message);
      }
      served++;
    }
    await loop;
    assert.deepEqual(failures, [], `no failed request among ${served} during the renewal`);
    const [now] = await listIssued(store);
    assert.notEqual(now!.fingerprint, held!.fingerprint, JSON.stringify(rounds));
    assert.equal((await tlsGet(httpsPort, "a.example.com", root)).fingerprint, now!.fingerprint, "Caddy serves the renewed certificate");
    assert.ok(seen.has(held!.fingerprint), "the old one served until the switch");
    assert.ok((await store.listAudit()).some((a) => a.action === "certificate.renew" && (a.detail as { reason?: string }).reason === "due"));
  });

  it("a failed renewal keeps the old certificate serving and says why", async () => {
    const [held] = await listIssued(store);
    await stack.closeHetzner(); // the DNS provider is unreachable: no challenge can be written
    const { state, ctx } = await engine.context();
    await assert.rejects(renewCertificate(store, state, ctx, "wild", { actor: "t", reason: "manual" }), (e: Error) => {
      assert.match(e.message, /certificate wild: .*keeps serving/);
      return true;
    });
    const [after1] = await listIssued(store);
    assert.equal(after1!.fingerprint, held!.fingerprint);
    assert.ok(after1!.lastError?.message, "the failure is remembered");
    const got = await tlsGet(httpsPort, "a.example.com", await pebble.issuingRoot());
    assert.equal(got.fingerprint, held!.fingerprint);
  });

  it("the key is never in the store's journal, audit or settings in clear, nor in Caddy's logs", async () => {
    const key = await store.getSecret("certificate:wild:key");
    assert.ok(key?.includes("PRIVATE KEY"));
    const body = key!.split("\n").filter((l) => l && !l.startsWith("-----"))[0]!;
    const dump = JSON.stringify(await store.dump());
    assert.ok(!dump.includes(body), "the dump (backup source) holds the key only sealed");
    const audit = JSON.stringify(await store.listAudit());
    assert.ok(audit.includes("certificate.renew") && !audit.includes(body));
    for (const f of readdirSync(dir.path)) if (!f.endsWith(".db")) assert.ok(!readFileSync(join(dir.path, f), "utf8").includes(body));
    assert.ok(!caddy.proc.output().includes(body));
  });
});
