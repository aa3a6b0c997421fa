// Shapes in compile: which routes share one Caddy route with a host → upstream map, why the others
// keep their own, the switch in Settings, and that user strings never become Caddy placeholders.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { compileCaddy } from "./compile.js";
import { MIN_SHAPE_ROUTES, UPSTREAM_PLACEHOLDER, isShapeRoute } from "./shapes.js";
import { explainCaddyLayout } from "../../render/config.js";
import type { ResolvedRoute } from "../../model/resolved.js";
import type { CaddyRoute } from "./types.js";
import * as k from "../../model/testkit.js";

const plain = (n: number, over: Parameters<typeof k.route>[3] = {}) =>
  Array.from({ length: n }, (_, i) => k.route(`app-${String(i).padStart(3, "0")}`, [`app-${i}.example.com`], [`10.0.0.${i % 250}:80`], over));
const top = (routes: ResolvedRoute[], s = k.settings()) => compileCaddy(k.state(routes, s)).config.apps.http.servers.hecate!.routes;
const shapes = (routes: CaddyRoute[]) => routes.filter(isShapeRoute);

describe("caddy shapes", () => {
  it("maps a shape from MIN_SHAPE_ROUTES routes on, one entry per host carrying the route's @id", () => {
    assert.equal(shapes(top(plain(MIN_SHAPE_ROUTES - 1))).length, 0, "below the minimum: a route object each");
    const routes = top([...plain(MIN_SHAPE_ROUTES), k.route("multi", ["b.example.com", "a.example.com"], ["10.9.9.9:80"])]);
    const [shape] = shapes(routes);
    assert.ok(shape);
    const map = shape.handle[0];
    assert.equal(map.mappings.length, MIN_SHAPE_ROUTES + 2);
    const multi = map.mappings.filter((m) => m["@id"]?.startsWith("hecate-route-multi"));
    assert.deepEqual(multi.map((m) => [m["@id"], m.input, m.outputs]), [["hecate-route-multi", "a.example.com", ["10.9.9.9:80"]], ["hecate-route-multi_1", "b.example.com", ["10.9.9.9:80"]]]);
    assert.deepEqual((shape.match![0] as { host: string[] }).host, map.mappings.map((m) => m.input));
    const proxy = shape.handle[shape.handle.length - 1] as { handler: string; upstreams: { dial: string }[] };
    assert.deepEqual(proxy.upstreams, [{ dial: UPSTREAM_PLACEHOLDER }]);
    assert.ok(!routes.some((r) => /bucket/.test(r["@id"] ?? "")), "no bucket left when every route is mapped");
  });

  it("keeps a route of its own for anything a map entry cannot carry, and says why", () => {
    const pool = (extra: object) => ({ pool: { targets: [{ address: "10.1.0.1:80", weight: 1 }], policy: "random" as const, timeouts: {}, ...extra } });
    const odd = [
      k.route("wild", ["*.w.example.com"], ["10.1.0.1:80"]),
      k.route("paths", ["p.example.com"], ["10.1.0.1:80"], { paths: ["/api"] }),
      k.route("pair", ["pair.example.com"], ["10.1.0.1:80", "10.1.0.2:80"]),
      k.route("active", ["active.example.com"], ["10.1.0.1:80"], pool({ active: { path: "/h", interval: "30s", timeout: "5s" } })),
      k.route("passive", ["passive.example.com"], ["10.1.0.1:80"], pool({ passive: { failDuration: "30s", maxFails: 1 } })),
      k.route("header", ["header.example.com"], ["10.1.0.1:80"], { headers: { request: { set: { "X-A": "1" }, remove: [] }, response: { set: {}, remove: [] } } }),
      k.route("down", ["down.example.com"], ["10.1.0.1:80"], { maintenance: { message: "soon" } }),
    ];
    const st = k.state([...plain(MIN_SHAPE_ROUTES), ...odd]);
    const { layout } = compileCaddy(st);
    const why = Object.fromEntries(layout.decisions.filter((d) => !d.shape).map((d) => [d.route, d.why]));
    assert.match(why.wild!, /wildcard/);
    assert.match(why.paths!, /paths/);
    assert.match(why.pair!, /several upstreams/);
    assert.match(why.active!, /active health/);
    assert.match(why.passive!, /passive health/);
    assert.match(why.header!, /its shape has 1 route/);
    assert.match(why.down!, /no upstream to map/);
    assert.equal(layout.decisions.filter((d) => d.shape).length, MIN_SHAPE_ROUTES);
    const text = explainCaddyLayout(st).text;
    assert.match(text, new RegExp(`shape hecate-shape-[0-9a-f]{12}: ${MIN_SHAPE_ROUTES} routes`));
    assert.match(text, /passive \(server hecate\): passive health checks/);
  });

  it("shares one shape between protected and public routes; forward auth still lists exactly the protected hosts", () => {
    const auth = k.authPolicy("staff", "127.0.0.1:9000");
    const routes = top(plain(10).map((r, i) => (i % 2 ? { ...r, auth, protected: true } : r)));
    assert.equal(shapes(routes).length, 1);
    const fa = routes.find((r) => r["@id"]!.startsWith("hecate-forward-auth-"))!;
    assert.deepEqual((fa.match![0] as { host: string[] }).host, [1, 3, 5, 7, 9].map((i) => `app-${i}.example.com`).sort());
    assert.ok(routes.findIndex((r) => r["@id"] === "hecate-host-case") < routes.findIndex((r) => r === fa), "mixed-case hosts are refused before auth");
  });

  it("is switched off by Settings caddy.shapes: false", () => {
    const routes = top(plain(20), k.settings({ shapes: false }));
    assert.equal(shapes(routes).length, 0);
    assert.ok(routes.some((r) => /bucket/.test(r["@id"] ?? "")));
    assert.match(explainCaddyLayout(k.state(plain(20), k.settings({ shapes: false }))).text, /Shapes are off/);
  });

  it("never lets an address become a placeholder: braces are an error and keep the route out of the map", () => {
    const evil = k.route("evil", ["evil.example.com"], ["{env.SECRET}:80"]);
    const { config, diagnostics, layout } = compileCaddy(k.state([...plain(MIN_SHAPE_ROUTES), evil]));
    assert.ok(diagnostics.some((d) => d.severity === "error" && d.code === "caddy-placeholder" && d.address === "Route/evil"));
    assert.ok(!layout.decisions.find((d) => d.route === "evil")!.shape);
    const map = shapes(config.apps.http.servers.hecate!.routes)[0]!.handle[0];
    assert.ok(!JSON.stringify(map).includes("env.SECRET"));
  });
});
