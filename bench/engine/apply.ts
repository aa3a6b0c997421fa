// Engine bench against real Caddy with 10,000 routes: no-op plan time, full apply vs a raw
// POST /load of the same JSON, one-route change vs a raw /load. Run: node --import tsx bench/engine/apply.ts [routes]
import { request } from "node:http";
import { performance } from "node:perf_hooks";
import { createEngine } from "../../src/engine/index.js";
import type { Resource } from "../../src/model/schema.js";
import { openSqliteStore } from "../../src/store/index.js";
import { startCaddy } from "../../test/caddy-provider/caddy.js";
import { freePort, tempDir } from "../../test/helpers/proc.js";
import { randomBytes } from "node:crypto";
import { join } from "node:path";

const N = Number(process.argv[2] ?? 10_000);

function admin(base: string, method: string, path: string, body?: string): Promise<string> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method, headers: { "content-type": "application/json" } }, (res) => {
      let s = "";
      res.on("data", (c) => (s += c));
      res.on("end", () => ((res.statusCode ?? 500) >= 400 ? reject(new Error(`${method} ${path}: ${res.statusCode} ${s}`)) : resolve(s)));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const v = await fn();
  return [performance.now() - t, v];
}

const caddy = await startCaddy();
const dir = tempDir("hecate-bench-engine-");
const store = await openSqliteStore({ path: join(dir.path, "store.db"), secretKey: randomBytes(32) });
try {
  const httpPort = await freePort();
  const httpsPort = await freePort();
  const settings = {
    apiVersion: "hecate.io/v1",
    kind: "Settings",
    metadata: { name: "settings" },
    spec: { caddy: { admin: [caddy.admin], listen: [`127.0.0.1:${httpsPort}`], httpPort, httpsPort } },
  } as Resource;
  const routes = (changed = -1): Resource[] =>
    Array.from({ length: N }, (_, i) => ({
      apiVersion: "hecate.io/v1",
      kind: "Route",
      metadata: { name: `r${String(i).padStart(5, "0")}` },
      spec: { hosts: [`r${i}.bench.example.com`], upstreams: [{ address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${i === changed ? 9090 : 8080}` }], public: true, tls: { mode: "off" } },
    }) as Resource);
  const emptyConfig = await admin(caddy.admin, "GET", "/config/");
  const engine = createEngine({ store, actor: "bench" });

  await engine.commit([settings, ...routes()], { message: "bench" });
  const [tPlanFull, planFull] = await time(() => engine.plan());
  const [tApply, applied] = await time(() => engine.apply());
  if (applied.status !== "succeeded") throw new Error(`apply ${applied.status}: ${JSON.stringify(applied.steps)}`);
  const fullConfig = await admin(caddy.admin, "GET", "/config/");

  const noop: number[] = [];
  for (let i = 0; i < 5; i++) {
    const [t, p] = await time(() => engine.plan());
    if (p.steps.length) throw new Error(`phantom diff: ${JSON.stringify(p.steps).slice(0, 400)}`);
    noop.push(t);
  }

  // Raw /load of the same JSON from an empty server: what one POST costs on its own.
  await admin(caddy.admin, "POST", "/load", emptyConfig);
  const [tRawFull] = await time(() => admin(caddy.admin, "POST", "/load", fullConfig));

  // One route changed: the engine (read, diff, /load, verify, journal) vs a raw /load of the result.
  await engine.commit([settings, ...routes(4242)], { message: "one route" });
  const [tOne, one] = await time(() => engine.apply());
  if (one.status !== "succeeded" || one.plan?.summary.update !== 1) throw new Error(`one-route apply: ${one.status} ${JSON.stringify(one.plan?.summary)}`);
  const oneConfig = await admin(caddy.admin, "GET", "/config/");
  await admin(caddy.admin, "POST", "/load", fullConfig);
  const [tRawOne] = await time(() => admin(caddy.admin, "POST", "/load", oneConfig));

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const f = (ms: number) => `${ms.toFixed(0)} ms`;
  console.log(`routes: ${N} (config ${(fullConfig.length / 1e6).toFixed(1)} MB, plan ${planFull.summary.create} creates)`);
  console.log(`first plan (read+compile+diff):  ${f(tPlanFull)}`);
  console.log(`no-op plan (median of 5):        ${f(median(noop))}   target <= 1500 ms`);
  console.log(`full apply (engine):             ${f(tApply)}`);
  console.log(`raw POST /load, same JSON:       ${f(tRawFull)}   ratio ${(tApply / tRawFull).toFixed(2)}x (target <= 1.25x)`);
  console.log(`one-route apply (engine):        ${f(tOne)}`);
  console.log(`raw POST /load, one changed:     ${f(tRawOne)}   ratio ${(tOne / tRawOne).toFixed(2)}x (target <= 1.25x)`);
} finally {
  await store.close();
  await caddy.stop();
  dir.cleanup();
}
