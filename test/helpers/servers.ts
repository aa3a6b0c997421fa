// Small real servers for tests: an HTTP upstream that says who it is and echoes what it got.
import { createServer, type IncomingMessage, type Server } from "node:http";
import { freePort } from "./proc.js";

export interface Upstream {
  port: number;
  address: string; // 127.0.0.1:port
  requests: { method: string; url: string; headers: IncomingMessage["headers"] }[];
  close: () => Promise<void>;
}

/** An HTTP server answering 200 JSON {name, method, url, headers}; /health answers per `healthy`. */
export async function startUpstream(name: string, opts: { healthy?: () => boolean } = {}): Promise<Upstream> {
  const port = await freePort();
  const requests: Upstream["requests"] = [];
  const server: Server = createServer((req, res) => {
    if (req.url === "/health") {
      const ok = opts.healthy ? opts.healthy() : true;
      res.writeHead(ok ? 200 : 503).end(ok ? "ok" : "down");
      return;
    }
    requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    const body = JSON.stringify({ name, method: req.method, url: req.url, headers: req.headers });
    res.writeHead(200, { "content-type": "application/json", "x-upstream": name }).end(body);
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return {
    port,
    address: `127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
