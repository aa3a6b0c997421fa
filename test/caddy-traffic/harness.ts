// Traffic-test harness: run the real caddy on a compiled config (loopback, free ports) and talk to it.
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { execFileSync } from "node:child_process";
import { freePort, waitForPort, eventually } from "../helpers/proc.js";
import { startCaddy, type Caddy } from "../caddy-provider/caddy.js";
import { compileCaddy, resolveSecrets, type CaddyOwned } from "../../src/compile/caddy/index.js";
import { hasErrors, formatDiagnostic } from "../../src/diag.js";
import type { ResolvedState } from "../../src/model/resolved.js";
import type { SecretResolver } from "../../src/providers/provider.js";

export interface RunningCaddy {
  port: number; // the plain-HTTP listener (tls mode off routes)
  caddy: Caddy;
  config: CaddyOwned;
  /** Caddy's home and data directory (its local CA lives under caddy/pki/authorities/local). */
  dir: string;
  stop: () => Promise<void>;
}

/** Compile (must be free of errors), resolve secret markers, start caddy, wait until it listens. */
export async function runCaddy(
  build: (httpPort: number) => ResolvedState,
  secrets: Record<string, string> = {},
  /** Apps Hecate does not own (e.g. pki), added beside the compiled config. */
  otherApps: Record<string, unknown> = {},
): Promise<RunningCaddy> {
  const port = await freePort();
  const state = build(port);
  const { config, diagnostics } = compileCaddy(state);
  if (hasErrors(diagnostics)) throw new Error(diagnostics.map(formatDiagnostic).join("\n"));
  const resolver: SecretResolver = {
    resolve: async (ref) => {
      if (!(ref in secrets)) throw new Error(`no test secret ${ref}`);
      return secrets[ref]!;
    },
  };
  const resolved = await resolveSecrets(config, resolver);
  const caddy = await startCaddy({ config: { apps: { ...otherApps, ...resolved.apps } } });
  try {
    await waitForPort(port);
  } catch (e) {
    const out = caddy.proc.output();
    await caddy.stop();
    throw new Error(`caddy did not listen on ${port}: ${String(e)}\n${out}`);
  }
  return { port, caddy, config, dir: caddy.dir, stop: caddy.stop };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP request to 127.0.0.1:port with the given Host (no redirects followed). */
export function send(
  port: number,
  host: string,
  path = "/",
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port, path, method: opts.method ?? "GET", headers: { host, connection: "close", ...(opts.body !== undefined ? { "content-length": String(Buffer.byteLength(opts.body)) } : {}), ...opts.headers }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** The upstream's echo (startUpstream answers JSON {name, method, url, headers}). */
export function echo(r: Reply): { name: string; url: string; headers: Record<string, string | string[] | undefined> } {
  if (r.status !== 200) throw new Error(`expected the upstream's 200, got ${r.status}: ${r.body.slice(0, 200)}`);
  return JSON.parse(r.body);
}

/** A bcrypt hash from the real caddy (what an operator stores as the secret). */
export function caddyHash(password: string): string {
  return execFileSync("caddy", ["hash-password", "--plaintext", password], { encoding: "utf8" }).trim();
}

export { eventually };
