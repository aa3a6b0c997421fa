// Start a real Caddy for provider tests: admin on a free loopback port or a unix socket, own temp dirs.
import { request } from "node:http";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, startProcess, tempDir, eventually, waitForPort, type Proc } from "../helpers/proc.js";

export interface Caddy {
  /** Admin endpoint as settings write it: http://127.0.0.1:PORT or unix:/…/admin.sock. */
  admin: string;
  pid: number;
  proc: Proc;
  dir: string;
  /** Number of times Caddy (re)started its admin endpoint = initial load + reloads. */
  loads: () => number;
  /** loads() once Caddy's log has been quiet for a moment: its lines arrive after the admin answer. */
  settledLoads: () => Promise<number>;
  stop: () => Promise<void>;
}

export interface StartCaddyOptions {
  /** Admin on a unix socket instead of TCP. */
  unix?: boolean;
  /** Run in a fresh network namespace (unshare -n), so it can bind the same ports as another node. */
  netns?: boolean;
  /** Extra config merged at the top level (apps, …). */
  config?: Record<string, unknown>;
  /** Extra admin config (identity, remote, …). */
  admin?: Record<string, unknown>;
}

export async function startCaddy(opts: StartCaddyOptions = {}): Promise<Caddy> {
  const dir = tempDir("hecate-caddy-");
  const sock = join(dir.path, "admin.sock");
  const port = opts.unix ? 0 : await freePort();
  const listen = opts.unix ? `unix/${sock}` : `127.0.0.1:${port}`;
  const config = { admin: { listen, config: { persist: false }, ...(opts.admin ?? {}) }, ...(opts.config ?? {}) };
  const file = join(dir.path, "caddy.json");
  writeFileSync(file, JSON.stringify(config));
  const env = { ...process.env, HOME: dir.path, XDG_CONFIG_HOME: dir.path, XDG_DATA_HOME: dir.path };
  const proc = opts.netns
    ? startProcess("unshare", ["-n", "sh", "-c", 'ip link set lo up && exec caddy run --config "$0"', file], { env })
    : startProcess("caddy", ["run", "--config", file], { env });
  const caddy: Caddy = {
    admin: opts.unix ? `unix:${sock}` : `http://127.0.0.1:${port}`,
    pid: proc.pid,
    proc,
    dir: dir.path,
    loads: () => proc.output().split("\n").filter((l) => l.includes('"admin endpoint started"')).length,
    settledLoads: async () => {
      for (let last = -1; ; ) {
        const now = caddy.loads();
        if (now === last) return now;
        last = now;
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    stop: async () => {
      await proc.stop();
      dir.cleanup();
    },
  };
  try {
    if (opts.unix) await eventually(() => existsSync(sock), 10000, 50);
    else await waitForPort(port);
    await eventually(() => caddy.loads() >= 1, 10000, 50);
  } catch (e) {
    await caddy.stop();
    throw new Error(`caddy did not start: ${String(e)}\n${proc.output()}`);
  }
  return caddy;
}

/**
 * A plain HTTP GET to 127.0.0.1:port with a Host header; resolves status, headers and body. A
 * connection Caddy resets while it swaps configs is tried once more, as HTTP clients do for a GET.
 */
export async function get(port: number, host: string, path = "/", headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  try {
    return await getOnce(port, host, path, headers);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ECONNRESET") throw e;
    return getOnce(port, host, path, headers);
  }
}

function getOnce(port: number, host: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { Host: host, ...headers }, agent: false }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.setTimeout(5000, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

/** The first object below `v` whose "@id" is `id` (undefined when none). */
export function findById(v: unknown, id: string): unknown {
  if (Array.isArray(v)) {
    for (const x of v) {
      const r = findById(x, id);
      if (r !== undefined) return r;
    }
  } else if (v && typeof v === "object") {
    if ((v as Record<string, unknown>)["@id"] === id) return v;
    for (const x of Object.values(v)) {
      const r = findById(x, id);
      if (r !== undefined) return r;
    }
  }
  return undefined;
}
