// Running nginx: the nginx command line, a private unprivileged prefix, start/stop by pid, workers.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { HecateError } from "../../diag.js";
import { renderFile } from "../../compile/nginx/compile.js";

/** Where Debian's libnginx-mod-stream puts the module; load_module needs it absolute under -p. */
export const STREAM_MODULE_PATH = "/usr/lib/nginx/modules/ngx_stream_module.so";

export interface NginxCommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the nginx binary with args; never throws for a non-zero exit (the caller reads stderr). */
export function runNginx(binary: string, args: string[], timeoutMs = 30_000): Promise<NginxCommandResult> {
  return new Promise((resolvePromise) => {
    execFile(binary, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
      if (e && e.code === "ENOENT") {
        resolvePromise({ code: 127, stdout: "", stderr: `nginx binary "${binary}" not found` });
        return;
      }
      const code = e ? (typeof e.code === "number" ? e.code : 1) : 0;
      resolvePromise({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** The files of a private prefix made by initNginxPrefix. */
export interface NginxPrefixFiles {
  prefix: string;
  config: string;
  streamFile: string;
  pidFile: string;
  errorLog: string;
}

/**
 * Make `dir` a minimal private nginx prefix: stream module by absolute path, pid and error log
 * under the prefix, `events {}`, one `stream { include <streamFile>; }` and no http block, so it
 * listens on nothing but Hecate's streams. The stream file starts as Hecate's empty owned file.
 * Leaves an existing stream file alone (it may hold live streams).
 */
export function initNginxPrefix(dir: string, opts: { modulePath?: string; workerProcesses?: number } = {}): NginxPrefixFiles {
  const prefix = resolve(dir);
  mkdirSync(join(prefix, "logs"), { recursive: true });
  const files: NginxPrefixFiles = {
    prefix,
    config: join(prefix, "nginx.conf"),
    streamFile: join(prefix, "hecate-streams.conf"),
    pidFile: join(prefix, "logs", "nginx.pid"),
    errorLog: join(prefix, "logs", "error.log"),
  };
  const conf = [
    "# nginx for Hecate streams (private prefix, written by initNginxPrefix)",
    `load_module ${opts.modulePath ?? STREAM_MODULE_PATH};`,
    `pid ${files.pidFile};`,
    `error_log ${files.errorLog} notice;`,
    `worker_processes ${opts.workerProcesses ?? 1};`,
    "events {}",
    "stream {",
    `    include ${files.streamFile};`,
    "}",
    "",
  ].join("\n");
  writeFileSync(files.config, conf);
  if (!existsSync(files.streamFile)) writeFileSync(files.streamFile, renderFile([]));
  return files;
}

export interface RunningNginx {
  /** pid of the nginx master. */
  pid: number;
  prefix: string;
  config: string;
  /** What nginx printed to stdout/stderr (startup errors). */
  output: () => string;
  stop: () => Promise<void>;
}

/**
 * Start nginx in the foreground (`daemon off`) on a prefix made by initNginxPrefix; resolves when
 * the master has written its pid file and started a worker. Stop it with stop() / stopNginx(pid).
 */
export async function startNginx(prefixDir: string, opts: { binary?: string; config?: string; timeoutMs?: number } = {}): Promise<RunningNginx> {
  const prefix = resolve(prefixDir);
  const config = opts.config ?? join(prefix, "nginx.conf");
  const binary = opts.binary ?? "nginx";
  const child: ChildProcess = spawn(binary, ["-p", prefix, "-c", config, "-g", "daemon off;"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr?.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.once("error", (e) => (out += String(e)));
  const pid = child.pid ?? -1;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || pid < 0) return;
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(t);
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null || pid < 0) {
      throw new HecateError("nginx-start", `nginx exited during start: ${out.trim() || "no output"}`);
    }
    if (workerPids(pid).length > 0) break;
    if (Date.now() > deadline) {
      await stop();
      throw new HecateError("nginx-start", `nginx did not start a worker within ${opts.timeoutMs ?? 10_000} ms: ${out.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { pid, prefix, config, output: () => out, stop };
}

/** Stop an nginx master by pid (SIGTERM, SIGKILL after timeoutMs); resolves when it is gone. */
export async function stopNginx(pid: number, timeoutMs = 5000): Promise<void> {
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (alive()) {
    if (Date.now() > deadline) {
      process.kill(pid, "SIGKILL");
      break;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** pids of the live (non-zombie) children of a process, from /proc (Linux). */
export function workerPids(masterPid: number): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      // "pid (comm) state ppid ..." — comm may contain spaces, so split after the last ')'.
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (rest[0] !== "Z" && Number(rest[1]) === masterPid) out.push(Number(e));
    } catch {
      // the process went away while we looked
    }
  }
  return out.sort((a, b) => a - b);
}

/**
 * Whether a worker still accepts connections under the old config: false once it is gone or
 * has retitled itself "worker process is shutting down" (it closed its listeners).
 */
export function workerStillServing(pid: number): boolean {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return !cmd.includes("shutting down");
  } catch {
    return false;
  }
}

/** The master pid from a pid file, or undefined when there is none / it is not running. */
export function readMasterPid(pidFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile, "utf8").trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}
