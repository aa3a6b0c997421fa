// Test helpers for the Hetzner sandbox: a tiny JSON client over real HTTP and a DNS query over real UDP/TCP.
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import * as dnsPacket from "dns-packet";
import type { HetznerSandbox } from "../../src/sandbox/hetzner/index.js";

export const TOKEN = "sandbox-test-token";

export interface Res {
  status: number;
  headers: Headers;
  body: any; // JSON as the API sent it; tests read what they assert
}

export function client(sb: HetznerSandbox, token = TOKEN) {
  return async (method: string, path: string, body?: unknown): Promise<Res> => {
    const res = await fetch(sb.url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  };
}

/** Poll an action until it is no longer running. */
export async function waitAction(call: ReturnType<typeof client>, id: number): Promise<Res> {
  for (;;) {
    const r = await call("GET", `/zones/actions/${id}`);
    if (r.body.action.status !== "running") return r;
    await new Promise((res) => setTimeout(res, 10));
  }
}

/** dns-packet decodes the rcode, its types just do not say so. */
export type DnsReply = dnsPacket.DecodedPacket & { rcode: string };

export function dnsQuery(port: number, name: string, type: dnsPacket.RecordType): Promise<DnsReply> {
  return new Promise((resolve, reject) => {
    const sock = createSocket("udp4");
    const timer = setTimeout(() => (sock.close(), reject(new Error(`no DNS answer for ${name} ${type}`))), 2000);
    sock.on("message", (msg) => {
      clearTimeout(timer);
      sock.close();
      resolve(dnsPacket.decode(msg) as DnsReply);
    });
    sock.send(dnsPacket.encode({ type: "query", id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }] }), port, "127.0.0.1");
  });
}

export function dnsQueryTcp(port: number, name: string, type: dnsPacket.RecordType): Promise<DnsReply> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1");
    let buf = Buffer.alloc(0);
    sock.on("error", reject);
    sock.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= buf.readUInt16BE(0) + 2) {
        sock.destroy();
        resolve(dnsPacket.decode(buf.subarray(2)) as DnsReply);
      }
    });
    sock.write(dnsPacket.streamEncode({ type: "query", id: 7, questions: [{ type, name }] }));
  });
}
