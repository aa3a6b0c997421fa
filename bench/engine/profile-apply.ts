// Profile one `hecate apply DIR` of a one-route change at 10,000 routes, with the built CLI
// (npm run build first), against a real Caddy already holding the previous state:
//
//   node --import tsx bench/engine/profile-apply.ts [--routes 10000] [--rounds 3] [--out DIR]
//
// Each round runs the CLI with --cpu-prof (profiles in --out, default a temp dir that is kept)
// and prints its wall time, beside a raw POST /load of the config it left on a second Caddy;
// then the functions with the most self time summed over the rounds, and time per source file.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { CaddyClient } from "../../src/providers/caddy/client.js";
import { startCaddy, type Caddy } from "../../test/caddy-provider/caddy.js";
import { freePorts, tempDir } from "../../test/helpers/proc.js";
import { routesYaml, settingsYaml } from "./history-data.js";

const argv = process.argv.slice(2);
const opt = (k: string, d: string) => (argv.includes(k) ? argv[argv.indexOf(k) + 1]! : d);
const routes = Number(opt("--routes", "10000"));
const rounds = Number(opt("--rounds", "3"));
// A temp dir of its own only when --out names none (made eagerly, an empty one was left each run).
const out = argv.includes("--out") ? opt("--out", "") : mkdtempSync(join(tmpdir(), "hecate-profile-"));
mkdirSync(out, { recursive: true });
const built = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
if (!existsSync(built)) throw new Error("run `npm run build` first (dist/ is missing)");

interface Node { callFrame: { functionName: string; url: string; lineNumber: number }; id: number; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[] }

async function cli(args: string[], env: Record<string, string>, prof?: string): Promise<number> {
  const t = performance.now();
  const p = spawn(process.execPath, [...(prof ? ["--cpu-prof", "--cpu-prof-dir", prof] : []), built, ...args], { env: { ...process.env, ...env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  p.stdout.on("data", (c: Buffer) => (text += String(c)));
  p.stderr.on("data", (c: Buffer) => (text += String(c)));
  const code = await new Promise<number>((r) => p.on("exit", (c) => r(c ?? 1)));
  if (code !== 0) throw new Error(`hecate ${args.join(" ")} exited ${code}: ${text.slice(-1500)}`);
  return performance.now() - t;
}

const dir = tempDir("hecate-bench-profile-");
const caddys: Caddy[] = [];
try {
  caddys.push(await startCaddy(), await startCaddy());
  const [httpPort, httpsPort] = (await freePorts(2)) as [number, number];
  const conf = join(dir.path, "conf");
  mkdirSync(conf);
  writeFileSync(join(conf, "settings.yaml"), settingsYaml(caddys[0]!.admin, httpPort, httpsPort));
  const env = { HECATE_STORE: join(dir.path, "store.db"), HECATE_SECRET_KEY: randomBytes(32).toString("base64") };
  const write = (changed: number) => writeFileSync(join(conf, "routes.yaml"), routesYaml(routes, changed));
  write(-1);
  await cli(["apply", conf, "--yes", "--system", "caddy", "--max-deletes", "100000"], env);
  const raw = new CaddyClient(caddys[1]!.admin, { timeoutMs: 300_000 });
  const rawAdmin = ((await raw.getConfig()).config as { admin?: unknown }).admin;
  const asRaw = async () => JSON.stringify({ ...((await new CaddyClient(caddys[0]!.admin).getConfig()).config as object), admin: rawAdmin });
  await raw.call("POST", "/load", await asRaw());
  for (let round = 1; round <= rounds; round++) {
    write(round);
    const ms = await cli(["apply", conf, "--yes", "--system", "caddy"], env, out);
    const text = await asRaw();
    const t = performance.now();
    await raw.call("POST", "/load", text);
    console.log(`round ${round}: apply DIR ${ms.toFixed(0)} ms, raw POST /load ${(performance.now() - t).toFixed(0)} ms`);
  }
  const self = new Map<string, number>();
  const files = new Map<string, number>();
  let total = 0;
  for (const f of readdirSync(out).filter((f) => f.endsWith(".cpuprofile"))) {
    const p = JSON.parse(readFileSync(join(out, f), "utf8")) as Profile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    p.samples.forEach((id, i) => {
      const n = byId.get(id)!;
      const dt = (p.timeDeltas[i] ?? 0) / 1000;
      total += dt;
      const file = n.callFrame.url.replace(/^.*\/(dist|node_modules)\//, "$1/") || `(${n.callFrame.functionName || "native"})`;
      const fn = `${n.callFrame.functionName || "(anonymous)"} ${file}:${n.callFrame.lineNumber + 1}`;
      self.set(fn, (self.get(fn) ?? 0) + dt);
      files.set(file, (files.get(file) ?? 0) + dt);
    });
  }
  const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${(v / rounds).toFixed(0).padStart(6)} ms  ${k}`).join("\n");
  console.log(`\nper apply: ${(total / rounds).toFixed(0)} ms sampled; profiles in ${out}\n\nself time by function:\n${top(self, 40)}\n\nby file:\n${top(files, 30)}`);
} finally {
  for (const c of caddys) await c.stop();
  dir.cleanup();
}
