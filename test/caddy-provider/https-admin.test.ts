// https:// to Caddy 2.6.2's remote admin (admin.remote, mutual TLS): Caddy's internal CA signs
// its admin certificate, access_control admits one client certificate made here with openssl.
// The right CA and certificate read and write; a wrong CA or no client certificate are refused
// with messages that say what to fix.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_SETTINGS } from "../../src/model/index.js";
import { CaddyClient } from "../../src/providers/caddy/client.js";
import { createCaddyProvider } from "../../src/providers/caddy/provider.js";
import { rejectsWith as rejects } from "../helpers/errors.js";
import { eventually, freePort, tempDir } from "../helpers/proc.js";
import { startCaddy, type Caddy } from "./caddy.js";

/** A self-signed EC certificate and key in dir: name.crt, name.key. */
function selfSigned(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", `/CN=${name}`], { stdio: "ignore" });
  return { cert, key };
}

describe("caddy admin client over https (remote admin, mutual TLS)", () => {
  let caddy: Caddy;
  let certs: ReturnType<typeof tempDir>;
  let url: string;
  let client: { cert: string; key: string };
  let stranger: { cert: string; key: string };
  let ca: string;

  before(async () => {
    certs = tempDir("hecate-admin-tls-");
    client = selfSigned(certs.path, "hecate");
    stranger = selfSigned(certs.path, "stranger");
    const der = execFileSync("openssl", ["x509", "-in", client.cert, "-outform", "DER"]).toString("base64");
    const port = await freePort();
    url = `https://127.0.0.1:${port}`;
    caddy = await startCaddy({
      admin: {
        identity: { identifiers: ["127.0.0.1"], issuers: [{ module: "internal" }] },
        remote: { listen: `127.0.0.1:${port}`, access_control: [{ public_keys: [der] }] },
      },
      // The local CA stays in Caddy's data dir: never into the system's trust store.
      config: { apps: { pki: { certificate_authorities: { local: { install_trust: false } } } } },
    });
    ca = join(caddy.dir, "caddy", "pki", "authorities", "local", "root.crt");
    // Caddy issues its admin certificate just after start.
    await eventually(() => new CaddyClient(url, { tls: { ca, ...client } }).getConfig(), 10_000, 100);
  });
  after(async () => {
    await caddy?.stop();
    certs?.cleanup();
  });

  it("reads and writes with the CA and the client certificate", async () => {
    const c = new CaddyClient(url, { tls: { ca, ...client } });
    const live = await c.getConfig();
    assert.match(live.etag, /^"\/config\/ [0-9a-f]+"$/);
    await c.putConfig({ ...(live.config as object), apps: { ...(live.config as { apps: object }).apps, http: { servers: {} } } }, live.etag);
    assert.deepEqual((await c.getConfig()).config && ((await c.getConfig()).config as { apps: { http: unknown } }).apps.http, { servers: {} });
  });

  it("refuses a Caddy whose certificate the configured CA did not sign", async () => {
    await rejects(new CaddyClient(url, { tls: { ca: stranger.cert, ...client } }).getConfig(), "caddy-unreachable", new RegExp(`^cannot reach Caddy admin at ${url.replace(/\./g, "\\.")}: TLS: Caddy's admin certificate is not trusted .*set spec\\.caddy\\.tls\\.ca`));
    // No CA configured: the system's CAs do not know Caddy's internal CA either.
    await rejects(new CaddyClient(url, { tls: client }).getConfig(), "caddy-unreachable", /TLS: Caddy's admin certificate is not trusted/);
  });

  it("is refused by Caddy without a client certificate it accepts", async () => {
    await rejects(new CaddyClient(url, { tls: { ca } }).getConfig(), "caddy-unreachable", new RegExp(`^cannot reach Caddy admin at ${url.replace(/\./g, "\\.")}: TLS handshake failed .*access_control`));
    await rejects(new CaddyClient(url, { tls: { ca, ...stranger } }).getConfig(), "caddy-unreachable", /TLS handshake failed/);
  });

  it("the provider takes the endpoint's TLS files from Settings", async () => {
    const settings = { ...DEFAULT_SETTINGS.caddy, admin: [url], tls: { ca, ...client } };
    const ctx = { secrets: { resolve: () => Promise.reject(new Error("no secrets here")) } };
    const actual = await createCaddyProvider(settings).read(ctx);
    assert.equal(actual.nodes[0]?.endpoint, url);
    await rejects(createCaddyProvider({ ...settings, tls: { ...client } }).read(ctx), "caddy-unreachable", /not trusted/);
  });

  it("says which TLS file it cannot read", async () => {
    const missing = join(certs.path, "nope.crt");
    await rejects(new CaddyClient(url, { tls: { ca: missing } }).getConfig(), "caddy-tls", new RegExp(`cannot read spec\\.caddy\\.tls\\.ca \\(${missing.replace(/\./g, "\\.")}\\)`));
    assert.ok(readFileSync(ca, "utf8").includes("BEGIN CERTIFICATE"));
  });
});
