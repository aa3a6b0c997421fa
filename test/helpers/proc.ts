// Test helpers for real processes: free loopback ports, start/stop by pid, temp dirs, waiting.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, connect, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Ports this process has handed out. The kernel may give the same ephemeral port to two
 * bind-then-release calls in a row (Caddy then fails with "listener address repeated"), so no
 * port is ever handed out twice by one test process.
 */
const handedOut = new Set<number>();

/**
 * Where test ports come from: below the kernel's ephemeral range. A port from the ephemeral range
 * (what listen(0) hands out) can be taken, between the test picking it and its server binding
 * it, by any other process's listen(0) or by the source port of any outgoing connection; below
 * the range only another test's pick can take it. Each test process starts at its own offset.
 */
const RANGE = (() => {
  let low = 32768;
  try {
    low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux: the usual default
  }
  const from = 10_000;
  return low - from >= 2_000 ? { from, size: low - from } : undefined;
})();
let next = RANGE ? (process.pid * 7919) % RANGE.size : 0;

/** Listen on port (0: any) at 127.0.0.1; the port, or 0 when it is taken. */
function tryListen(srv: Server, port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    srv.once("error", (e: NodeJS.ErrnoException) => (e.code === "EADDRINUSE" || e.code === "EACCES" ? resolve(0) : reject(e)));
    srv.listen(port, "127.0.0.1", () => {
      const addr = srv.address();
      resolve(typeof addr === "object" && addr ? addr.port : 0);
    });
  });
}

/** Bind n listeners on 127.0.0.1 at once, skipping ports handed out before; return their ports after closing them all. */
async function allocate(n: number): Promise<number[]> {
  const servers: Server[] = [];
  const ports: number[] = [];
  try {
    for (let tries = 0; ports.length < n; tries++) {
      if (tries > n + 200) throw new Error(`could not find ${n} unused loopback ports`);
      const srv = createServer();
      srv.unref();
      servers.push(srv); // held open until all n are found: the kernel cannot repeat one
      const candidate = RANGE ? RANGE.from + (next++ % RANGE.size) : 0;
      if (handedOut.has(candidate)) continue;
      const port = await tryListen(srv, candidate);
      if (port > 0 && !handedOut.has(port)) {
        handedOut.add(port); // at once, so a concurrent call skips it too
        ports.push(port);
      }
    }
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
  return ports;
}

/** A free TCP port on 127.0.0.1, never one this process handed out before. */
export async function freePort(): Promise<number> {
  return (await allocate(1))[0]!;
}

/** n distinct free TCP ports on 127.0.0.1 (all bound at once), none handed out before by this process. */
export async function freePorts(n: number): Promise<number[]> {
  return allocate(n);
}

/** A temporary directory removed by the returned cleanup. */
export function tempDir(prefix = "hecate-test-"): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  // Retries: a process that has just exited may still have files being closed under it.
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }) };
}

export interface Proc {
  child: ChildProcess;
  pid: number;
  output: () => string;
  stop: () => Promise<void>;
}

/** Start a program; stop() sends SIGTERM to its pid, then SIGKILL after 3 s. */
export function startProcess(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Proc {
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr?.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  return {
    child,
    pid: child.pid ?? -1,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Resolve when something accepts TCP connections on host:port. */
export async function waitForPort(port: number, host = "127.0.0.1", timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect({ port, host }, () => { s.destroy(); r(true); });
      s.on("error", () => r(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Poll until fn returns a truthy value or the time runs out. */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 10000, stepMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
