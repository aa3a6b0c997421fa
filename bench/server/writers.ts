// Many API writers against one `hecate serve` (in this process, a real SQLite store on disk, real
// HTTP): each writer creates routes of its own as fast as the server answers, for a while. Then
// every route a 201 answered for must be in the head revision (no lost update), and no answer
// may be a 5xx. Prints status counts, throughput and latency percentiles.
//
//   node --import tsx bench/server/writers.ts [--writers 200] [--seconds 30] [--out results.json]
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { jsonLogger, startServer } from "../../src/server/serve.js";
import { createToken } from "../../src/server/tokens.js";
import { openSqliteStore } from "../../src/store/index.js";
import { tempDir } from "../../test/helpers/proc.js";

const argv = process.argv.slice(2);
const opt = (k: string, d: string) => (argv.includes(k) ? argv[argv.indexOf(k) + 1]! : d);
const writers = Number(opt("--writers", "200"));
const seconds = Number(opt("--seconds", "30"));
const out = argv.includes("--out") ? opt("--out", "") : undefined;

const dir = tempDir("hecate-bench-writers-");
const store = await openSqliteStore({ path: join(dir.path, "hecate.db"), secretKey: randomBytes(32) });
const server = await startServer({ store, listen: { type: "tcp", host: "127.0.0.1", port: 0 }, logger: jsonLogger(() => undefined, "error") });
const { token } = await createToken(store, { name: "bench", scope: "write", createdBy: "bench" });
try {
  const statuses = new Map<number, number>();
  const latencies: number[] = [];
  const created: string[] = [];
  const errors: string[] = [];
  const until = performance.now() + seconds * 1000;
  const writer = async (w: number) => {
    for (let i = 0; performance.now() < until; i++) {
      const name = `w${w}-r${i}`;
      const body = { apiVersion: "hecate.io/v1", kind: "Route", metadata: { name }, spec: { hosts: [`${name}.bench.test`], upstreams: [{ address: `10.0.${w % 250}.${(i % 250) + 1}:8080` }], public: true } };
      const t = performance.now();
      const res = await fetch(`${server.url}/v1/routes`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
      const text = await res.text();
      latencies.push(performance.now() - t);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status === 201) created.push(name);
      else if (errors.length < 5) errors.push(`${res.status} ${text.slice(0, 200)}`);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
  const elapsed = (performance.now() - t0) / 1000;
  const head = await store.head();
  const names = new Set((head?.resources ?? []).filter((r) => r.kind === "Route").map((r) => r.metadata.name));
  const lost = created.filter((n) => !names.has(n));
  const sorted = [...latencies].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  const fivexx = [...statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
  const result = {
    writers,
    seconds: Number(elapsed.toFixed(1)),
    requests: latencies.length,
    statuses: Object.fromEntries(statuses),
    created: created.length,
    inHead: names.size,
    lost: lost.length,
    fivexx,
    perSecond: Number((created.length / elapsed).toFixed(1)),
    latencyMs: { p50: Math.round(pct(50)), p90: Math.round(pct(90)), p99: Math.round(pct(99)), max: Math.round(sorted[sorted.length - 1] ?? 0) },
    revisions: head?.seq,
  };
  console.log(JSON.stringify(result, null, 2));
  if (errors.length) console.log(`first non-201 answers:\n  ${errors.join("\n  ")}`);
  console.log(lost.length === 0 && fivexx === 0 ? "no lost update, no 5xx: ok" : `FAILED: ${lost.length} lost, ${fivexx} 5xx`);
  if (out) writeFileSync(out, JSON.stringify(result, null, 2));
  process.exitCode = lost.length === 0 && fivexx === 0 ? 0 : 1;
} finally {
  await server.close();
  await store.close();
  dir.cleanup();
}
