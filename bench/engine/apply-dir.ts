// `apply DIR` end to end at 10,000 routes (80 % protected), the CLI process from YAML files to
// verified Caddy, beside a raw `POST /load` of the config it left, in one run:
//
//   npm run build && node --import tsx bench/engine/apply-dir.ts [--routes 10000] [--repeat 5]
//
// Each apply moves one more route to another upstream port in its files (a one-route change);
// each round runs, one after another:
// - remote: `hecate apply DIR --yes` with HECATE_API_ENDPOINT set, against `hecate serve` (the
//   `hecate up` stack's server, warm: it has applied before) on its own store and Caddy; when
//   NODE_EXTRA_CA_CERTS is set, a second time with the CLI's Node started without it (Node reads
//   that CA bundle as it starts, whatever the command): the server's and the CLI's shares of each
//   are read from the server's request log;
// - local: `hecate apply DIR --yes` on a store of its own with its own Caddy (a cold process
//   does everything itself);
// - raw: `POST /load` of the config the remote side left, on a third Caddy.
// bin/hecate.js runs both sides (and the server), from the build (dist/), as it does once
// `npm run build` has run.
// BENCH_SETTLE_MS (default 150, as bench/engine/apply.ts): the pause before each timed command or
// load, on every side, so that one side's Caddy collecting its last config is not timed in another.
// BENCH_SERVER_NODE_ARGS and BENCH_CLI_NODE_ARGS (the remote side's CLI) pass node flags, e.g.
// "--cpu-prof --cpu-prof-dir=DIR" to see where the time goes.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
// @ts-expect-error: plain JavaScript without declarations (the launcher of bin/hecate.js)
import { fresh } from "../../bin/start.js";
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
// What an operator runs: bin/hecate.js, which in a checkout first checks that dist/ is not older
// than src/ (else it would run the sources through tsx, far slower: refused here).
const main = fileURLToPath(new URL("../../bin/hecate.js", import.meta.url));
if (!fresh("cli/main")) throw new Error("run `npm run build` first (dist/ is missing or older than src/)");

const key = randomBytes(32).toString("base64");

/** One CLI command in its own process: wall time and output; a failure throws with the output. */
async function cli(args: string[], env: Record<string, string>, drop: string[] = []): Promise<{ ms: number; out: string }> {
  const full: NodeJS.ProcessEnv = { ...process.env, HECATE_SECRET_KEY: key, NO_COLOR: "1", ...env };
  for (const k of drop) delete full[k];
  const t = performance.now();
  const p = spawn(process.execPath, [...(env.HECATE_API_ENDPOINT ? (process.env.BENCH_CLI_NODE_ARGS?.split(" ").filter(Boolean) ?? []) : []), main, ...args], { env: full, stdio: ["ignore", "pipe", "pipe"] });
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

  // NODE_EXTRA_CA_CERTS (set on this project's machines) makes every Node process read that CA
  // bundle as it starts, before any code of its own runs (Node 20 loads it eagerly): a cost of
  // the machine, not of Hecate. When it is set, each round also runs the remote command without
  // it ("remote, plain Node"), against the same server, so both are measured side by side.
  const extraCa = process.env.NODE_EXTRA_CA_CERTS ? ["NODE_EXTRA_CA_CERTS"] : undefined;
  const ms: Record<string, number[]> = { "remote first": [], remote: [], ...(extraCa ? { "remote, plain Node": [] } : {}), local: [], raw: [], curl: [] };
  // Which kind each request the server logged was, in order (its request log has no labels).
  const served: string[] = [];
  // Routes moved so far, per directory: each apply moves one more (the earlier ones stay moved),
  // a one-route change.
  const moved = new Map<string, number>();
  const applyOnce = async (side: (typeof sides)[0], label: string, drop: string[] = []) => {
    const n = (moved.get(side.conf) ?? 0) + 1;
    moved.set(side.conf, n);
    writeFileSync(join(side.conf, "routes.yaml"), routesYaml(routes, (i) => i >= 1 && i <= n));
    await settle();
    const r = await cli(["apply", side.conf, "--yes", "--system", "caddy"], side === remote ? api : { HECATE_STORE: side.store }, drop);
    if (!/applied revision/.test(r.out)) throw new Error(`${side.name} apply did not apply: ${r.out.slice(-500)}`);
    ms[label]!.push(r.ms);
    if (side === remote) served.push(label);
  };
  let lastText = await asRaw();
  for (let round = 0; round <= repeat; round++) {
    // Round 0: the server's first apply since it started (it reads everything once). The two
    // remote commands take turns going first: the second finds the server and Caddy warmer.
    const plain = extraCa && round > 0 ? () => applyOnce(remote, "remote, plain Node", extraCa) : async () => {};
    if (round % 2 === 0) await plain();
    await applyOnce(remote, round === 0 ? "remote first" : "remote");
    if (round % 2 === 1) await plain();
    await applyOnce(local, "local");
    const text = await asRaw();
    await settle();
    const t = performance.now();
    await raw.call("POST", "/load", text);
    ms.raw!.push(performance.now() - t);
    // The same load as an operator's script sends it: curl, its own process, the config from a
    // file, as the CLI side is its own process reading files. It loads the config of the round
    // before, a route or two away from what that Caddy runs now, as the load above was.
    const file = join(dir.path, "config.json");
    writeFileSync(file, lastText);
    await settle();
    ms.curl!.push(await curl(`${caddys[2]!.admin}/load`, file));
    lastText = text;
  }
  // The server's own time for each apply (its request log's "ms"): the rest of a remote command's
  // wall time is the CLI process (start, reading and sending the files, printing) and the transfer.
  const logged = server.output().split("\n").flatMap((l) => {
    try {
      const e = JSON.parse(l) as { path?: string; ms?: number };
      return e.path === "/v1/apply" && typeof e.ms === "number" ? [e.ms] : [];
    } catch {
      return [];
    }
  });
  const serverMs = (label: string) => logged.filter((_, i) => served[i] === label);
  const rawMs = median(ms.raw!);
  const line = (what: string, v: number, target = "") => console.log(`${what.padEnd(40)}${v.toFixed(0).padStart(6)} ms   ${(v / rawMs).toFixed(2)}x raw${target}`);
  console.log(`routes: ${routes}; one-route change per apply; medians of ${repeat} (the remote side's first apply apart); built CLI`);
  console.log(`raw POST /load of the same config       ${rawMs.toFixed(0).padStart(6)} ms`);
  const curlMs = median(ms.curl!);
  console.log(`curl POST /load of it, a process        ${curlMs.toFixed(0).padStart(6)} ms`);
  for (const label of ["remote", ...(extraCa ? ["remote, plain Node"] : [])]) {
    const total = median(ms[label]!);
    line(label === "remote" ? "apply DIR through hecate serve" : "  the same, CLI without NODE_EXTRA_CA_CERTS", total, `, ${(total / curlMs).toFixed(2)}x curl (target <= 2x)`);
    const own = serverMs(label);
    if (logged.length === served.length && own.length === ms[label]!.length) {
      line("    of which the server (its request log)", median(own));
      console.log(`    and the CLI process and transfer    ${median(ms[label]!.map((t, i) => t - own[i]!)).toFixed(0).padStart(6)} ms`);
    }
  }
  console.log(`  the server's first apply after start ${ms["remote first"]![0]!.toFixed(0).padStart(6)} ms   ${(ms["remote first"]![0]! / rawMs).toFixed(2)}x raw`);
  console.log(`apply DIR locally (a cold process)     ${median(ms.local!).toFixed(0).padStart(6)} ms   ${(median(ms.local!) / rawMs).toFixed(2)}x raw`);
  console.log(`samples (ms): ${JSON.stringify(ms)}`);
} finally {
  await server?.stop();
  for (const c of caddys) await c.stop();
  dir.cleanup();
}
