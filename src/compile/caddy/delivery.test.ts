// The delivery pieces of the Caddy compile: the uuid ranges that give a pool its exact share, the
// split subroute's order, blocks, the sign-in bypass (loud, identity strip kept), the access log.
import assert from "node:assert/strict";
import { test } from "node:test";
import { resolveState } from "../../model/index.js";
import type { Resource } from "../../model/schema.js";
import { compileCaddy } from "./compile.js";
import { hexRange } from "./delivery.js";

test("hexRange matches exactly the 4-digit hex numbers in [lo, hi]", () => {
  const cases: [number, number][] = [[0, 6553], [6554, 13106], [0, 65535], [1, 1], [255, 4096], [40000, 65535], [9, 10], [0x1ff0, 0x2a0f]];
  for (const [lo, hi] of cases) {
    const re = new RegExp(`^(?:${hexRange(lo, hi, 4).join("|")})$`);
    for (let n = 0; n < 0x10000; n++) {
      const hex = n.toString(16).padStart(4, "0");
      assert.equal(re.test(hex), n >= lo && n <= hi, `${hex} in [${lo}, ${hi}]: ${re}`);
    }
  }
});

const doc = (kind: string, name: string, spec: Record<string, unknown>) => ({ apiVersion: "hecate.io/v1", kind, metadata: { name }, spec }) as Resource;
const settings = (extra: Record<string, unknown> = {}) => doc("Settings", "s", { caddy: { accessLog: "/var/log/caddy/hecate-access.log" }, authentik: { url: "http://127.0.0.1:9000", token: "env:T" }, ...extra });

function compile(resources: Resource[]) {
  const { state, diagnostics } = resolveState(resources);
  assert.deepEqual(diagnostics.filter((d) => d.severity === "error"), []);
  return compileCaddy(state!);
}

const route = (spec: Record<string, unknown> = {}) =>
  doc("Route", "app", { hosts: ["app.example.com"], upstreams: [{ address: "10.0.0.1:80" }], pools: { v2: { upstreams: [{ address: "10.0.0.2:80" }] } }, public: true, tls: { mode: "off" }, ...spec });

test("a split: opt-in header, opt-in cookie, sticky cookie per pool, the share by uuid, then the route's own pool", () => {
  const out = compile([settings(), route({ split: { weights: { v2: 10 }, header: { name: "X-Canary", value: "1", pool: "v2" }, cookie: { name: "beta", value: "yes", pool: "v2" }, sticky: {} } })]);
  const text = JSON.stringify(out.config);
  const app = out.config.apps.http.servers["hecate-http"]!.routes.flatMap((r) => (r.handle?.[0] as { routes?: { "@id"?: string; handle: { handler: string; routes?: unknown[] }[] }[] }).routes ?? []).find((r) => r["@id"] === "hecate-route-app")!;
  const split = app.handle.at(-1)! as { handler: string; routes: { match?: Record<string, unknown>[]; handle: { handler: string; response?: { set: Record<string, string[]>; add?: Record<string, string[]> } }[] }[] };
  assert.equal(split.handler, "subroute");
  const kinds = split.routes.map((r) => Object.keys(r.match?.[0] ?? { main: 1 })[0]);
  assert.deepEqual(kinds, ["header", "header_regexp", "header_regexp", "header_regexp", "vars_regexp", "main"]);
  assert.deepEqual(split.routes.map((r) => r.handle[0]!.response!.set["X-Hecate-Pool"]![0]), ["v2", "v2", "main", "v2", "v2", "main"]);
  // Opt-ins do not make a client sticky; chance does.
  assert.deepEqual(split.routes.map((r) => !!r.handle[0]!.response!.add), [false, false, true, true, true, true]);
  assert.match(text, /hecate-pool-app=main; Path=\/; Max-Age=86400; HttpOnly; SameSite=Lax/);
  // 10% of 65536 = 6554 values: 0000-1999 (6554 = 0x199a, so 0x0000-0x1999).
  const pattern = (split.routes[4]!.match![0]!.vars_regexp as Record<string, { pattern: string }>)["{http.request.uuid}"]!.pattern;
  const re = new RegExp(pattern);
  assert.ok(re.test("1999abcd") && !re.test("199a0000"), pattern);
  assert.deepEqual(out.config.logging, { logs: { "hecate-delivery": { encoder: { format: "json" }, include: ["http.log.access.hecate-delivery"], writer: { filename: "/var/log/caddy/hecate-access.log", output: "file" } } } });
  assert.deepEqual(out.config.apps.http.servers["hecate-http"]!.logs, { logger_names: { "app.example.com": "hecate-delivery" }, skip_unmapped_hosts: true });
});

test("no access log without Settings caddy.accessLog; without a split the route proxies directly", () => {
  const out = compile([doc("Settings", "s", {}), route()]);
  assert.equal(out.config.logging, undefined);
  assert.ok(!JSON.stringify(out.config).includes("X-Hecate-Pool"));
});

test("blocks: every route's (after the identity strip) and one route's own", () => {
  const out = compile([settings({ blocks: [{ address: "203.0.113.7" }] }), route({ blocks: [{ address: "198.51.100.0/24", until: "2030-01-01T00:00:00Z" }] })]);
  const routes = out.config.apps.http.servers["hecate-http"]!.routes;
  assert.deepEqual(routes.slice(0, 2).map((r) => r["@id"]), ["hecate-http-identity-strip", "hecate-http-blocks"]);
  assert.deepEqual(routes[1]!.match, [{ remote_ip: { ranges: ["203.0.113.7"] } }]);
  assert.match(JSON.stringify(routes), /"ranges":\["198\.51\.100\.0\/24"\]/);
});

test("a sign-in bypass drops forward auth for the route only, keeps the identity strip, and says so loudly", () => {
  const protectedRoute = (name: string, extra: Record<string, unknown> = {}) => doc("Route", name, { hosts: [`${name}.example.com`], upstreams: [{ address: "10.0.0.1:80" }], authPolicy: "staff", ...extra });
  const base = [settings(), doc("AuthPolicy", "staff", { groups: ["staff"] }), protectedRoute("a"), protectedRoute("b", { bypassAuth: { until: "2030-01-01T00:00:00Z", reason: "incident 7" } })];
  const out = compile(base);
  const srv = out.config.apps.http.servers["hecate"]!;
  const auth = srv.routes.find((r) => String(r["@id"]).startsWith("hecate-forward-auth"))!;
  assert.deepEqual(auth.match, [{ host: ["a.example.com"] }]);
  assert.equal(srv.routes[0]!["@id"], "hecate-identity-strip");
  const loud = out.diagnostics.find((d) => d.code === "auth-bypassed")!;
  assert.equal(loud.address, "Route/b");
  assert.match(loud.message, /SIGN-IN BYPASSED on b\.example\.com until 2030-01-01T00:00:00Z \(incident 7\)/);
});

test("resolve: unknown pools, shares over 100% and a canary without an access log are errors", () => {
  const errors = (resources: Resource[]) => resolveState(resources).diagnostics.filter((d) => d.severity === "error").map((d) => d.message);
  assert.match(errors([settings(), route({ split: { weights: { v3: 10 } } })]).join("\n"), /spec\.split\.weights\.v3: route "app" has no pool "v3" in spec\.pools/);
  assert.match(errors([settings(), route({ pools: { v2: { upstreams: [{ address: "10.0.0.2:80" }] }, v3: { upstreams: [{ address: "10.0.0.3:80" }] } }, split: { weights: { v2: 60, v3: 50 } } })]).join("\n"), /110% in total/);
  assert.match(errors([doc("Settings", "s", {}), route({ canary: { pool: "v2", since: "2026-12-01T00:00:00Z" } })]).join("\n"), /Settings spec\.caddy\.accessLog/);
  assert.match(errors([settings(), route({ blocks: [{ address: "300.1.1.1" }] })]).join("\n"), /spec\.blocks\[0\]\.address: "300\.1\.1\.1"/);
  assert.match(errors([settings(), route({ pools: { main: { upstreams: [{ address: "10.0.0.2:80" }] } } })]).join("\n"), /route's own upstreams are called "main"/);
});
