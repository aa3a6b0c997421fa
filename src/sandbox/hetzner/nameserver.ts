// An authoritative DNS server on UDP and TCP (same port) answering from the sandbox store, so changes show at once.
import { createSocket, type Socket } from "node:dgram";
import { createServer, type Server, type Socket as TcpSocket } from "node:net";
import * as dnsPacket from "dns-packet";
import { lookup, type Rcode } from "./authority.js";
import type { HetznerStore } from "./store.js";

export interface Nameserver {
  host: string;
  port: number;
  close(): Promise<void>;
}

const RCODES: Record<Rcode, number> = { NOERROR: 0, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };
const FORMERR = 1;

/** Build the response bytes for a query's bytes; null when the bytes are not a DNS query at all. */
export function respond(store: HetznerStore, bytes: Buffer, maxSize: number): Buffer | null {
  let query: dnsPacket.DecodedPacket;
  try {
    query = dnsPacket.decode(bytes);
  } catch {
    return null;
  }
  if (query.type !== "query") return null;
  const q = query.questions?.[0];
  const base = { type: "response" as const, id: query.id ?? 0, questions: query.questions ?? [] };
  // One question per message is what every resolver sends; anything else is malformed for this server.
  if (!q || (query.questions?.length ?? 0) !== 1) return dnsPacket.encode({ ...base, flags: FORMERR });
  const reply = lookup(store, q.name.toLowerCase().replace(/\.$/, ""), q.type);
  const flags = (reply.authoritative ? dnsPacket.AUTHORITATIVE_ANSWER : 0) | RCODES[reply.rcode] | ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED);
  const full = dnsPacket.encode({ ...base, flags, answers: reply.answers, authorities: reply.authorities });
  if (full.length <= maxSize) return full;
  // Too big for UDP: say so (TC) and let the client retry over TCP.
  return dnsPacket.encode({ ...base, flags: flags | dnsPacket.TRUNCATED_RESPONSE });
}

/** Listen on UDP and TCP at the same port; port 0 picks a free port that both protocols can use. */
export async function startNameserver(store: HetznerStore, host: string, port: number): Promise<Nameserver> {
  for (let attempt = 0; ; attempt++) {
    const udp = createSocket(host.includes(":") ? "udp6" : "udp4");
    udp.on("message", (msg, rinfo) => {
      const out = respond(store, msg, 512);
      if (out) udp.send(out, rinfo.port, rinfo.address);
    });
    await new Promise<void>((res, rej) => {
      udp.once("error", rej);
      udp.bind(port, host, () => (udp.off("error", rej), res()));
    });
    const bound = udp.address().port;
    const conns = new Set<TcpSocket>();
    const tcp = createServer((sock) => {
      conns.add(sock);
      sock.on("close", () => conns.delete(sock));
      serveTcp(store, sock);
    });
    const tcpOk = await new Promise<boolean>((res) => {
      tcp.once("error", () => res(false));
      tcp.listen(bound, host, () => res(true));
    });
    if (tcpOk) return { host, port: bound, close: () => closeBoth(udp, tcp, conns) };
    await new Promise<void>((res) => udp.close(() => res()));
    // A random UDP port may be taken on TCP; try another, but a fixed port that is taken is the caller's problem.
    if (port !== 0 || attempt >= 10) throw new Error(`cannot listen on TCP ${host}:${bound}`);
  }
}

function serveTcp(store: HetznerStore, sock: TcpSocket): void {
  let buf = Buffer.alloc(0);
  sock.on("error", () => sock.destroy());
  sock.on("data", (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (buf.length < len + 2) break;
      const out = respond(store, buf.subarray(2, len + 2), 65535);
      buf = buf.subarray(len + 2);
      if (!out) return void sock.destroy();
      const head = Buffer.alloc(2);
      head.writeUInt16BE(out.length);
      sock.write(Buffer.concat([head, out]));
    }
  });
}

async function closeBoth(udp: Socket, tcp: Server, conns: Set<TcpSocket>): Promise<void> {
  await new Promise<void>((res) => udp.close(() => res()));
  for (const c of conns) c.destroy();
  await new Promise<void>((res) => tcp.close(() => res()));
}
