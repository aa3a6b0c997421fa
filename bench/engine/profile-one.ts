// Profile the one-route apply of bench/engine/apply.ts inside one long-running Engine (what the
// server and the reconcile loop have): 10,000 routes on a real Caddy, rounds alternating A→B and
// B→A, the CPU profile taken around engine.apply() only. Prints wall times and the functions with
// the most self and total time over the rounds.
//
//   node --import tsx bench/engine/profile-one.ts [--routes 10000] [--rounds 10]
import { randomBytes } from "node:crypto";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createEngine } from "../../src/engine/index.js";
import type { Resource } from "../../src/model/schema.js";
import { CaddyClient } from "../../src/providers/caddy/client.js";
import { openSqliteStore } from "../../src/store/index.js";
import { startCaddy } from "../../test/caddy-provider/caddy.js";
import { freePorts, tempDir } from "../../test/helpers/proc.js";

const argv = process.argv.slice(2);
const opt = (k: string, d: string) => (argv.includes(k) ? argv[argv.indexOf(k) + 1]! : d);
const N = Number(opt("--routes", "10000"));
const rounds = Number(opt("--rounds", "10"));

interface Node { callFrame: { functionName: string; url: string; lineNumber: number }; id: number; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[] }

const caddy = await startCaddy();
const dir = tempDir("hecate-profile-one-");
const store = await openSqliteStore({ path: join(dir.path, "store.db"), secretKey: randomBytes(32) });
const session = new Session();
session.connect();
try {
  const client = new CaddyClient(caddy.admin, { timeoutMs: 300_000 });
  const [httpPort, httpsPort, outpostPort] = (await freePorts(3)) as [number, number, number];
  const settings = { apiVersion: "hecate.io/v1", kind: "Settings", metadata: { name: "settings" }, spec: { caddy: { admin: [caddy.admin], listen: [`127.0.0.1:${httpsPort}`], httpPort, httpsPort }, authentik: { url: `http://127.0.0.1:${outpostPort}`, token: "env:BENCH_AUTHENTIK_TOKEN", outpost: `127.0.0.1:${outpostPort}` } } } as Resource;
  const policy = { apiVersion: "hecate.io/v1", kind: "AuthPolicy", metadata: { name: "staff" }, spec: { mode: "forward_single", groups: ["staff"] } } as Resource;
  const routes = (changed = -1): Resource[] =>
    Array.from({ length: N }, (_, i) => ({ apiVersion: "hecate.io/v1", kind: "Route", metadata: { name: `r${String(i).padStart(5, "0")}` }, spec: { hosts: [`r${i}.bench.example.com`], upstreams: [{ address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${i === changed ? 9090 : 8080}` }], ...(i % 5 === 4 ? { public: true } : { authPolicy: "staff" }), tls: { mode: "off" } } }) as Resource);
  const calls: string[] = [];
  const counted = new Proxy(store, { get(t, k, r) { const v = Reflect.get(t, k, r) as unknown; return typeof v === "function" ? (...a: unknown[]) => (calls.push(String(k)), (v as (...x: unknown[]) => unknown).apply(t, a)) : v; } });
  const engine = createEngine({ store: counted, actor: "bench" });
  const sel = { systems: ["caddy" as const] };
  const revA = (await engine.commit([settings, policy, ...routes()], { message: "A" })).revision;
  const revB = (await engine.commit([settings, policy, ...routes(Math.floor(N / 2))], { message: "B" })).revision;
  await engine.apply({ ...sel, revision: revA.hash });
  await engine.apply({ ...sel, revision: revB.hash });
  await engine.apply({ ...sel, revision: revA.hash });
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 100 });
  const times: number[] = [];
  const merged: { self: Map<string, number>; total: Map<string, number>; native: Map<string, number> } = { self: new Map(), total: new Map(), native: new Map() };
  for (let i = 0; i < rounds; i++) {
    const to = i % 2 === 0 ? revB : revA;
    calls.length = 0;
    await session.post("Profiler.start");
    const t = performance.now();
    const r = await engine.apply({ ...sel, revision: to.hash });
    times.push(performance.now() - t);
    if (i === 0) console.log(`store calls in one apply: ${calls.join(", ")}`);
    const { profile } = (await session.post("Profiler.stop")) as unknown as { profile: Profile };
    if (r.status !== "succeeded" || r.plan?.summary.update !== 1) throw new Error(`round ${i}: ${r.status} ${JSON.stringify(r.plan?.summary)}`);
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const key = (n: Node) => `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.replace(/^.*\/work\/main\//, "").replace(/^.*node_modules\//, "nm:")}:${n.callFrame.lineNumber + 1}`;
    profile.samples.forEach((s, k) => {
      const dt = (profile.timeDeltas[k] ?? 0) / 1000;
      const n = byId.get(s)!;
      merged.self.set(key(n), (merged.self.get(key(n)) ?? 0) + dt);
      // Native leaves (GC, I/O, hashing) charged to the nearest function of ours that called them.
      if (!n.callFrame.url) {
        let id: number | undefined = s;
        while (id !== undefined && !byId.get(id)!.callFrame.url.includes("src/")) id = parent.get(id);
        const k2 = `${key(n)} <- ${id !== undefined ? key(byId.get(id)!) : "(none)"}`;
        merged.native.set(k2, (merged.native.get(k2) ?? 0) + dt);
      }
      const seen = new Set<string>();
      for (let id: number | undefined = s; id !== undefined; id = parent.get(id)) {
        const kk = key(byId.get(id)!);
        if (!seen.has(kk)) (seen.add(kk), merged.total.set(kk, (merged.total.get(kk) ?? 0) + dt));
      }
    });
  }
  const sorted = [...times].sort((a, b) => a - b);
  console.log(`one-route apply, ${rounds} rounds: median ${sorted[Math.floor(rounds / 2)]!.toFixed(0)} ms; samples ${times.map((x) => x.toFixed(0)).join(" ")}`);
  const top = (m: Map<string, number>, n: number, filter: (k: string) => boolean) => [...m].filter(([k]) => filter(k)).sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${(v / rounds).toFixed(1).padStart(7)} ms  ${k}`).join("\n");
  console.log("\nself time per round:\n" + top(merged.self, 25, () => true));
  console.log("\nnative time per round, by the function of ours below it:\n" + top(merged.native, 12, (k) => !k.startsWith("(idle)")));
  console.log("\ntotal time per round (src/):\n" + top(merged.total, 45, (k) => k.includes("src/")));
} finally {
  session.disconnect();
  await store.close();
  await caddy.stop();
  dir.cleanup();
}
