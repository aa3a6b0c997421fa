// TLS-ALPN-01 by Caddy's own ACME issuer, pointed at a real ACME server (pebble) through Settings
// acme.ca, with pebble's API CA trusted through Settings acme.trustedRoots (verification on). The
// route's Certificate asks for tls-alpn-01, so the compiled issuer disables http-01, and pebble's
// http-01 port leads nowhere: the certificate can only come from a TLS-ALPN-01 handshake on
// Caddy's HTTPS port. Applied through the engine to real Caddy; a real TLS handshake with
// pebble's root trusted proves it.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createEngine, type Engine } from "../../src/engine/index.js";
import type { Resource } from "../../src/model/schema.js";
import { openSqliteStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/store.js";
import { KEY } from "../engine/setup.js";
import { tlsGet } from "../helpers/pebble.js";
import { eventually, tempDir } from "../helpers/proc.js";
import { startCertStack, type CertStack } from "./stack.js";

describe("certificates: TLS-ALPN-01 by Caddy's ACME issuer against stack.pebble, http-01 impossible", () => {
  let stack: CertStack;
  let store: Store;
  let engine: Engine;
  const dir = tempDir("hecate-alpn-");

  before(async () => {
    // The inverse of http01.test.ts: stack.pebble's http-01 goes where nothing listens (its default),
    // its tls-alpn-01 to Caddy's HTTPS port.
    stack = await startCertStack({
      token: "t",
      zones: [{ name: "example.com", rrsets: [{ name: "app", type: "A", records: ["127.0.0.1"] }] }],
      backend: "alpn-backend",
      validation: (ports) => ({ tlsPort: ports.httpsPort }),
    });
    store = await openSqliteStore({ path: join(dir.path, "s.db"), secretKey: KEY });
    engine = createEngine({ store, actor: "t", stepTimeoutMs: 60_000 });
    const r = (kind: string, name: string, spec: unknown) => ({ apiVersion: "hecate.io/v1", kind, metadata: { name }, spec }) as Resource;
    await engine.commit(
      [
        r("Settings", "s", {
          caddy: { admin: [stack.caddy.admin], listen: [`127.0.0.1:${stack.httpsPort}`], httpPort: stack.httpPort, httpsPort: stack.httpsPort },
          acme: { ca: stack.pebble.directory, email: "ops@example.com", trustedRoots: [stack.pebble.apiCaFile] },
        }),
        r("Certificate", "alpn", { hosts: ["app.example.com"], issuer: "acme", acme: { challenge: "tls-alpn-01" } }),
        r("Route", "app", { hosts: ["app.example.com"], upstreams: [{ address: stack.up.address }], public: true, tls: { mode: "auto", certificate: "alpn" } }),
      ],
      { message: "tls-alpn-01" },
    );
  });
  after(async () => {
    await store?.close();
    await stack?.stop();
    dir.cleanup();
  });

  it("the planned issuer names stack.pebble, trusts its API CA by file, disables http-01 and answers tls-alpn-01 on Caddy's HTTPS port", async () => {
    const plan = await engine.plan();
    const tls = (plan.desired["caddy"] as { apps: { tls: { automation: { policies: { subjects: string[]; issuers: Record<string, unknown>[] }[] } } } }).apps.tls;
    const [policy] = tls.automation.policies.filter((p) => p.subjects.includes("app.example.com"));
    const issuer = policy!.issuers[0]!;
    assert.equal(issuer["ca"], stack.pebble.directory);
    assert.deepEqual(issuer["trusted_roots_pem_files"], [stack.pebble.apiCaFile]);
    assert.deepEqual(issuer["challenges"], { http: { disabled: true }, "tls-alpn": { alternate_port: stack.httpsPort } });
    assert.ok(!JSON.stringify(plan.desired).includes("insecure"), "verification is never turned off");
  });

  it("apply loads Caddy; it obtains the certificate by TLS-ALPN-01 only, and a handshake trusting stack.pebble's root succeeds", async () => {
    const applied = await engine.apply();
    assert.equal(applied.status, "succeeded", JSON.stringify(applied.steps));
    const root = await stack.pebble.issuingRoot();
    const got = await eventually(async () => {
      const res = await tlsGet(stack.httpsPort, "app.example.com", root).catch(() => undefined);
      return res?.status === 200 ? res : undefined;
    }, 60_000, 500).catch((e: Error) => {
      throw new Error(`${e.message}\ncaddy:\n${stack.caddy.proc.output().slice(-3000)}\npebble:\n${stack.pebble.proc.output().slice(-2000)}`);
    });
    assert.equal(JSON.parse(got!.body).name, "alpn-backend");
    const intermediate = new X509Certificate(await stack.pebble.intermediate());
    assert.equal(`CN=${got!.issuer}`, intermediate.subject.trim(), "the leaf is issued by stack.pebble's intermediate");
    assert.equal(got!.san, "DNS:app.example.com");
    const log = stack.caddy.proc.output();
    assert.match(log, /"challenge_type":"tls-alpn-01"/, "Caddy solved a tls-alpn-01 challenge");
    assert.doesNotMatch(log, /"challenge_type":"http-01"/, "and never tried http-01");
    assert.match(log, /certificate obtained successfully/);
    await assert.rejects(tlsGet(stack.httpsPort, "app.example.com", stack.pebble.apiCa), /certificate|self.signed|unable/i, "not trusted without stack.pebble's root: verification is on");
  });
});
