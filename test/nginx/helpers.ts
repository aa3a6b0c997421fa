// Test helpers for nginx streams: resolved states with streams, real TCP/UDP echo servers.
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect, createServer, type Server, type Socket } from "node:net";
import type { ResolvedSettings, ResolvedState, ResolvedStream, ResolvedStreamUpstream } from "../../src/model/resolved.js";
import { freePort } from "../helpers/proc.js";
import type { StreamInput } from "../../src/compile/nginx/index.js";

export function settings(nginx: ResolvedSettings["nginx"] = { binary: "nginx" }): ResolvedSettings {
  return {
    caddy: { admin: ["127.0.0.1:2019"], modules: [], server: "hecate", listen: [":443"], httpPort: 80, httpsPort: 443 },
    nginx,
    dns: { defaultTtl: 300 },
    acme: {},
    securityHeaders: {},
    trustedProxies: [],
  };
}

export function upstream(address: string, over: Partial<ResolvedStreamUpstream> = {}): ResolvedStreamUpstream {
  return { address, weight: 1, maxFails: 1, failTimeout: "10s", backup: false, ...over };
}

export function stream(name: string, port: number, upstreams: ResolvedStreamUpstream[], over: Partial<ResolvedStream> = {}): ResolvedStream {
  return {
    name,
    labels: {},
    protocol: "tcp",
    listen: { address: "127.0.0.1", port },
    upstreams,
    timeouts: { connect: "1s", idle: "30s" },
    proxyProtocol: false,
    ...over,
  };
}

export function state(streams: StreamInput[], nginx?: ResolvedSettings["nginx"]): ResolvedState {
  return {
    settings: settings(nginx),
    routes: [],
    streams: [...streams].sort((a, b) => (a.name < b.name ? -1 : 1)),
    dnsRecords: [],
    authPolicies: [],
    certificates: [],
    secrets: [],
  };
}

export interface TcpEcho {
  port: number;
  address: string;
  /** Connections accepted so far. */
  connections: () => number;
  close: () => Promise<void>;
}

/** A TCP server answering every chunk with "<name>:<chunk>". */
export async function startTcpEcho(name: string, port?: number): Promise<TcpEcho> {
  const p = port ?? (await freePort());
  let n = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    n++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
    s.on("data", (d) => s.write(`${name}:${d.toString()}`));
  });
  await new Promise<void>((r) => server.listen(p, "127.0.0.1", r));
  return {
    port: p,
    address: `127.0.0.1:${p}`,
    connections: () => n,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Connect, send `msg`, resolve with the first reply (or reject on error/timeout). */
export function tcpRequest(port: number, msg = "ping", timeoutMs = 3000, host = "127.0.0.1"): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host });
    const t = setTimeout(() => { s.destroy(); reject(new Error(`no reply from ${host}:${port} in ${timeoutMs} ms`)); }, timeoutMs);
    s.once("connect", () => s.write(msg));
    s.once("data", (d) => { clearTimeout(t); s.destroy(); resolve(d.toString()); });
    s.once("error", (e) => { clearTimeout(t); reject(e); });
    s.once("close", () => { clearTimeout(t); reject(new Error(`connection to ${host}:${port} closed without a reply`)); });
  });
}

export interface UdpEcho {
  port: number;
  address: string;
  close: () => Promise<void>;
}

/** A UDP server answering every datagram with "<name>:<datagram>". */
export async function startUdpEcho(name: string): Promise<UdpEcho> {
  const port = await freePort();
  const sock: UdpSocket = createSocket("udp4");
  sock.on("message", (m, rinfo) => sock.send(`${name}:${m.toString()}`, rinfo.port, rinfo.address));
  await new Promise<void>((r) => sock.bind(port, "127.0.0.1", r));
  return { port, address: `127.0.0.1:${port}`, close: () => new Promise<void>((r) => sock.close(() => r())) };
}

/** Send one datagram and resolve with the first reply. */
export function udpRequest(port: number, msg: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createSocket("udp4");
    const t = setTimeout(() => { sock.close(); reject(new Error(`no UDP reply from 127.0.0.1:${port} in ${timeoutMs} ms`)); }, timeoutMs);
    sock.once("message", (m) => { clearTimeout(t); sock.close(); resolve(m.toString()); });
    sock.once("error", (e) => { clearTimeout(t); sock.close(); reject(e); });
    sock.send(msg, port, "127.0.0.1");
  });
}
