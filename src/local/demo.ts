// Demo backends for the local stack: HTTP services that say who answered, and a TCP echo.
import { createServer as createHttpServer } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { HecateError } from "../diag.js";

export interface DemoServer {
  name: string;
  address: string; // 127.0.0.1:port
  close: () => Promise<void>;
}

function listening(name: string, server: { listen: (port: number, host: string) => unknown; once: (ev: string, fn: (e?: Error) => void) => unknown }, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", (e) => reject(new HecateError("port-busy", `${name}: cannot listen on 127.0.0.1:${port}: ${e?.message ?? "error"}`)));
    server.once("listening", () => resolve());
    server.listen(port, "127.0.0.1");
  });
}

/**
 * An HTTP backend answering every request with its own name and what it received; with
 * `echoHeaders`, every request header too (identity headers from authentik, headers a route
 * sets), so a user sees what arrives past Caddy.
 */
export async function startHttpDemo(name: string, port: number, opts: { echoHeaders?: boolean } = {}): Promise<DemoServer> {
  const server = createHttpServer((req, res) => {
    if (req.url === "/health") {
      res.writeHead(200).end("ok\n");
      return;
    }
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "x-served-by": name });
    const headers = opts.echoHeaders ? Object.entries(req.headersDistinct).map(([k, vs]) => (vs ?? []).map((v) => `${k}: ${v}\n`).join("")).join("") : "";
    res.end(`${name} answered ${req.method} ${req.url} for host ${req.headers.host}\n${headers ? `\nrequest headers:\n${headers}` : ""}`);
  });
  await listening(name, server, port);
  return { name, address: `127.0.0.1:${port}`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

/** A TCP backend that echoes every byte back. */
export async function startTcpEcho(name: string, port: number): Promise<DemoServer> {
  const sockets = new Set<import("node:net").Socket>();
  const server = createTcpServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => s.destroy());
    s.pipe(s);
  });
  await listening(name, server, port);
  return {
    name,
    address: `127.0.0.1:${port}`,
    close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}
