// Many API writers against one `hecate serve`, a process of its own as in production (a real
// SQLite store on disk, real HTTP on loopback): each writer creates routes of its own as fast as
// the server answers, for a while. Then every route a 201 answered for must be in the head
// revision (no lost update), and no answer may be a 5xx or a dropped connection. Prints status
// counts, throughput, latency percentiles, requests per writer (fairness) and revisions stored.
//
//   node --import tsx bench/server/writers.ts [--writers 200] [--seconds 30] [--out results.json]
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { freePort, startProcess, tempDir, waitForPort } from "../../test/helpers/proc.js";

const argv = process.argv.slice(2);
const opt = (k: string, d: string) => (argv.includes(k) ? argv[argv.indexOf(k) + 1]! : d);
const writers = Number(opt("--writers", "200"));
const seconds = Number(opt("--seconds", "30"));
const out = argv.includes("--out") ? opt("--out", "") : undefined;

const dir = tempDir("hecate-bench-writers-");
const env = { ...process.env, HECATE_STORE: join(dir.path, "hecate.db"), HECATE_SECRET_KEY: randomBytes(32).toString("base64"), HECATE_FROM_SOURCE: "1", USER: "bench" };
const made = spawnSync("node", ["bin/hecate.js", "token", "create", "--scope", "write", "--name", "bench"], { env, encoding: "utf8" });
if (made.status !== 0) throw new Error(`token create failed: ${made.stderr}`);
const token = made.stdout.trim();
const port = await freePort();
const server = startProcess("node", ["bin/hecate.js", "serve", "--listen", `127.0.0.1:${port}`, "--log-level", "warn"], { env });
const url = `http://127.0.0.1:${port}`;
const auth = { authorization: `Bearer ${token}` };
try {
  await waitForPort(port, "127.0.0.1", 30_000);
  const statuses = new Map<number | string, number>();
  const latencies: number[] = [];
  const perWriter: number[] = Array.from({ length: writers }, () => 0);
  const created: string[] = [];
  const errors: string[] = [];
  const until = performance.now() + seconds * 1000;
  const writer = async (w: number) => {
    for (let i = 0; performance.now() < until; i++) {
      const name = `w${w}-r${i}`;
      const body = { apiVersion: "hecate.io/v1", kind: "Route", metadata: { name }, spec: { hosts: [`${name}.bench.test`], upstreams: [{ address: `10.0.${w % 250}.${(i % 250) + 1}:8080` }], public: true } };
      const t = performance.now();
      let status: number | string, text: string;
      try {
        const res = await fetch(`${url}/v1/routes`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(body) });
        text = await res.text();
        status = res.status;
      } catch (e) {
        // A connection the server dropped (a reset) is a failure too, like a 5xx.
        status = String((e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message);
        text = "";
      }
      latencies.push(performance.now() - t);
      perWriter[w]!++;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status === 201) created.push(name);
      else if (errors.length < 5) errors.push(`${status} ${text.slice(0, 200)}`);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
  const elapsed = (performance.now() - t0) / 1000;
  const head = (await (await fetch(`${url}/v1/routes`, { headers: auth })).json()) as { items: { metadata: { name: string } }[]; revision: { seq: number } | null };
  const names = new Set(head.items.map((r) => r.metadata.name));
  const lost = created.filter((n) => !names.has(n));
  const sorted = [...latencies].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  const failed = [...statuses].filter(([s]) => typeof s === "string" || s >= 500).reduce((n, [, c]) => n + c, 0);
  const fair = [...perWriter].sort((a, b) => a - b);
  const result = {
    writers,
    seconds: Number(elapsed.toFixed(1)),
    requests: latencies.length,
    statuses: Object.fromEntries(statuses),
    created: created.length,
    inHead: names.size,
    lost: lost.length,
    failed,
    perSecond: Number((created.length / elapsed).toFixed(1)),
    latencyMs: { p50: Math.round(pct(50)), p90: Math.round(pct(90)), p99: Math.round(pct(99)), max: Math.round(sorted[sorted.length - 1] ?? 0) },
    requestsPerWriter: { min: fair[0], median: fair[fair.length >> 1], max: fair[fair.length - 1] },
    revisions: head.revision?.seq,
  };
  console.log(JSON.stringify(result, null, 2));
  if (errors.length) console.log(`first non-201 answers:\n  ${errors.join("\n  ")}`);
  console.log(lost.length === 0 && failed === 0 ? "no lost update, no 5xx, no dropped connection: ok" : `FAILED: ${lost.length} lost, ${failed} 5xx or dropped`);
  if (out) writeFileSync(out, JSON.stringify(result, null, 2));
  process.exitCode = lost.length === 0 && failed === 0 ? 0 : 1;
} finally {
  await server.stop();
  dir.cleanup();
}
