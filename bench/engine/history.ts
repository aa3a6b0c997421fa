// History bench: does what a CLI command costs depend on how many revisions the store holds?
// Two stores side by side, one with 2 revisions and one with 200 (one-route changes), each
// with its own real Caddy, against the same 10,000-route desired state, through the CLI as an
// operator runs it (one process per command):
//
//   node --import tsx bench/engine/history.ts [--routes 10000] [--revisions 200] [--repeat 3] [--built] [--out results.json]
//
// --built runs the CLI compiled by `npm run build` (dist/, what bin/hecate.js runs when it is
// there) instead of the TypeScript sources through tsx.
//
// Per round (the short and long sides alternate which goes first):
// - `hecate apply DIR --yes` of a one-route change (YAML files to verified Caddy): wall time and
//   peak RSS of the process; beside it, a raw `POST /load` of the very config that apply left in
//   Caddy, on a third Caddy going through the same transition;
// - `hecate plan DIR` right after (nothing to do): wall time and peak RSS;
// - the store's growth for that revision: pages in use after a WAL checkpoint (free pages, which
//   the next apply reuses, do not count).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { createEngine } from "../../src/engine/index.js";
import { loadPaths } from "../../src/model/load.js";
import { CaddyClient } from "../../src/providers/caddy/client.js";
import { openSqliteStore } from "../../src/store/index.js";
import { startCaddy, type Caddy } from "../../test/caddy-provider/caddy.js";
import { freePorts, tempDir } from "../../test/helpers/proc.js";
import { routesYaml, settingsYaml } from "./history-data.js";

interface Args {
  routes: number;
  revisions: number;
  repeat: number;
  built: boolean;
  out?: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { routes: 10_000, revisions: 200, repeat: 3, built: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i], v = argv[i + 1];
    if (k === "--routes" && v) (a.routes = Number(v)), i++;
    else if (k === "--revisions" && v) (a.revisions = Math.max(2, Number(v))), i++;
    else if (k === "--repeat" && v) (a.repeat = Math.max(1, Number(v))), i++;
    else if (k === "--out" && v) (a.out = v), i++;
    else if (k === "--built") a.built = true;
    else throw new Error(`unknown argument ${k}; usage: history.ts [--routes 10000] [--revisions 200] [--repeat 3] [--built] [--out file.json]`);
  }
  return a;
}

interface Side {
  name: string;
  caddy: Caddy;
  conf: string;
  store: string;
}

const child = fileURLToPath(new URL("./cli-child.ts", import.meta.url));
const builtChild = fileURLToPath(new URL("./cli-child-built.mjs", import.meta.url));
let childArgs = ["--import", "tsx", child];

/** One CLI command in its own process: wall time and peak RSS (MiB). */
async function cli(side: Side, args: string[], rssFile: string, key: Buffer): Promise<{ ms: number; rss: number; out: string }> {
  const t = performance.now();
  const p = spawn(process.execPath, [...childArgs, ...args], {
    env: { ...process.env, HECATE_STORE: side.store, HECATE_SECRET_KEY: key.toString("base64"), BENCH_RSS_FILE: rssFile, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  p.stdout.on("data", (c: Buffer) => (out += String(c)));
  p.stderr.on("data", (c: Buffer) => (out += String(c)));
  const code = await new Promise<number>((r) => p.on("exit", (c) => r(c ?? 1)));
  const ms = performance.now() - t;
  if (code !== 0) throw new Error(`hecate ${args.join(" ")} (${side.name}) exited ${code}: ${out.slice(-2000)}`);
  return { ms, rss: Number(readFileSync(rssFile, "utf8")) / 1024, out };
}

/**
 * Bytes of the store in use: pages minus free pages. An apply that swaps the whole Caddy config
 * journals the previous one (sealed) and drops it once it succeeded; SQLite keeps those pages in
 * its free list for the next apply, so the file's size would count a transient as growth.
 */
function storeBytes(path: string): number {
  const db = new Database(path);
  db.pragma("wal_checkpoint(TRUNCATE)");
  const pages = Number(db.pragma("page_count", { simple: true })) - Number(db.pragma("freelist_count", { simple: true }));
  const size = Number(db.pragma("page_size", { simple: true }));
  db.close();
  return pages * size;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.built) {
    if (!existsSync(fileURLToPath(new URL("../../dist/cli/run.js", import.meta.url)))) throw new Error("--built: run `npm run build` first (dist/ is missing)");
    childArgs = [builtChild];
  }
  const dir = tempDir("hecate-bench-history-");
  const key = randomBytes(32);
  const caddys: Caddy[] = [];
  try {
    for (let i = 0; i < 3; i++) caddys.push(await startCaddy());
    const sides: Side[] = [];
    for (const [i, name] of ["2 revisions", `${args.revisions} revisions`].entries()) {
      const [httpPort, httpsPort] = (await freePorts(2)) as [number, number];
      const conf = join(dir.path, `conf-${i}`);
      mkdirSync(conf);
      writeFileSync(join(conf, "settings.yaml"), settingsYaml(caddys[i]!.admin, httpPort, httpsPort));
      sides.push({ name, caddy: caddys[i]!, conf, store: join(dir.path, `store-${i}.db`) });
    }
    const raw = new CaddyClient(caddys[2]!.admin, { timeoutMs: 300_000 });
    const rss = join(dir.path, "rss");
    // Routes 0..moved on the other upstream port: moving one more is a one-route change (-1: none moved).
    const write = (side: Side, moved: number) => writeFileSync(join(side.conf, "routes.yaml"), routesYaml(args.routes, (i) => i <= moved));

    // Set-up (not measured): both stores apply the first state; the long one then gets its
    // extra one-route revisions through the engine, as many CLI edits would have made them.
    for (const side of sides) {
      write(side, -1);
      await cli(side, ["apply", side.conf, "--yes", "--system", "caddy", "--max-deletes", "100000"], rss, key);
      write(side, 0);
      await cli(side, ["apply", side.conf, "--yes", "--system", "caddy"], rss, key);
    }
    const long = sides[1]!;
    {
      const store = await openSqliteStore({ path: long.store, secretKey: key });
      const engine = createEngine({ store, actor: "bench" });
      // Parsed once; each revision swaps in route k with the other port, as `write(long, k)` would.
      const base = (await loadPaths([long.conf])).docs.map((d) => d.resource);
      const at = (k: number) => base.findIndex((r) => r.kind === "Route" && r.metadata.name === `r${String(k).padStart(5, "0")}`);
      for (let k = 3; k <= args.revisions; k++) {
        const i = at(k % args.routes);
        const r = structuredClone(base[i]!) as { spec: { upstreams: { address: string }[] } };
        r.spec.upstreams[0]!.address = r.spec.upstreams[0]!.address.replace(/:8080$/, ":9090");
        await engine.commit(base.map((x, j) => (j === i ? (r as unknown as typeof x) : x)), { message: `bench history ${k}` });
      }
      await store.close();
      write(long, 0); // the applied state again
    }
    // The raw side loads what the short side's Caddy runs, with its own admin section (a config
    // carries its admin listener: loaded as is, it would take over the other Caddy's admin API).
    const rawAdmin = ((await raw.getConfig()).config as { admin?: unknown }).admin;
    const asRaw = async () => JSON.stringify({ ...((await new CaddyClient(sides[0]!.caddy.admin).getConfig()).config as object), admin: rawAdmin });
    await raw.call("POST", "/load", await asRaw());

    const applyMs: Record<string, number[]> = {}, applyRss: Record<string, number[]> = {}, planMs: Record<string, number[]> = {}, planRss: Record<string, number[]> = {};
    const growth: Record<string, number[]> = {};
    const rawMs: number[] = [];
    for (let round = 1; round <= args.repeat; round++) {
      const changed = round; // one route more moved each round: every apply is a one-route change
      const order = round % 2 ? sides : [...sides].reverse();
      for (const side of order) {
        write(side, changed);
        const before = storeBytes(side.store);
        const a = await cli(side, ["apply", side.conf, "--yes", "--system", "caddy"], rss, key);
        if (!/applied revision/.test(a.out)) throw new Error(`apply did not apply: ${a.out.slice(-500)}`);
        (applyMs[side.name] ??= []).push(a.ms);
        (applyRss[side.name] ??= []).push(a.rss);
        (growth[side.name] ??= []).push(storeBytes(side.store) - before);
        const p = await cli(side, ["plan", side.conf, "--system", "caddy"], rss, key);
        if (!/No changes/.test(p.out)) throw new Error(`plan after apply is not empty: ${p.out.slice(0, 500)}`);
        (planMs[side.name] ??= []).push(p.ms);
        (planRss[side.name] ??= []).push(p.rss);
      }
      const text = await asRaw();
      const t = performance.now();
      await raw.call("POST", "/load", text);
      rawMs.push(performance.now() - t);
    }

    const [s, l] = sides.map((x) => x.name) as [string, string];
    const row = (what: string, m: Record<string, number[]>, unit: string) =>
      `${what.padEnd(22)} ${median(m[s]!).toFixed(0).padStart(7)} ${unit}  ${median(m[l]!).toFixed(0).padStart(7)} ${unit}   ${(median(m[l]!) / median(m[s]!)).toFixed(2)}x`;
    console.log(`routes: ${args.routes}; stores with 2 and ${args.revisions} revisions; medians of ${args.repeat}; CLI ${args.built ? "built (dist/)" : "from source (tsx)"}`);
    console.log(`${"".padEnd(22)} ${s.padStart(10)}  ${l.padStart(10)}   long/short (target <= 1.10x)`);
    console.log(row("apply DIR time", applyMs, "ms"));
    console.log(row("apply DIR peak RSS", applyRss, "MiB"));
    console.log(row("plan DIR time", planMs, "ms"));
    console.log(row("plan DIR peak RSS", planRss, "MiB"));
    console.log(`store growth per one-route revision: ${(median(growth[s]!) / 1024).toFixed(1)} KB (short), ${(median(growth[l]!) / 1024).toFixed(1)} KB (long); target < 50 KB`);
    console.log(`raw POST /load of the same config: ${median(rawMs).toFixed(0)} ms; apply DIR (short) / raw = ${(median(applyMs[s]!) / median(rawMs)).toFixed(2)}x (target <= 2x)`);
    console.log(`samples (ms): ${JSON.stringify({ applyMs, planMs, rawMs })}`);
    if (args.out) writeFileSync(args.out, JSON.stringify({ args, applyMs, applyRss, planMs, planRss, growth, rawMs }, null, 2));
  } finally {
    for (const c of caddys) await c.stop();
    dir.cleanup();
  }
}

await main();
