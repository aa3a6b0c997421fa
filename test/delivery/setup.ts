// Real Caddy, real upstreams and the CLI on a throwaway store, for the delivery tests: a route
// with its own upstreams ("main") and other pools, Caddy's access log in the temp dir.
import { createServer, request, type Server } from "node:http";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startCaddy, type Caddy } from "../caddy-provider/caddy.js";
import { caddySettingsYaml, sandbox, type Sandbox } from "../cli/helpers.js";
import { freePort, freePorts } from "../helpers/proc.js";

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request through Caddy; `from` picks the client address (any of 127.0.0.0/8). */
export function get(port: number, host: string, opts: { headers?: Record<string, string>; from?: string; path?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path: opts.path ?? "/", headers: { host, connection: "close", ...opts.headers }, agent: false, ...(opts.from ? { localAddress: opts.from } : {}) },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

export interface App {
  name: string;
  address: string;
  served: () => number;
  close: () => Promise<void>;
}

/** An upstream answering "name" with 200, or 500 for every `failEvery`-th request (5% = 20). */
export async function app(name: string, failEvery = 0): Promise<App> {
  const port = await freePort();
  let n = 0;
  const server: Server = createServer((_req, res) => {
    n++;
    if (failEvery && n % failEvery === 0) res.writeHead(500).end(`${name} failed`);
    else res.writeHead(200, { "content-type": "text/plain" }).end(name);
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return {
    name,
    address: `127.0.0.1:${port}`,
    served: () => n,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** n requests, `concurrency` at a time; the count of answers per body ("main", "canary", "403"...). */
export async function hammer(port: number, host: string, n: number, concurrency = 16, opts: { headers?: Record<string, string> } = {}): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      // A connection Caddy drops while it swaps configs is counted, not thrown: callers assert on counts.
      const r = await get(port, host, opts).catch((e: NodeJS.ErrnoException) => ({ status: -1, body: `error ${e.code ?? e.message}` }));
      const key = r.status === 200 || r.status === -1 ? r.body : String(r.status);
      counts[key] = (counts[key] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return counts;
}

export interface Stack {
  sb: Sandbox;
  caddy: Caddy;
  port: number;
  dir: string;
  accessLog: string;
  hecate: (...args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;
  stop: () => Promise<void>;
}

/** Caddy and a store whose Settings point at it (plain HTTP, access log in the temp dir); `docs` applied. */
export async function stack(docs: string[], extraSettings = ""): Promise<Stack> {
  const sb = sandbox();
  const caddy = await startCaddy();
  try {
    const [httpPort, httpsPort] = (await freePorts(2)) as [number, number];
    const dir = join(sb.dir, "desired");
    const accessLog = join(sb.dir, "caddy-access.log");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "settings.yaml"), caddySettingsYaml(caddy.admin, { httpPort, httpsPort }, `    accessLog: ${accessLog}\n${extraSettings}`));
    docs.forEach((d, i) => writeFileSync(join(dir, `r${i}.yaml`), d));
    const hecate = (...args: string[]) => sb.hecate(args);
    const r = await hecate("apply", dir, "--yes");
    if (r.code !== 0) throw new Error(`apply failed: ${r.stdout}${r.stderr}`);
    return {
      sb,
      caddy,
      port: httpPort,
      dir,
      accessLog,
      hecate,
      stop: async () => {
        await caddy.stop();
        sb.cleanup();
      },
    };
  } catch (e) {
    await caddy.stop();
    sb.cleanup();
    throw e;
  }
}

/** A public plain-HTTP route on NAME.test with its own upstream and named pools. */
export function splitRoute(name: string, main: string, pools: Record<string, string>, extra = ""): string {
  const p = Object.entries(pools)
    .map(([k, a]) => `    ${k}:\n      upstreams:\n        - address: ${a}\n`)
    .join("");
  return `apiVersion: hecate.io/v1
kind: Route
metadata:
  name: ${name}
spec:
  hosts: [${name}.test]
  upstreams:
    - address: ${main}
  pools:
${p}  public: true
  tls:
    mode: "off"
${extra}`;
}
