// Start Debian's pebble (Let's Encrypt's ACME test server) on free loopback ports: its own TLS
// certificate from a throwaway CA (trusted by clients through that CA, never by turning
// verification off), its resolver pointed at a given nameserver, validation without sleeps.
import { execFileSync } from "node:child_process";
import { writeFileSync, readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { eventually, freePorts, startProcess, tempDir, waitForPort, type Proc } from "./proc.js";

export interface Pebble {
  /** The ACME directory URL. */
  directory: string;
  /** PEM of the CA that signed pebble's own HTTPS certificate (trust it to talk ACME to pebble). */
  apiCa: string;
  /** A file holding apiCa (for Caddy's trusted_roots_pem_files). */
  apiCaFile: string;
  /** PEM of the root pebble issues certificates under (new on every start). */
  issuingRoot: () => Promise<string>;
  /** What pebble's management API says of a certificate it issued (serial as hex): Valid or Revoked, and the reason code. */
  certStatus: (serialHex: string) => Promise<{ Status: string; Reason?: number }>;
  /** PEM of the intermediate that signs pebble's leaf certificates. */
  intermediate: () => Promise<string>;
  pid: number;
  proc: Proc;
  stop: () => Promise<void>;
}

export interface PebbleOptions {
  /** Where pebble's VA resolves names ("127.0.0.1:PORT"): the sandbox's authoritative nameserver. */
  dnsServer: string;
  /** The port pebble's VA connects to for http-01 (the Caddy HTTP port under test). */
  httpPort?: number;
  /** The port pebble's VA connects to for tls-alpn-01. */
  tlsPort?: number;
}

/** A CA and a certificate for localhost/127.0.0.1 signed by it, written into dir. */
function makeApiCert(dir: string): { caFile: string; cert: string; key: string } {
  const f = (n: string) => join(dir, n);
  const ossl = (args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  ossl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", f("ca.key"), "-out", f("ca.pem"), "-days", "2", "-subj", "/CN=hecate test pebble api CA"]);
  ossl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", f("key.pem"), "-out", f("api.csr"), "-subj", "/CN=localhost"]);
  writeFileSync(f("ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
  ossl(["x509", "-req", "-in", f("api.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial", "-out", f("cert.pem"), "-days", "2", "-extfile", f("ext.cnf")]);
  return { caFile: f("ca.pem"), cert: f("cert.pem"), key: f("key.pem") };
}

function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, agent: false }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(5000, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

export async function startPebble(opts: PebbleOptions): Promise<Pebble> {
  const dir = tempDir("hecate-pebble-");
  const [listen, mgmt, spareHttp, spareTls] = await freePorts(4);
  const api = makeApiCert(dir.path);
  const config = {
    pebble: {
      listenAddress: `127.0.0.1:${listen}`,
      managementListenAddress: `127.0.0.1:${mgmt}`,
      certificate: api.cert,
      privateKey: api.key,
      httpPort: opts.httpPort ?? spareHttp,
      tlsPort: opts.tlsPort ?? spareTls,
      ocspResponderURL: "",
      externalAccountBindingRequired: false,
    },
  };
  const file = join(dir.path, "pebble.json");
  writeFileSync(file, JSON.stringify(config));
  // NOSLEEP: no random validation delays; NONCEREJECT 0: no random badNonce; AUTHZREUSE 0: every
  // order is really validated (a reused authorization would prove nothing about the challenge).
  const env = { ...process.env, PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0", PEBBLE_AUTHZREUSE: "0" };
  const proc = startProcess("pebble", ["-config", file, "-dnsserver", opts.dnsServer], { env, cwd: dir.path });
  const apiCa = readFileSync(api.caFile, "utf8");
  const stop = async () => {
    await proc.stop();
    dir.cleanup();
  };
  try {
    await waitForPort(listen!, "127.0.0.1", 15000);
    await waitForPort(mgmt!, "127.0.0.1", 15000);
  } catch (e) {
    const out = proc.output();
    await stop();
    throw new Error(`pebble did not start: ${String(e)}\n${out}`);
  }
  const managementPem = (path: string) =>
    eventually<string | undefined>(async () => {
      const r = await httpsGet(`https://127.0.0.1:${mgmt}/${path}`, apiCa);
      return r.status === 200 && r.body.includes("BEGIN CERTIFICATE") ? r.body : undefined;
    }, 10000) as Promise<string>;
  return {
    directory: `https://127.0.0.1:${listen}/dir`,
    apiCa,
    apiCaFile: api.caFile,
    issuingRoot: () => managementPem("roots/0"),
    intermediate: () => managementPem("intermediates/0"),
    certStatus: async (serial) => {
      const r = await httpsGet(`https://127.0.0.1:${mgmt}/cert-status-by-serial/${serial.toLowerCase()}`, apiCa);
      if (r.status !== 200) throw new Error(`pebble cert-status-by-serial ${serial}: ${r.status} ${r.body}`);
      return JSON.parse(r.body) as { Status: string; Reason?: number };
    },
    pid: proc.pid,
    proc,
    stop,
  };
}

/** GET / over TLS to 127.0.0.1:port with SNI and Host `host`, trusting only `ca`; the peer certificate's issuer CN, sha256 and subjectAltName. */
export function tlsGet(port: number, host: string, ca: string): Promise<{ status: number; body: string; issuer: string; fingerprint: string; san: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", servername: host, headers: { host }, ca, agent: false }, (res) => {
      let body = "";
      const peer = (res.socket as import("node:tls").TLSSocket).getPeerCertificate();
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, issuer: String(peer.issuer?.CN ?? ""), fingerprint: peer.fingerprint256.replace(/:/g, "").toLowerCase(), san: peer.subjectaltname ?? "" }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}
