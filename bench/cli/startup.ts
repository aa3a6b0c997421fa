// Benchmark: CLI start-up against a bare `node -e 0`, side by side in one run. Each round runs
// every command once, in rotating order, as one process each (what an operator's shell does);
// medians of wall time. Runs the built CLI (npm run build first; bin/hecate.js falls back to the
// sources through tsx when dist/ is missing or older than src/, which this bench refuses).
//
//   npm run build && node --import tsx bench/cli/startup.ts [--rounds 30] [--out results.json]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
// @ts-expect-error: plain JavaScript module of the launcher
import { fresh } from "../../bin/start.js";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..");
const bin = join(root, "bin", "hecate.js");

function parseArgs(argv: string[]): { rounds: number; out?: string } {
  const args: { rounds: number; out?: string } = { rounds: 30 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    if (argv[i] === "--rounds" && v) (args.rounds = Number.parseInt(v, 10)), i++;
    else if (argv[i] === "--out" && v) (args.out = v), i++;
    else throw new Error(`unknown argument ${argv[i]}; usage: startup.ts [--rounds 30] [--out file.json]`);
  }
  return args;
}

/** Wall time of one process, start to exit; refuses a non-zero exit. */
function timed(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    p.stderr.on("data", (c) => (err += c));
    p.stdout.resume();
    p.on("error", reject);
    p.on("exit", (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${args.join(" ")} exited ${code}: ${err}`))));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!fresh("cli/main")) throw new Error("dist/ is missing or older than src/: run `npm run build` first");
  const dir = mkdtempSync(join(tmpdir(), "hecate-startup-"));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, HECATE_STORE: join(dir, "hecate.db"), XDG_STATE_HOME: dir, XDG_CONFIG_HOME: dir, NO_COLOR: "1" };
    delete env.HECATE_FROM_SOURCE;
    delete env.HECATE_API_ENDPOINT;
    // A store with a few routes, so `list routes` reads and prints something.
    for (let i = 0; i < 5; i++) await timed([bin, "create", "route", `app-${i}`, "--host", `app-${i}.example.com`, "--upstream", `127.0.0.1:${18000 + i}`, "--public", "-m", "bench"], env);
    const commands: Record<string, string[]> = { "node -e 0": ["-e", "0"], "hecate --version": [bin, "--version"], "hecate list routes": [bin, "list", "routes"], "hecate history -n 3": [bin, "history", "-n", "3"] };
    const names = Object.keys(commands);
    const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    for (const n of names) await timed(commands[n]!, env); // warm the file cache
    for (let r = 0; r < args.rounds; r++) {
      for (let k = 0; k < names.length; k++) {
        const n = names[(r + k) % names.length]!;
        samples[n]!.push(await timed(commands[n]!, env));
      }
    }
    // An edit of src/ during the run would have sent later rounds through tsx.
    if (!fresh("cli/main")) throw new Error("src/ changed during the run (dist/ is older now): the figures are not the built CLI's; run again");
    const base = median(samples["node -e 0"]!);
    const rows = names.map((n) => ({ command: n, medianMs: median(samples[n]!), ratio: median(samples[n]!) / base }));
    for (const r of rows) console.log(`${r.command.padEnd(20)} ${r.medianMs.toFixed(0).padStart(6)} ms  ${r.ratio.toFixed(2)}× node -e 0${r.command === "node -e 0" ? "" : ` (target ≤ 2×: ${r.ratio <= 2 ? "ok" : "MISSED"})`}`);
    if (args.out) writeFileSync(args.out, JSON.stringify({ rounds: args.rounds, rows, samples }, null, 2) + "\n");
    if (rows.some((r) => r.ratio > 2)) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
