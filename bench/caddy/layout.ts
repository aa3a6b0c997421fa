// Benchmark: Hecate's Caddy layout vs the per-site forward_auth layout of authentik's docs, on a real Caddy.
// For each size and layout, on a fresh Caddy process: POST /load time, Caddy RSS after the load, and
// the median latency of requests to the first- and the last-matched protected host (real upstream, real
// forward-auth round trip to a stand-in outpost for the 80% protected hosts).
//
//   node --import tsx bench/caddy/layout.ts [--sizes 1000,10000] [--requests 200] [--out results.json]
import { writeFileSync, readFileSync } from "node:fs";
import { Agent, createServer, request, type Server } from "node:http";
import { compileCaddy, compilePerSiteReference } from "../../src/compile/caddy/index.js";
import { CaddyClient } from "../../src/providers/caddy/client.js";
import type { ResolvedState } from "../../src/model/resolved.js";
import { freePort } from "../../test/helpers/proc.js";
import { startUpstream } from "../../test/helpers/servers.js";
import { startCaddy, type Caddy } from "../../test/caddy-provider/caddy.js";
import { authPolicy, route, settings, state } from "../../test/caddy-provider/fixtures.js";

interface Args {
  sizes: number[];
  requests: number;
  out?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { sizes: [1000, 10000], requests: 200 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === "--sizes" && v) (args.sizes = v.split(",").map((x) => Number.parseInt(x, 10)).filter((x) => x > 0)), i++;
    else if (a === "--requests" && v) (args.requests = Number.parseInt(v, 10)), i++;
    else if (a === "--out" && v) (args.out = v), i++;
    else throw new Error(`unknown argument ${a}; usage: layout.ts [--sizes 1000,10000] [--requests 200] [--out file.json]`);
  }
  return args;
}

/** A stand-in authentik outpost: every forward-auth check passes and names a user. */
async function startOutpost(): Promise<{ address: string; close: () => Promise<void> }> {
  const port = await freePort();
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { "X-Authentik-Username": "bench", "X-Authentik-Groups": "staff" }).end();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return { address: `127.0.0.1:${port}`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

function benchState(n: number, httpPort: number, upstream: string, outpost: string): ResolvedState {
  const s = settings({ admin: ["http://127.0.0.1:1"], httpPort });
  const policy = authPolicy(outpost);
  const routes = Array.from({ length: n }, (_, i) => {
    const name = `app-${String(i).padStart(6, "0")}`;
    return route({ name, hosts: [`${name}.bench.test`], upstream, ...(i % 5 !== 4 ? { auth: policy } : {}) });
  });
  return state(s, routes);
}

/** Hosts in the order Caddy tries them: depth first through subroutes, to the proxy to `upstream`. */
function matchOrder(config: unknown, upstream: string): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  type R = { match?: { host?: string[] }[]; handle?: { handler: string; routes?: R[]; upstreams?: { dial: string }[] }[] };
  const walk = (routes: R[], inherited: string[]) => {
    for (const r of routes) {
      const hosts = r.match?.[0]?.host ?? inherited;
      for (const h of r.handle ?? []) {
        if (h.handler === "subroute" && h.routes) walk(h.routes, hosts);
        if (h.handler === "reverse_proxy" && h.upstreams?.some((u) => u.dial === upstream)) {
          for (const host of hosts) if (!seen.has(host)) (seen.add(host), order.push(host));
        }
      }
    }
  };
  const servers = (config as { apps: { http: { servers: Record<string, { routes: R[] }> } } }).apps.http.servers;
  for (const s of Object.values(servers)) walk(s.routes, []);
  return order;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

async function medianLatencyMs(port: number, host: string, count: number): Promise<{ medianMs: number; ok: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const once = () =>
    new Promise<{ ms: number; status: number; upstream: unknown }>((resolve, reject) => {
      const t0 = process.hrtime.bigint();
      const req = request({ host: "127.0.0.1", port, path: "/", headers: { Host: host }, agent }, (res) => {
        res.resume();
        res.on("end", () => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, status: res.statusCode ?? 0, upstream: res.headers["x-upstream"] }));
      });
      req.setTimeout(10_000, () => req.destroy(new Error(`request to ${host} timed out`)));
      req.on("error", reject);
      req.end();
    });
  for (let i = 0; i < 20; i++) await once(); // warm-up: connections, caches
  const times: number[] = [];
  let ok = 0;
  for (let i = 0; i < count; i++) {
    const r = await once();
    times.push(r.ms);
    if (r.status === 200 && r.upstream === "bench") ok++;
  }
  agent.destroy();
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)]!, ok };
}

interface LayoutResult {
  layout: "hecate" | "per-site";
  routes: number;
  configBytes: number;
  compileMs: number;
  loadMs: number;
  rssMiB: number;
  firstHost: string;
  lastHost: string;
  firstMs: number;
  lastMs: number;
  okRequests: number;
  totalRequests: number;
}

async function measure(layout: LayoutResult["layout"], n: number, requests: number, upstream: string, outpost: string): Promise<LayoutResult> {
  const httpPort = await freePort();
  const st = benchState(n, httpPort, upstream, outpost);
  const t0 = performance.now();
  const owned = layout === "hecate" ? compileCaddy(st).config : compilePerSiteReference(st);
  const compileMs = performance.now() - t0;
  const caddy: Caddy = await startCaddy();
  try {
    const client = new CaddyClient(caddy.admin, { timeoutMs: 300_000 });
    const full = { ...((await client.getConfig()).config as object), ...owned };
    const body = JSON.stringify(full);
    const t1 = performance.now();
    await client.load(full);
    const loadMs = performance.now() - t1;
    const rss = rssMiB(caddy.pid);
    const order = matchOrder(owned, upstream);
    if (order.length !== n) throw new Error(`${layout}: found ${order.length} proxied hosts in the compiled config, expected ${n}`);
    // Compare like with like: the first and last *protected* hosts in match order, so both
    // requests pay the forward-auth round trip and only the route lookup differs.
    const protectedHosts = new Set(st.routes.filter((r) => r.auth).flatMap((r) => r.hosts));
    const guarded = order.filter((h) => protectedHosts.has(h));
    const firstHost = guarded[0]!, lastHost = guarded[guarded.length - 1]!;
    const first = await medianLatencyMs(httpPort, firstHost, requests);
    const last = await medianLatencyMs(httpPort, lastHost, requests);
    return {
      layout, routes: n, configBytes: Buffer.byteLength(body), compileMs, loadMs, rssMiB: rss,
      firstHost, lastHost, firstMs: first.medianMs, lastMs: last.medianMs,
      okRequests: first.ok + last.ok, totalRequests: 2 * requests,
    };
  } finally {
    await caddy.stop();
  }
}

function fmt(n: number, digits = 1): string {
  return n.toFixed(digits);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const upstream = await startUpstream("bench");
  const outpost = await startOutpost();
  const results: LayoutResult[] = [];
  const checks: { routes: number; loadRatio: number; rssRatio: number; lastOverFirst: number; pass: { load: boolean; rss: boolean; latency: boolean } }[] = [];
  try {
    for (const n of args.sizes) {
      const h = await measure("hecate", n, args.requests, upstream.address, outpost.address);
      upstream.requests.length = 0;
      const b = await measure("per-site", n, args.requests, upstream.address, outpost.address);
      upstream.requests.length = 0;
      results.push(h, b);
      const c = { routes: n, loadRatio: h.loadMs / b.loadMs, rssRatio: h.rssMiB / b.rssMiB, lastOverFirst: h.lastMs / h.firstMs };
      checks.push({ ...c, pass: { load: c.loadRatio <= 0.1, rss: c.rssRatio <= 0.2, latency: c.lastOverFirst <= 2 } });
    }
  } finally {
    await upstream.close();
    await outpost.close();
  }
  const head = ["layout", "routes", "config MB", "compile ms", "POST /load ms", "RSS MiB", "first host ms", "last host ms", "ok"];
  const rows = results.map((r) => [r.layout, String(r.routes), fmt(r.configBytes / 1e6, 2), fmt(r.compileMs, 0), fmt(r.loadMs, 0), fmt(r.rssMiB, 0), fmt(r.firstMs, 2), fmt(r.lastMs, 2), `${r.okRequests}/${r.totalRequests}`]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join("  ");
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  for (const c of checks) {
    console.log(
      `${c.routes} routes: Hecate load = ${fmt(c.loadRatio * 100)}% of per-site (target ≤ 10%: ${c.pass.load ? "ok" : "MISSED"}), ` +
        `RSS = ${fmt(c.rssRatio * 100)}% (target ≤ 20%: ${c.pass.rss ? "ok" : "MISSED"}), ` +
        `last/first host latency = ${fmt(c.lastOverFirst, 2)}× (target ≤ 2×: ${c.pass.latency ? "ok" : "MISSED"})`,
    );
  }
  if (args.out) {
    writeFileSync(args.out, JSON.stringify({ caddy: "2.6.2", requestsPerHost: args.requests, results, checks }, null, 2) + "\n");
    console.log(`results written to ${args.out}`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
