// `apply DIR` end to end at 10,000 routes (80 % protected), the CLI process from YAML files to
// verified Caddy, beside a raw `POST /load` of the config it left, in one run:
//
//   npm run build && node --import tsx bench/engine/apply-dir.ts [--routes 10000] [--repeat 5]
//
// Each round moves one more route to another upstream port in the files (a one-route change) and
// runs, one after another:
// - remote: `hecate apply DIR --yes` with HECATE_API_ENDPOINT set, against `hecate serve` (the
//   `hecate up` stack's server, warm: it has applied before) on its own store and Caddy;
// - local: `hecate apply DIR --yes` on a store of its own with its own Caddy (a cold process
//   does everything itself);
// - raw: `POST /load` of the config the remote side left, on a third Caddy.
// The built CLI (dist/) runs both sides, as bin/hecate.js does once `npm run build` has run.
// BENCH_SETTLE_MS (default 150, as bench/engine/apply.ts): the pause before each timed command or
// load, on every side, so that one side's Caddy collecting its last config is not timed in another.
// BENCH_SERVER_NODE_ARGS and BENCH_CLI_NODE_ARGS (the remote side's CLI) pass node flags, e.g.
// "--cpu-prof --cpu-prof-dir=DIR" to see where the time goes.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { CaddyClient } from "../../src/providers/caddy/client.js";
import { startCaddy, type Caddy } from "../../test/caddy-provider/caddy.js";
import { freePorts, startProcess, tempDir, waitForPort, type Proc } from "../../test/helpers/proc.js";
import { routesYaml, settingsYaml } from "./history-data.js";

const argv = process.argv.slice(2);
const opt = (k: string, d: string) => (argv.includes(k) ? argv[argv.indexOf(k) + 1]! : d);
const routes = Number(opt("--routes", "10000"));
const repeat = Number(opt("--repeat", "5"));
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 150);
const settle = () => new Promise((r) => setTimeout(r, SETTLE_MS));
const main = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
if (!existsSync(main)) throw new Error("run `npm run build` first (dist/ is missing)");

const key = randomBytes(32).toString("base64");

/** One CLI command in its own process: wall time and output; a failure throws with the output. */
async function cli(args: string[], env: Record<string, string>): Promise<{ ms: number; out: string }> {
  const t = performance.now();
  const p = spawn(process.execPath, [...(env.HECATE_API_ENDPOINT ? (process.env.BENCH_CLI_NODE_ARGS?.split(" ").filter(Boolean) ?? []) : []), main, ...args], { env: { ...process.env, HECATE_SECRET_KEY: key, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  p.stdout.on("data", (c: Buffer) => (out += String(c)));
  p.stderr.on("data", (c: Buffer) => (out += String(c)));
  const code = await new Promise<number>((r) => p.on("exit", (c) => r(c ?? 1)));
  const ms = performance.now() - t;
  if (code !== 0) throw new Error(`hecate ${args.join(" ")} exited ${code}: ${out.slice(-2000)}`);
  return { ms, out };
}

/** `curl POST /load` of a file, its own process: wall time; a failure throws with curl's output. */
async function curl(url: string, file: string): Promise<number> {
  const t = performance.now();
  const p = spawn("curl", ["-sS", "--fail-with-body", "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", `@${file}`, url], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  p.stdout.on("data", (c: Buffer) => (out += String(c)));
  p.stderr.on("data", (c: Buffer) => (out += String(c)));
  const code = await new Promise<number>((r) => p.on("exit", (c) => r(c ?? 1)));
  const ms = performance.now() - t;
  if (code !== 0) throw new Error(`curl POST /load exited ${code}: ${out.slice(-2000)}`);
  return ms;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const dir = tempDir("hecate-bench-apply-dir-");
const caddys: Caddy[] = [];
let server: Proc | undefined;
try {
  for (let i = 0; i < 3; i++) caddys.push(await startCaddy());
  const sides = ["remote", "local"].map((name, i) => ({ name, caddy: caddys[i]!, conf: join(dir.path, `conf-${name}`), store: join(dir.path, `${name}.db`) }));
  for (const side of sides) {
    const [http, https] = (await freePorts(2)) as [number, number];
    mkdirSync(side.conf);
    writeFileSync(join(side.conf, "settings.yaml"), settingsYaml(side.caddy.admin, http, https));
    writeFileSync(join(side.conf, "routes.yaml"), routesYaml(routes, -1));
    // Set-up (not measured): the first state applied locally, Settings recorded with it.
    await cli(["apply", side.conf, "--yes", "--system", "caddy", "--max-deletes", "100000"], { HECATE_STORE: side.store });
  }
  const [remote, local] = sides as [(typeof sides)[0], (typeof sides)[0]];
  const { token } = JSON.parse((await cli(["token", "create", "--scope", "admin", "--name", "bench", "-o", "json"], { HECATE_STORE: remote.store })).out) as { token: string };
  const [port] = (await freePorts(1)) as [number];
  server = startProcess(process.execPath, [...(process.env.BENCH_SERVER_NODE_ARGS?.split(" ").filter(Boolean) ?? []), main, "serve", "--listen", `127.0.0.1:${port}`], { env: { ...process.env, HECATE_STORE: remote.store, HECATE_SECRET_KEY: key } });
  await waitForPort(port, "127.0.0.1", 30_000);
  const api = { HECATE_API_ENDPOINT: `http://127.0.0.1:${port}`, HECATE_API_TOKEN: token, HECATE_STORE: join(dir.path, "absent", "none.db") };

  const raw = new CaddyClient(caddys[2]!.admin, { timeoutMs: 300_000 });
  const rawAdmin = ((await raw.getConfig()).config as { admin?: unknown }).admin;
  // What the remote side's Caddy runs, with the raw Caddy's own admin section.
  const asRaw = async () => JSON.stringify({ ...((await new CaddyClient(remote.caddy.admin).getConfig()).config as object), admin: rawAdmin });
  await raw.call("POST", "/load", await asRaw());

  const ms: Record<string, number[]> = { "remote first": [], remote: [], local: [], raw: [], curl: [] };
  let lastText = await asRaw();
  for (let round = 0; round <= repeat; round++) {
    for (const side of sides) {
      // One route more moves each round, the earlier ones stay moved: a one-route change.
      writeFileSync(join(side.conf, "routes.yaml"), routesYaml(routes, (i) => i >= 1 && i <= round + 1));
      await settle();
      const r = await cli(["apply", side.conf, "--yes", "--system", "caddy"], side === remote ? api : { HECATE_STORE: side.store });
      if (!/applied revision/.test(r.out)) throw new Error(`${side.name} apply did not apply: ${r.out.slice(-500)}`);
      // Round 0: the server's first apply since it started (it reads everything once).
      ms[side === remote ? (round === 0 ? "remote first" : "remote") : "local"]!.push(r.ms);
    }
    const text = await asRaw();
    await settle();
    const t = performance.now();
    await raw.call("POST", "/load", text);
    ms.raw!.push(performance.now() - t);
    // The same load as an operator's script sends it: curl, its own process, the config from a
    // file, as the CLI side is its own process reading files. It loads the config of the round
    // before, one route away from what Caddy runs now, as the load above was.
    const file = join(dir.path, "config.json");
    writeFileSync(file, lastText);
    await settle();
    ms.curl!.push(await curl(`${caddys[2]!.admin}/load`, file));
    lastText = text;
  }
  const rawMs = median(ms.raw!);
  console.log(`routes: ${routes}; one-route change per round; medians of ${repeat} (the remote side's first apply apart); built CLI`);
  console.log(`raw POST /load of the same config       ${rawMs.toFixed(0).padStart(6)} ms`);
  const curlMs = median(ms.curl!);
  console.log(`curl POST /load of it, a process        ${curlMs.toFixed(0).padStart(6)} ms`);
  console.log(`apply DIR through hecate serve         ${median(ms.remote!).toFixed(0).padStart(6)} ms   ${(median(ms.remote!) / rawMs).toFixed(2)}x raw, ${(median(ms.remote!) / curlMs).toFixed(2)}x curl (target <= 2x)`);
  console.log(`  the server's first apply after start ${ms["remote first"]![0]!.toFixed(0).padStart(6)} ms   ${(ms["remote first"]![0]! / rawMs).toFixed(2)}x raw`);
  console.log(`apply DIR locally (a cold process)     ${median(ms.local!).toFixed(0).padStart(6)} ms   ${(median(ms.local!) / rawMs).toFixed(2)}x raw`);
  console.log(`samples (ms): ${JSON.stringify(ms)}`);
} finally {
  await server?.stop();
  for (const c of caddys) await c.stop();
  dir.cleanup();
}
