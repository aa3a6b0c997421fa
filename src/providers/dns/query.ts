// One DNS question to one server over UDP (dns-packet), answers in the spelling Hecate writes
// to Hetzner, so "is the change live" is a plain comparison with the desired records.
import { createSocket } from "node:dgram";
import { randomInt } from "node:crypto";
import { isIP } from "node:net";
import dnsPacket from "dns-packet";
import { apiValue, txtValue } from "./records.js";

export interface DnsServer {
  host: string;
  port: number;
}

export interface QueryResult {
  server: string;
  /** NOERROR, NXDOMAIN, REFUSED, SERVFAIL..., or TIMEOUT / ERROR when no answer came. */
  rcode: string;
  /** The server said it is authoritative for the name. */
  authoritative: boolean;
  /** Answer values of the asked type, sorted, in Hetzner's spelling. */
  values: string[];
  /** A CNAME found instead of the asked type. */
  cname?: string;
  error?: string;
}

/** "203.0.113.5", "ns1.example.com:5353", "[::1]:53" → host and port (53 unless given). */
export function parseServer(s: string): DnsServer {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (m) return { host: m[1]!, port: m[2] ? Number(m[2]) : 53 };
  if (isIP(s) === 6) return { host: s, port: 53 };
  const i = s.lastIndexOf(":");
  return i > 0 ? { host: s.slice(0, i), port: Number(s.slice(i + 1)) } : { host: s, port: 53 };
}

export const serverLabel = (s: DnsServer) => (s.port === 53 ? s.host : isIP(s.host) === 6 ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`);

const text = (d: unknown): string => (Buffer.isBuffer(d) ? d.toString("utf8") : String(d));

/** An answer's data as the API spells the value. */
function valueOf(a: dnsPacket.Answer): string {
  const d = (a as { data: unknown }).data as never;
  switch (a.type) {
    case "A":
    case "AAAA":
    case "CNAME":
    case "NS":
    case "PTR":
      return apiValue(a.type, String(d));
    case "MX": {
      const mx = d as dnsPacket.MxData;
      return apiValue("MX", `${mx.preference ?? 0} ${mx.exchange}`);
    }
    case "SRV": {
      const s = d as dnsPacket.SrvData;
      return apiValue("SRV", `${s.priority ?? 0} ${s.weight ?? 0} ${s.port} ${s.target}`);
    }
    case "TXT": {
      const parts = Array.isArray(d) ? (d as unknown[]).map(text) : [text(d)];
      return parts.map((p) => txtValue(p)).join(" ");
    }
    case "CAA": {
      const c = d as dnsPacket.CaaData;
      return `${c.flags ?? (c.issuerCritical ? 128 : 0)} ${c.tag} "${c.value}"`;
    }
    default:
      return JSON.stringify(d);
  }
}

/** Ask `server` for `name`/`type` once (no recursion wanted from an authoritative server). */
export function query(server: DnsServer, name: string, type: string, opts: { timeoutMs?: number; recursive?: boolean } = {}): Promise<QueryResult> {
  const label = serverLabel(server);
  const id = randomInt(0, 65536);
  const packet = dnsPacket.encode({
    type: "query",
    id,
    flags: opts.recursive ? dnsPacket.RECURSION_DESIRED : 0,
    questions: [{ type: type as dnsPacket.RecordType, name }],
  });
  return new Promise((resolve) => {
    const sock = createSocket(isIP(server.host) === 6 ? "udp6" : "udp4");
    const done = (r: QueryResult) => {
      clearTimeout(timer);
      sock.close();
      resolve(r);
    };
    const timer = setTimeout(() => done({ server: label, rcode: "TIMEOUT", authoritative: false, values: [], error: `no answer in ${opts.timeoutMs ?? 2000} ms` }), opts.timeoutMs ?? 2000);
    sock.on("error", (e) => done({ server: label, rcode: "ERROR", authoritative: false, values: [], error: e.message }));
    sock.on("message", (msg) => {
      let res: dnsPacket.DecodedPacket;
      try {
        res = dnsPacket.decode(msg);
      } catch (e) {
        return done({ server: label, rcode: "ERROR", authoritative: false, values: [], error: `undecodable answer: ${(e as Error).message}` });
      }
      if (res.id !== id) return; // not ours
      const answers = res.answers ?? [];
      const cname = answers.find((a) => a.type === "CNAME" && type !== "CNAME");
      done({
        server: label,
        rcode: (res as { rcode?: string }).rcode ?? "NOERROR",
        authoritative: res.flag_aa,
        values: answers.filter((a) => a.type === type).map(valueOf).sort(),
        ...(cname ? { cname: valueOf(cname) } : {}),
      });
    });
    sock.send(packet, server.port, server.host);
  });
}
