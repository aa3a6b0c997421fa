// Run a private Caddy for the local stack: admin on a unix socket in its own directory (or a
// loopback port), no autosave, its data under that directory. Stopped by its pid.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HecateError } from "../../diag.js";

export interface RunningCaddy {
  pid: number;
  /** Admin endpoint as Settings write it: unix:/dir/admin.sock */
  admin: string;
  output: () => string;
  stop: () => Promise<void>;
}

/**
 * `adminListen`: "127.0.0.1:PORT" puts the admin API on loopback TCP (reachable with plain curl);
 * default a unix socket in `dir`.
 */
export async function startCaddy(dir: string, opts: { binary?: string; timeoutMs?: number; adminListen?: string } = {}): Promise<RunningCaddy> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const sock = opts.adminListen ? undefined : join(dir, "admin.sock");
  const file = join(dir, "caddy.json");
  // persist:false: Hecate's store is the source of truth, Caddy's autosave would be a second one.
  // install_trust:false: the local CA's root stays in `dir` (the stack prints where); installing it
  // into the system's trust store ran on every config load and made each apply take ~8 s. The pki
  // app is not Hecate's, so applies keep it.
  const pki = { certificate_authorities: { local: { install_trust: false } } };
  writeFileSync(file, JSON.stringify({ admin: { listen: sock ? `unix/${sock}` : opts.adminListen, config: { persist: false } }, apps: { pki } }));
  const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, "config"), XDG_DATA_HOME: join(dir, "data") };
  const child = spawn(opts.binary ?? "caddy", ["run", "--config", file], { env, stdio: ["ignore", "pipe", "pipe"], detached: false });
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(t);
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  while ((sock && !existsSync(sock)) || !out.includes("admin endpoint started")) {
    if (child.exitCode !== null) throw new HecateError("caddy-start", `caddy exited while starting:\n${out.trim()}`);
    if (Date.now() > deadline) {
      await stop();
      throw new HecateError("caddy-start", `caddy did not open its admin endpoint ${sock ?? opts.adminListen} in time:\n${out.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { pid: child.pid ?? -1, admin: sock ? `unix:${sock}` : `http://${opts.adminListen}`, output: () => out, stop };
}
