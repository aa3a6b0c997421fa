// Benchmark: Hecate's Caddy layout vs the per-site forward_auth layout of authentik's docs, on a real Caddy.
// For each size and layout, on a fresh Caddy process: POST /load time, Caddy RSS after the load, and
// the median latency of requests to the first- and the last-matched protected host (real upstream, real
// forward-auth round trip to a stand-in outpost for the 80% protected hosts).
//
//   node --import tsx bench/caddy/layout.ts [--sizes 1000,10000] [--requests 200] [--out results.json]
import { writeFileSync, readFileSync } from "node:fs";
import { Agent, createServer, request, type Server } from "node:http";
import { compileCaddy, compilePerSiteReference, type CaddyOwned } from "../../src/compile/caddy/index.js";
import { UPSTREAM_PLACEHOLDER } from "../../src/compile/caddy/shapes.js";
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

/** The header the stand-in outpost takes as a signed-in session. */
const LOGIN = { "x-bench-login": "yes" };

/** A stand-in authentik outpost: a request with the login header passes and names a user; any other is sent to sign in (302). */
async function startOutpost(): Promise<{ address: string; close: () => Promise<void> }> {
  const port = await freePort();
  const server: Server = createServer((req, res) => {
    if (req.headers["x-bench-login"] === "yes") res.writeHead(200, { "X-Authentik-Username": "bench", "X-Authentik-Groups": "staff" }).end();
    else res.writeHead(302, { Location: "http://auth.bench.test/login" }).end();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return { address: `127.0.0.1:${port}`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

function benchState(n: number, httpPort: number, upstream: string, outpost: string, shapes = true): ResolvedState {
  const s = settings({ admin: ["http://127.0.0.1:1"], httpPort });
  if (!shapes) s.caddy.shapes = false;
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
  type R = { match?: { host?: string[] }[]; handle?: { handler: string; routes?: R[]; upstreams?: { dial: string }[]; mappings?: { input: string; outputs: string[] }[] }[] };
  const walk = (routes: R[], inherited: string[]) => {
    for (const r of routes) {
      let hosts = r.match?.[0]?.host ?? inherited;
      // A shape route: Caddy's map handler tries its entries in order.
      const map = r.handle?.[0]?.handler === "map" ? r.handle[0].mappings! : undefined;
      if (map && r.handle!.some((h) => h.handler === "reverse_proxy" && h.upstreams?.[0]?.dial === UPSTREAM_PLACEHOLDER)) {
        hosts = map.filter((m) => m.outputs[0] === upstream).map((m) => m.input);
        for (const host of hosts) if (!seen.has(host)) (seen.add(host), order.push(host));
        continue;
      }
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

/**
 * The floor: one plain route per host, no auth at all, in one server (what a hand-written
 * config of 10,000 sites without identity awareness is).
 */
function flatLayout(st: ResolvedState, upstream: string): CaddyOwned {
  const routes = st.routes.map((r) => ({ match: [{ host: r.hosts }], handle: [{ handler: "reverse_proxy", upstreams: [{ dial: upstream }] }], terminal: true }));
  const listen = [`127.0.0.1:${st.settings.caddy.httpPort}`];
  return { apps: { http: { servers: { flat: { listen, routes, automatic_https: { disable: true } } } } } };
}

/** One request (no keep-alive); status and the upstream that answered. */
function once(port: number, host: string, headers: Record<string, string>): Promise<{ status: number; upstream: unknown; user: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", headers: { Host: host, ...headers }, agent: false }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => {
        let user: unknown;
        try {
          user = (JSON.parse(body) as { headers?: Record<string, unknown> }).headers?.["x-authentik-username"];
        } catch {
          user = undefined;
        }
        resolve({ status: res.statusCode ?? 0, upstream: res.headers["x-upstream"], user });
      });
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`request to ${host} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

/**
 * A sample of hosts across the whole range (every `step`-th route): a protected host sends an
 * anonymous request to sign in (302 from the outpost) and passes a signed-in one to the upstream
 * with the identity the outpost named; a public host answers without asking the outpost.
 */
async function checkSample(layout: string, port: number, st: ResolvedState, step: number): Promise<{ checked: number; failures: string[] }> {
  const failures: string[] = [];
  let checked = 0;
  for (let i = 0; i < st.routes.length; i += step) {
    const r = st.routes[i]!;
    const host = r.hosts[0]!;
    checked++;
    if (r.auth && layout !== "flat") {
      const anon = await once(port, host, {});
      if (anon.status !== 302) failures.push(`${host}: anonymous request answered ${anon.status}, not the sign-in redirect`);
      const forged = await once(port, host, { "X-Authentik-Username": "mallory" });
      if (forged.status !== 302) failures.push(`${host}: a forged identity header answered ${forged.status}`);
      const ok = await once(port, host, LOGIN);
      if (ok.status !== 200 || ok.upstream !== "bench" || ok.user !== "bench") failures.push(`${host}: signed-in request answered ${ok.status} (${String(ok.upstream)}, user ${String(ok.user)})`);
    } else {
      const ok = await once(port, host, {});
      if (ok.status !== 200 || ok.upstream !== "bench" || ok.user !== undefined) failures.push(`${host}: public request answered ${ok.status} (${String(ok.upstream)}, user ${String(ok.user)})`);
    }
  }
  return { checked, failures };
}

async function medianLatencyMs(port: number, host: string, count: number): Promise<{ medianMs: number; ok: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const once = () =>
    new Promise<{ ms: number; status: number; upstream: unknown }>((resolve, reject) => {
      const t0 = process.hrtime.bigint();
      const req = request({ host: "127.0.0.1", port, path: "/", headers: { Host: host, ...LOGIN }, agent }, (res) => {
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

type Layout = "hecate" | "hecate-routes" | "flat" | "per-site";

interface LayoutResult {
  layout: Layout;
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
  sampleChecked: number;
  sampleFailures: string[];
}

async function measure(layout: Layout, n: number, requests: number, upstream: string, outpost: string): Promise<LayoutResult> {
  const httpPort = await freePort();
  const st = benchState(n, httpPort, upstream, outpost, layout !== "hecate-routes");
  const t0 = performance.now();
  const owned = layout === "hecate" || layout === "hecate-routes" ? compileCaddy(st).config : layout === "flat" ? flatLayout(st, upstream) : compilePerSiteReference(st);
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
    // (The flat layout has no auth: its first and last hosts of those names, without the round trip.)
    const protectedHosts = new Set(st.routes.filter((r) => r.auth).flatMap((r) => r.hosts));
    const guarded = order.filter((h) => protectedHosts.has(h));
    const firstHost = guarded[0]!, lastHost = guarded[guarded.length - 1]!;
    const first = await medianLatencyMs(httpPort, firstHost, requests);
    const last = await medianLatencyMs(httpPort, lastHost, requests);
    const sample = await checkSample(layout, httpPort, st, Math.max(1, Math.floor(n / 200)));
    return {
      layout, routes: n, configBytes: Buffer.byteLength(body), compileMs, loadMs, rssMiB: rss,
      firstHost, lastHost, firstMs: first.medianMs, lastMs: last.medianMs,
      okRequests: first.ok + last.ok, totalRequests: 2 * requests,
      sampleChecked: sample.checked, sampleFailures: sample.failures,
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
  const lines: string[] = [];
  let missed = false;
  try {
    for (const n of args.sizes) {
      const by: Partial<Record<Layout, LayoutResult>> = {};
      for (const layout of ["hecate", "hecate-routes", "flat", "per-site"] as const) {
        by[layout] = await measure(layout, n, args.requests, upstream.address, outpost.address);
        upstream.requests.length = 0;
        results.push(by[layout]!);
      }
      const h = by.hecate!, flat = by.flat!, site = by["per-site"]!, routes = by["hecate-routes"]!;
      const check = (label: string, v: number, max: number, unit = "×") => {
        const ok = v <= max;
        if (!ok) missed = true;
        lines.push(`${n} routes: ${label} = ${fmt(v, 2)}${unit} (target ≤ ${max}${unit}: ${ok ? "ok" : "MISSED"})`);
      };
      check("Hecate load / flat", h.loadMs / flat.loadMs, 0.7);
      check("Hecate RSS / flat", h.rssMiB / flat.rssMiB, 0.7);
      check("Hecate load / per-site", h.loadMs / site.loadMs, 0.1);
      check("Hecate RSS / per-site", h.rssMiB / site.rssMiB, 0.1);
      check("Hecate last / first host latency", h.lastMs / h.firstMs, 1.5);
      lines.push(`${n} routes: one route per Caddy route (shapes off) for comparison: load ${fmt(routes.loadMs / flat.loadMs, 2)}× flat, RSS ${fmt(routes.rssMiB / flat.rssMiB, 2)}× flat`);
      for (const r of [h, routes, site]) {
        if (r.sampleFailures.length) missed = true;
        lines.push(`${n} routes, ${r.layout}: ${r.sampleChecked} sampled hosts across the range, ${r.sampleFailures.length} failing${r.sampleFailures.length ? `: ${r.sampleFailures.slice(0, 5).join("; ")}` : ""}`);
      }
    }
  } finally {
    await upstream.close();
    await outpost.close();
  }
  const head = ["layout", "routes", "config MB", "compile ms", "POST /load ms", "RSS MiB", "first host ms", "last host ms", "ok", "sample"];
  const rows = results.map((r) => [r.layout, String(r.routes), fmt(r.configBytes / 1e6, 2), fmt(r.compileMs, 0), fmt(r.loadMs, 0), fmt(r.rssMiB, 0), fmt(r.firstMs, 2), fmt(r.lastMs, 2), `${r.okRequests}/${r.totalRequests}`, `${r.sampleChecked - r.sampleFailures.length}/${r.sampleChecked}`]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join("  ");
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  for (const l of lines) console.log(l);
  if (args.out) {
    writeFileSync(args.out, JSON.stringify({ caddy: "2.6.2", requestsPerHost: args.requests, results, checks: lines }, null, 2) + "\n");
    console.log(`results written to ${args.out}`);
  }
  if (missed) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
