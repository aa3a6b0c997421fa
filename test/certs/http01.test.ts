// HTTP-01 by Caddy's own ACME issuer, pointed at a real ACME server (pebble) through Settings
// acme.ca, with pebble's API CA trusted through Settings acme.trustedRoots (verification on):
// pebble resolves the host at the Hetzner sandbox's nameserver, validates on Caddy's HTTP port,
// and a real TLS handshake with pebble's root trusted succeeds.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as k from "../../src/model/testkit.js";
import { startHetznerSandbox, type HetznerSandbox } from "../../src/sandbox/hetzner/index.js";
import { compileCaddy } from "../../src/compile/caddy/index.js";
import type { CaddyOwned } from "../../src/compile/caddy/index.js";
import { startCaddy, type Caddy } from "../caddy-provider/caddy.js";
import { startPebble, tlsGet, type Pebble } from "../helpers/pebble.js";
import { eventually, freePorts, waitForPort } from "../helpers/proc.js";
import { startUpstream, type Upstream } from "../helpers/servers.js";


describe("certificates: HTTP-01 by Caddy's ACME issuer against pebble", () => {
  let hz: HetznerSandbox;
  let pebble: Pebble;
  let caddy: Caddy;
  let config: CaddyOwned;
  let up: Upstream;
  let httpsPort: number;
  const ports = { http: 0 };

  before(async () => {
    hz = await startHetznerSandbox({ token: "t", zones: [{ name: "example.com", rrsets: [{ name: "app", type: "A", records: ["127.0.0.1"] }] }] });
    up = await startUpstream("acme-backend");
    let deadPort: number;
    [httpsPort, ports.http, deadPort] = (await freePorts(3)) as [number, number, number];
    const httpPort = ports.http;
    // pebble's tls-alpn-01 goes to a port where nothing listens: only http-01 can succeed, so the
    // certificate proves that challenge (Caddy tries the other type when one fails).
    pebble = await startPebble({ dnsServer: `${hz.dns.host}:${hz.dns.port}`, httpPort, tlsPort: deadPort });
    const state = k.state(
      [
        k.route("app", ["app.example.com"], [up.address], { tls: { mode: "auto", minVersion: "1.2", forceHttps: false } }),
        // A plain-HTTP route, so Hecate's HTTP server holds the HTTP port and Caddy answers the challenge there.
        k.route("plain", ["plain.example.com"], [up.address], { tls: { mode: "off", minVersion: "1.2", forceHttps: false } }),
      ],
      k.settings({ listen: [`127.0.0.1:${httpsPort}`], httpPort, httpsPort }, { acme: { ca: pebble.directory, email: "ops@example.com", trustedRoots: [pebble.apiCaFile] } }),
    );
    const compiled = compileCaddy(state);
    assert.deepEqual(compiled.diagnostics.filter((d) => d.severity === "error"), []);
    config = compiled.config;
    caddy = await startCaddy({ config: { apps: { pki: { certificate_authorities: { local: { install_trust: false } } }, ...config.apps } } });
    await waitForPort(httpPort);
  });
  after(async () => {
    await caddy?.stop();
    await pebble?.stop();
    await up?.close();
    await hz?.close();
  });

  it("the compiled issuer names pebble, trusts its API CA by file, and answers challenges on Caddy's ports", () => {
    const policy = (config.apps.tls as { automation: { policies: { issuers: Record<string, unknown>[] }[] } }).automation.policies[0]!;
    const issuer = policy.issuers[0]!;
    assert.equal(issuer["ca"], pebble.directory);
    assert.deepEqual(issuer["trusted_roots_pem_files"], [pebble.apiCaFile]);
    assert.deepEqual(issuer["challenges"], { http: { alternate_port: ports.http }, "tls-alpn": { alternate_port: httpsPort } });
    assert.ok(!JSON.stringify(config).includes("insecure"), "verification is never turned off");
  });

  it("Caddy obtains a certificate from pebble and serves it: a TLS handshake trusting pebble's root succeeds", async () => {
    const root = await pebble.issuingRoot();
    const got = await eventually(async () => {
      const r = await tlsGet(httpsPort, "app.example.com", root);
      return r.status === 200 ? r : undefined;
    }, 60_000, 500).catch((e: Error) => {
      throw new Error(`${e.message}\ncaddy:\n${caddy.proc.output().slice(-3000)}\npebble:\n${pebble.proc.output().slice(-2000)}`);
    });
    assert.equal(JSON.parse(got!.body).name, "acme-backend");
    assert.match(got!.issuer, /Pebble/i, "issued under pebble's chain");
    assert.match(caddy.proc.output(), /"challenge_type":"http-01"/, "Caddy solved an http-01 challenge");
    assert.match(caddy.proc.output(), /certificate obtained successfully/);
  });
});
