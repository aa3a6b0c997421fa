// The not-after of a certificate Caddy obtains itself (http-01, tls-alpn-01, internal): Caddy keeps
// it in its own storage, so Hecate reads what each node serves for the host in a TLS handshake,
// as `openssl s_client` would. The handshake inspects and sends nothing, so the peer is not
// verified here: what is read is judged by its names (it must cover the host) and its dates only.
import { X509Certificate } from "node:crypto";
import { connect } from "node:tls";
import { parseAdminAddress } from "../model/net.js";
import { covers } from "./named.js";

export interface Served {
  /** The earliest not-after among the nodes that serve a certificate covering the host. */
  notAfter?: string;
  /** "127.0.0.1:443" of each node that answered with one. */
  nodes: string[];
  /** Why a node gave none: unreachable, or a certificate not covering the host. */
  misses: string[];
}

/** host:port of each Caddy node's HTTPS listener: the admin endpoint's host (a socket: this machine). */
export function httpsTargets(admin: readonly string[], httpsPort: number): string[] {
  return admin.map((a) => {
    const p = parseAdminAddress(a);
    const host = p.ok && p.value.kind === "tcp" ? p.value.host : "127.0.0.1";
    return `${host.includes(":") ? `[${host}]` : host}:${httpsPort}`;
  });
}

/** The leaf a node presents for SNI `name`, or why none. */
function presented(target: string, name: string, timeoutMs: number): Promise<X509Certificate | string> {
  const m = /^\[?(.*?)\]?:(\d+)$/.exec(target)!;
  return new Promise((resolve) => {
    const sock = connect({ host: m[1], port: Number(m[2]), servername: name, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] });
    const done = (v: X509Certificate | string) => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(timeoutMs, () => done(`${target}: no answer in ${timeoutMs} ms`));
    sock.on("error", (e: NodeJS.ErrnoException) => done(`${target}: ${e.code ?? e.message}`));
    sock.on("secureConnect", () => {
      const raw = sock.getPeerCertificate().raw;
      done(raw ? new X509Certificate(raw) : `${target}: no certificate`);
    });
  });
}

/** What the nodes serve for `host` (a wildcard is asked for under a made-up first label). */
export async function servedCertificate(targets: readonly string[], host: string, timeoutMs = 2000): Promise<Served> {
  const name = host.replace(/^\*\./, "hecate-probe.");
  const out: Served = { nodes: [], misses: [] };
  for (const [i, got] of (await Promise.all(targets.map((t) => presented(t, name, timeoutMs)))).entries()) {
    if (typeof got === "string") out.misses.push(got);
    else if (!(got.subjectAltName ?? "").split(/,\s*/).some((s) => s.startsWith("DNS:") && covers(s.slice(4), name))) out.misses.push(`${targets[i]}: serves a certificate not covering ${host}`);
    else {
      out.nodes.push(targets[i]!);
      const notAfter = new Date(got.validTo).toISOString();
      if (!out.notAfter || notAfter < out.notAfter) out.notAfter = notAfter;
    }
  }
  return out;
}
