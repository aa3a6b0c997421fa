// "Machines" for fleet tests: each is a network namespace of its own (so every Caddy node listens
// on the same HTTP port, as on three hosts), anchored by a small upstream that answers with the
// machine's name. Caddy runs in it through nsenter, admin on a unix socket in the machine's
// directory (the path survives a restart); it is killed and started again by pid, the machine
// staying. Traffic goes through each machine's own Caddy with curl inside its namespace.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { eventually, startProcess, type Proc } from "../helpers/proc.js";

export interface Machine {
  name: string;
  dir: string;
  /** unix:/…/admin.sock, as Settings name the node. */
  admin: string;
  caddy: Proc | undefined;
  /** Start a fresh, empty Caddy (nothing persisted: a replaced node). */
  startCaddy(): Promise<void>;
  /** SIGKILL Caddy by pid: a crash, the machine stays. */
  killCaddy(): Promise<void>;
  /** GET http://127.0.0.1:port/ with Host through this machine's Caddy: status and body ("" when refused). */
  get(port: number, host: string): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

const UPSTREAM = `
const name = process.argv[1], port = Number(process.argv[2]);
require("node:http").createServer((req, res) => res.end("upstream of " + name)).listen(port, "127.0.0.1", () => console.log("listening"));
`;

export async function startMachine(name: string, root: string, upstreamPort: number): Promise<Machine> {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const sock = join(dir, "admin.sock");
  const anchor = startProcess("unshare", ["-n", "sh", "-c", 'ip link set lo up && exec "$0" -e "$1" "$2" "$3"', process.execPath, UPSTREAM, name, String(upstreamPort)]);
  await eventually(() => anchor.output().includes("listening") || (anchor.child.exitCode !== null && Promise.reject(new Error(anchor.output()))), 10_000, 50);
  const netns = ["-t", String(anchor.pid), "-n"];
  const m: Machine = {
    name,
    dir,
    admin: `unix:${sock}`,
    caddy: undefined,
    async startCaddy() {
      // A killed Caddy leaves its socket file behind.
      rmSync(sock, { force: true });
      const file = join(dir, "caddy.json");
      writeFileSync(file, JSON.stringify({ admin: { listen: `unix/${sock}`, config: { persist: false } } }));
      const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: dir, XDG_DATA_HOME: dir };
      const p = startProcess("nsenter", [...netns, "caddy", "run", "--config", file], { env });
      m.caddy = p;
      await eventually(() => existsSync(sock) && p.output().includes('"admin endpoint started"'), 10_000, 50);
    },
    async killCaddy() {
      const p = m.caddy;
      if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
      const gone = new Promise<void>((r) => p.child.once("exit", () => r()));
      process.kill(p.pid, "SIGKILL");
      await gone;
    },
    get(port, host) {
      return new Promise((resolve, reject) => {
        execFile("nsenter", [...netns, "curl", "-s", "-m", "5", "-o", "-", "-w", "\n%{http_code}", "-H", `Host: ${host}`, `http://127.0.0.1:${port}/`], (err, stdout) => {
          if (err && (err as { code?: unknown }).code !== 7) return reject(err); // 7: connection refused
          const at = stdout.lastIndexOf("\n");
          resolve({ status: Number(stdout.slice(at + 1)) || 0, body: stdout.slice(0, at) });
        });
      });
    },
    async stop() {
      await m.caddy?.stop();
      await anchor.stop();
    },
  };
  await m.startCaddy();
  return m;
}
