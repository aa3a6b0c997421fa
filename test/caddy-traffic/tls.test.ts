// HTTPS through real Caddy on compiled config: the internal issuer's certificate, http -> https,
// HSTS, and a TLS minimum version that really refuses older clients.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as k from "../../src/model/testkit.js";
import { eventually, freePort } from "../helpers/proc.js";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { runCaddy, send, type RunningCaddy } from "./harness.js";

interface TlsReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  protocol: string;
}

function httpsGet(port: number, host: string, ca: string, tls: { minVersion?: "TLSv1.2" | "TLSv1.3"; maxVersion?: "TLSv1.2" | "TLSv1.3" } = {}): Promise<TlsReply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/hello", servername: host, headers: { host }, ca, agent: false, ...tls }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, protocol: (res.socket as import("node:tls").TLSSocket).getProtocol?.() ?? "" }));
    });
    req.setTimeout(5000, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

describe("caddy traffic: TLS", () => {
  let up: Upstream;
  let caddy: RunningCaddy;
  let httpsPort: number;
  let ca: string;

  before(async () => {
    up = await startUpstream("secure-backend");
    httpsPort = await freePort();
    caddy = await runCaddy(
      (httpPort) =>
        k.state(
          [
            k.route("secure", ["secure.test"], [up.address], {
              tls: { mode: "internal", minVersion: "1.3", forceHttps: true, hsts: { maxAge: 31536000, includeSubdomains: true, preload: false } },
            }),
          ],
          k.settings({ listen: [`127.0.0.1:${httpsPort}`], httpPort, httpsPort }),
        ),
      {},
      // Never touch the machine's trust store from a test: Caddy's local CA stays in its temp dir.
      { pki: { certificate_authorities: { local: { install_trust: false } } } },
    );
    const root = join(caddy.dir, "caddy", "pki", "authorities", "local", "root.crt");
    ca = await eventually(() => readFileSync(root, "utf8"), 15000, 100);
  });
  after(async () => {
    await caddy?.stop();
    await up?.close();
  });

  it("serves the route over HTTPS with a certificate from Caddy's local CA, and sends HSTS", async () => {
    const r = await eventually(() => httpsGet(httpsPort, "secure.test", ca), 15000, 200);
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).name, "secure-backend");
    assert.equal(r.protocol, "TLSv1.3");
    assert.match(String(r.headers["strict-transport-security"]), /^max-age=31536000; includeSubDomains$/);
  });

  it("redirects plain HTTP to HTTPS", async () => {
    const r = await send(caddy.port, "secure.test", "/path?q=1");
    assert.ok([301, 308].includes(r.status), `status ${r.status}`);
    assert.equal(r.headers.location, `https://secure.test:${httpsPort}/path?q=1`);
  });

  it("refuses a client that only speaks TLS 1.2 when the route's minimum is 1.3", async () => {
    await assert.rejects(httpsGet(httpsPort, "secure.test", ca, { maxVersion: "TLSv1.2" }), /protocol version|alert|handshake|EPROTO/i);
  });
});
