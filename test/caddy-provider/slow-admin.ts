// A slow admin API: a loopback proxy in front of a real Caddy that holds the next write for a
// while, then forwards it anyway (as a congested network or a busy Caddy would) and passes the
// answer back if anyone still listens.
import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import { freePort } from "../helpers/proc.js";

export interface SlowAdmin {
  /** Admin endpoint as Settings write it: http://127.0.0.1:PORT. */
  url: string;
  /** Hold the next write (POST/PUT/PATCH/DELETE) this long before forwarding it. */
  delayNext(ms: number): void;
  /** Resolves once every held write has reached Caddy and been answered. */
  landed(): Promise<void>;
  close(): Promise<void>;
}

export async function startSlowAdmin(caddyAdmin: string): Promise<SlowAdmin> {
  const target = new URL(caddyAdmin);
  const port = await freePort();
  let delay = 0;
  const held: Promise<void>[] = [];

  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse) =>
    new Promise<void>((done) => {
      const up = request(
        { host: target.hostname, port: Number(target.port), method: req.method, path: req.url, headers: { ...req.headers, host: `localhost:${target.port}` }, agent: false },
        (ures) => {
          const chunks: Buffer[] = [];
          ures.on("data", (c: Buffer) => chunks.push(c));
          ures.on("end", () => {
            if (!res.destroyed) {
              const headers = { ...ures.headers };
              delete headers["content-length"];
              delete headers["transfer-encoding"];
              delete headers["connection"];
              res.writeHead(ures.statusCode ?? 502, headers);
              res.addTrailers(ures.trailers as Record<string, string>); // Caddy's Etag is a trailer
              res.end(Buffer.concat(chunks));
            }
            done();
          });
        },
      );
      // Caddy reset the connection (it replaces its admin listener on every config change): the
      // client sees a reset too, as it would without the proxy, not an answer Caddy never gave.
      up.on("error", () => {
        res.destroy();
        done();
      });
      up.end(body);
    });

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (delay > 0 && req.method !== "GET") {
        const ms = delay;
        delay = 0;
        held.push(new Promise<void>((r) => setTimeout(r, ms)).then(() => forward(req, body, res)));
      } else void forward(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${port}`,
    delayNext: (ms) => void (delay = ms),
    landed: async () => void (await Promise.all(held)),
    close: async () => {
      await Promise.all(held);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
