// A store for server tests: its first revision holds Settings pointing at a real Caddy on free
// loopback ports (plus any resources given), as an operator records with `hecate apply DIR`.
import { freePorts } from "../helpers/proc.js";
import type { Caddy } from "../caddy-provider/caddy.js";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite.js";
import type { Resource } from "../../src/model/schema.js";

export async function storeWithCaddy(path: string, key: Buffer, caddy: Caddy, extra: Resource[] = [], caddySettings: Record<string, unknown> = {}): Promise<{ store: SqliteStore; httpPort: number }> {
  const store = await openSqliteStore({ path, secretKey: key });
  const [http, https] = (await freePorts(2)) as [number, number];
  const settings = { apiVersion: "hecate.io/v1", kind: "Settings", metadata: { name: "settings" }, spec: { caddy: { admin: [caddy.admin], listen: [`127.0.0.1:${https}`], httpPort: http, httpsPort: https, ...caddySettings } } } as Resource;
  await store.putRevision({ resources: [settings, ...extra], author: "ops", message: "settings", source: { type: "cli" }, expectedParent: 0 });
  return { store, httpPort: http };
}

/** A loopback HTTP server that keeps every webhook delivery's JSON body, for asserting on events. */
export async function startReceiver(): Promise<{ url: string; events: { type: string; data: Record<string, unknown> }[]; close(): Promise<void> }> {
  const { createServer } = await import("node:http");
  const events: { type: string; data: Record<string, unknown> }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      events.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/`, events, close: () => new Promise((r) => server.close(() => r())) };
}
