// Unit tests of the tricky parts of the Caddy compiler (pure; no caddy process here).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { compileCaddy, duplicateIds, ownedRouteIds, renderCaddy } from "./compile.js";
import { compilePerSiteReference } from "./reference.js";
import { resolveSecrets, secretRefs } from "./secrets.js";
import { greaterThanPattern } from "./route.js";
import { goCanonicalHeader, IDENTITY_HEADERS, separatorSpellings } from "./auth.js";
import { HECATE_ID_PREFIX, type CaddyRoute } from "./types.js";
import * as k from "../../model/testkit.js";

const weighted = () => k.state([k.route("app", ["app.example.com"], [{ address: "10.0.0.1:80", weight: 6 }, { address: "10.0.0.2:80", weight: 2 }])]);
const proxyOf = (cfg: ReturnType<typeof compileCaddy>["config"], server = "hecate") => {
  const found: Record<string, unknown>[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (o.handler === "reverse_proxy" && !o.rewrite && !(JSON.stringify(o.upstreams).includes("9000"))) found.push(o);
      Object.values(o).forEach(walk);
    }
  };
  walk(cfg.apps.http.servers[server]);
  return found;
};

describe("compileCaddy", () => {
  it("is deterministic: same input, byte-identical JSON", () => {
    const auth = k.authPolicy("staff", "127.0.0.1:9000");
    const mk = () => k.state([k.route("b", ["b.example.com"], ["10.0.0.1:80"], { auth }), k.route("a", ["a.example.com", "*.a.example.com"], ["10.0.0.2:80"])]);
    assert.equal(renderCaddy(mk()), renderCaddy(mk()));
    assert.equal(JSON.stringify(compileCaddy(mk()).config), JSON.stringify(compileCaddy(mk()).config));
  });

  it("weights on 2.6.2: repeats upstreams by weight/gcd with round_robin, interleaved", () => {
    const [p] = proxyOf(compileCaddy(weighted(), { version: "2.6.2" }).config);
    const dials = (p!.upstreams as { dial: string }[]).map((u) => u.dial);
    assert.deepEqual(dials.slice().sort(), ["10.0.0.1:80", "10.0.0.1:80", "10.0.0.1:80", "10.0.0.2:80"]);
    assert.notDeepEqual(dials, ["10.0.0.1:80", "10.0.0.1:80", "10.0.0.1:80", "10.0.0.2:80"].reverse(), "b should not come first in a run");
    assert.deepEqual(p!.load_balancing, { selection_policy: { policy: "round_robin" } });
    assert.ok(!JSON.stringify(p).includes("weighted_round_robin"));
  });

  it("weights on >= 2.7: weighted_round_robin with the weights", () => {
    const [p] = proxyOf(compileCaddy(weighted(), { version: "2.7.0" }).config);
    assert.deepEqual(p!.upstreams, [{ dial: "10.0.0.1:80" }, { dial: "10.0.0.2:80" }]);
    assert.deepEqual(p!.load_balancing, { selection_policy: { policy: "weighted_round_robin", weights: [6, 2] } });
  });

  it("spells header names as Go canonicalizes them", () => {
    assert.equal(goCanonicalHeader("x_AUTHENTIK-uSERNAME"), "X_authentik-Username");
    assert.deepEqual(separatorSpellings("A-b-C"), ["A-B-C", "A-B_c", "A_b-C", "A_b_c"]);
  });

  it("strips client identity headers first on every server and version", () => {
    for (const version of ["2.6.2", "2.7.6", "2.10.0"]) {
      const st = k.state([
        k.route("a", ["a.example.com"], ["10.0.0.1:80"], { auth: k.authPolicy("p", "127.0.0.1:9000") }),
        k.route("b", ["b.example.com"], ["10.0.0.1:80"], { tls: { mode: "off" } }),
      ]);
      const { config } = compileCaddy(st, { version });
      for (const srv of Object.values(config.apps.http.servers)) {
        const first = srv.routes[0]!;
        assert.equal(first.match, undefined, "applies to every request");
        const del = (first.handle![0] as unknown as { request: { delete: string[] } }).request.delete;
        // Go's canonical spelling of each prefix: Caddy matches wildcards against that.
        for (const prefix of ["X-Authentik-*", "X-Authentik_*", "X_authentik-*", "X_authentik_*"]) assert.ok(del.includes(prefix), prefix);
        for (const h of IDENTITY_HEADERS) assert.ok(del.includes(h), h);
        assert.ok(del.includes("X_authentik_meta_jwks") && del.includes("X-Authentik_meta-Jwks"));
      }
    }
  });

  it("shares one forward-auth handler for all protected hosts", () => {
    const auth = k.authPolicy("staff", "127.0.0.1:9000");
    const routes = Array.from({ length: 500 }, (_, i) => k.route(`r${i}`, [`h${i}.example.com`], ["10.0.0.1:80"], i % 5 ? { auth } : {}));
    const { config } = compileCaddy(k.state(routes));
    const json = JSON.stringify(config);
    assert.equal(json.split('"/outpost.goauthentik.io/auth/caddy"').length - 1, 1);
    const fa = config.apps.http.servers.hecate!.routes.find((r) => r["@id"]!.startsWith("hecate-forward-auth-"))!;
    assert.equal(fa.match!.length, 1, "whole-host protected routes collapse into one host list");
    assert.equal((fa.match![0] as { host: string[] }).host.length, 400);
  });

  it("lays out many routes in ~√N host buckets with tiny per-route objects (shapes off)", () => {
    const routes = Array.from({ length: 10000 }, (_, i) => k.route(`r${i}`, [`h${i}.example.com`], ["10.0.0.1:80"]));
    const { config } = compileCaddy(k.state(routes, k.settings({ shapes: false })));
    const top = config.apps.http.servers.hecate!.routes;
    const bucketsList = top.filter((r) => /^hecate-bucket-\d+$/.test(r["@id"]!));
    assert.ok(bucketsList.length >= 64 && bucketsList.length <= 128, `buckets: ${bucketsList.length}`);
    const inner = bucketsList.flatMap((b) => (b.handle![0] as unknown as { routes: CaddyRoute[] }).routes);
    assert.equal(inner.filter((r) => r["@id"]!.startsWith("hecate-route-")).length, 10000);
    const sizes = inner.map((r) => JSON.stringify(r).length);
    assert.ok(Math.max(...sizes) < 400, `largest per-route object: ${Math.max(...sizes)} bytes`);
  });

  it("orders longer path prefixes first and exact hosts before wildcards", () => {
    const st = k.state([
      k.route("all", ["a.example.com"], ["10.0.0.1:80"]),
      k.route("api", ["a.example.com"], ["10.0.0.2:80"], { paths: ["/api"] }),
      k.route("wild", ["*.example.com"], ["10.0.0.3:80"]),
    ]);
    const ids = ownedRouteIds(compileCaddy(st).config).filter((i) => i.startsWith("hecate-route-"));
    assert.deepEqual(ids, ["hecate-route-api", "hecate-route-all", "hecate-route-wild"]);
  });

  it("gives every route object a unique hecate- @id", () => {
    const auth = k.authPolicy("staff", "127.0.0.1:9000");
    const st = k.state([
      k.route("a", ["a.example.com", "*.a.example.com"], ["10.0.0.1:80"], { auth, ipFilter: { allow: ["10.0.0.0/8"], deny: [] } }),
      k.route("b", ["b.example.com"], ["10.0.0.1:80"], { tls: { mode: "off" }, middleware: [{ name: "s", type: "request-size", maxBytes: 10 }] }),
    ]);
    const { config } = compileCaddy(st);
    const ids = ownedRouteIds(config);
    assert.equal(new Set(ids).size, ids.length);
    let routeObjects = 0;
    const walk = (v: unknown, inRoutes: boolean): void => {
      if (Array.isArray(v)) v.forEach((x) => walk(x, inRoutes));
      else if (v && typeof v === "object") {
        if (inRoutes) {
          routeObjects++;
          assert.ok(String((v as { "@id"?: string })["@id"]).startsWith(HECATE_ID_PREFIX));
        }
        for (const [key, x] of Object.entries(v)) walk(x, key === "routes");
      }
    };
    for (const s of Object.values(config.apps.http.servers)) walk(s.routes, true);
    assert.equal(routeObjects, ids.length);
    assert.ok(ids.includes("hecate-route-a") && ids.includes("hecate-route-a_wildcard") && ids.includes("hecate-route-b"));
  });

  it("gives unique ids to a route's ipFilter and its ip-filter middleware (examples/routes/api.yaml)", () => {
    const st = k.state([
      k.route("api", ["api.example.com"], ["10.0.0.1:80"], {
        ipFilter: { allow: [], deny: ["203.0.113.99"] },
        middleware: [{ name: "office", type: "ip-filter", allow: ["10.0.0.0/8"], deny: [] }],
      }),
      // A route whose name looks like a nested id of "api" under the old "<parent>-<i>" scheme.
      k.route("api-0", ["api0.example.com"], ["10.0.0.1:80"], { ipFilter: { allow: [], deny: ["203.0.113.1"] } }),
    ]);
    const { config, diagnostics } = compileCaddy(st);
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(duplicateIds(config), []);
  });

  it("refuses a config with a duplicate @id, naming it", () => {
    // Two different outposts whose id parts come out alike: an error, never sent.
    const st = k.state([
      k.route("a", ["a.example.com"], ["10.0.0.1:80"], { auth: k.authPolicy("p", "[::1]:9000") }),
      k.route("b", ["b.example.com"], ["10.0.0.1:80"], { auth: k.authPolicy("q", "1:9000") }),
    ]);
    const errors = compileCaddy(st).diagnostics.filter((d) => d.code === "caddy-duplicate-id");
    assert.deepEqual(errors.map((d) => [d.severity, d.message]), [
      ["error", "@id hecate-forward-auth-1-9000 is used by more than one object"],
      ["error", "@id hecate-outpost-1-9000 is used by more than one object"],
    ]);
    assert.deepEqual(duplicateIds({ a: [{ "@id": "x" }, { b: { "@id": "x" } }, { "@id": "y" }] }), ["x"]);
  });

  it("shares one outpost's objects between spellings of it; http:// and https:// stay apart", () => {
    const ids = (outposts: string[]) =>
      ownedRouteIds(compileCaddy(k.state(outposts.map((o, i) => k.route(`r${i}`, [`h${i}.example.com`], ["10.0.0.1:80"], { auth: k.authPolicy(`p${i}`, o) })))).config).filter((i) => /^hecate-(outpost|forward-auth)-[^_]*$/.test(i));
    assert.deepEqual(ids(["a.test:9000", "http://a.test:9000"]), ["hecate-outpost-a.test-9000", "hecate-forward-auth-a.test-9000"]);
    assert.deepEqual(ids(["http://a.test", "https://a.test"]).sort(), ["hecate-forward-auth-a.test-80", "hecate-forward-auth-https-a.test-443", "hecate-outpost-a.test-80", "hecate-outpost-https-a.test-443"]);
  });

  it("keeps the ids of existing objects when an issuer or a route is added", () => {
    const cert = (name: string, email: string, hosts: string[]) => ({ name, hosts, issuer: "acme" as const, acme: { email, challenge: "http-01" as const } });
    const routes = [
      k.route("shop", ["shop.example.com"], ["10.0.0.1:80"], { tls: { mode: "auto", certificate: "shop" }, ipFilter: { allow: ["10.0.0.0/8"], deny: [] } }),
      k.route("wild", ["*.example.com"], ["10.0.0.2:80"], { auth: k.authPolicy("staff", "127.0.0.1:9000") }),
    ];
    const before = { ...k.state(routes), certificates: [cert("shop", "b@example.com", ["shop.example.com"])] };
    const after = {
      ...k.state([...routes, k.route("api", ["api.example.com"], ["10.0.0.3:80"], { tls: { mode: "auto", certificate: "api" }, ipFilter: { allow: [], deny: ["10.6.6.6"] } })]),
      // "a@" sorts before "b@": a positional id would move the existing issuer's policy.
      certificates: [cert("shop", "b@example.com", ["shop.example.com"]), cert("api", "a@example.com", ["api.example.com"])],
    };
    const objects = (st: typeof before) => {
      const out = new Map<string, string>();
      const walk = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (v && typeof v === "object") {
          const id = (v as { "@id"?: string })["@id"];
          if (id) out.set(id, JSON.stringify(v));
          Object.values(v).forEach(walk);
        }
      };
      walk(compileCaddy(st).config);
      return out;
    };
    const was = objects(before), now = objects(after);
    const policies = [...now.keys()].filter((i) => i.startsWith("hecate-tls-acme-"));
    assert.equal(policies.length, 2);
    for (const [id, json] of was) {
      assert.ok(now.has(id), `${id} disappeared`);
      // Objects that hold no list of hosts are unchanged, not just renamed into place.
      if (!/hosts|subjects|"host"/.test(json)) assert.equal(now.get(id), json, id);
    }
    const shopPolicy = [...was.keys()].find((i) => i.startsWith("hecate-tls-acme-"))!;
    assert.match(now.get(shopPolicy)!, /b@example\.com/);
  });

  it("a tls-alpn-01 Certificate gets an issuer of its own with http-01 disabled; other routes keep both challenges", () => {
    const routes = [
      k.route("alpn", ["alpn.example.com"], ["10.0.0.1:80"], { tls: { mode: "auto", certificate: "alpn" } }),
      k.route("plain", ["plain.example.com"], ["10.0.0.1:80"], { tls: { mode: "auto" } }),
    ];
    const st = {
      ...k.state(routes, k.settings({ httpPort: 8080, httpsPort: 8443 }, { acme: { email: "ops@example.com" } })),
      certificates: [{ name: "alpn", hosts: ["alpn.example.com"], issuer: "acme" as const, acme: { email: "ops@example.com", challenge: "tls-alpn-01" as const } }],
    };
    const tls = compileCaddy(st).config.apps.tls as { automation: { policies: { subjects: string[]; issuers: { challenges?: unknown }[] }[] } };
    const bySubject = new Map(tls.automation.policies.map((p) => [p.subjects.join(","), p.issuers[0]!.challenges]));
    assert.deepEqual(bySubject.get("alpn.example.com"), { http: { disabled: true }, "tls-alpn": { alternate_port: 8443 } });
    assert.deepEqual(bySubject.get("plain.example.com"), { http: { alternate_port: 8080 }, "tls-alpn": { alternate_port: 8443 } });
  });

  it("never lets user text act as a Caddy placeholder", () => {
    const st = k.state([
      k.route("a", ["a.example.com"], ["10.0.0.1:80"], {
        headers: { request: { set: { "X-A": "{env.SECRET}" }, remove: [] }, response: { set: { "X-B": "}{" }, remove: [] } },
        middleware: [{ name: "r", type: "redirect", kind: "custom", to: "https://x.example.com/{file./etc/passwd}", code: 302 }],
      }),
      k.route("m", ["m.example.com"], ["10.0.0.1:80"], { maintenance: { message: "{http.request.header.Cookie}" } }),
    ]);
    const json = JSON.stringify(compileCaddy(st).config);
    // every unescaped placeholder in the output is one Hecate put there on purpose
    const unescaped = [...json.matchAll(/(?<!\\\\)\{([a-z_.\-A-Z0-9]+)\}/g)].map((m) => m[1]!);
    for (const ph of unescaped) assert.match(ph, /^http\.(request\.(scheme|uri|host|method|remote\.host)|reverse_proxy\.header\.X-Authentik-[A-Za-z-]+)$/, ph);
    assert.ok(json.includes("\\\\{env.SECRET\\\\}"));
  });

  it("keeps secret values out of compiled output; resolveSecrets fills them in", async () => {
    const st = k.state([
      k.route("a", ["a.example.com"], ["10.0.0.1:80"], { middleware: [{ name: "ba", type: "basic-auth", realm: "r", users: [{ username: "u", passwordHash: "secret:u-hash" }] }] }),
    ]);
    const { config } = compileCaddy(st);
    assert.deepEqual(secretRefs(config), ["secret:u-hash"]);
    const hash = "$2a$14$abcdefghijklmnopqrstuv";
    const resolved = await resolveSecrets(config, { resolve: async (r) => (r === "secret:u-hash" ? hash : "?") });
    assert.ok(!JSON.stringify(config).includes(hash));
    assert.ok(JSON.stringify(resolved).includes(hash));
    assert.deepEqual(secretRefs(resolved), []);
  });

  it("names the missing module when rate limiting is not available", () => {
    const st = k.state([k.route("a", ["a.example.com"], ["10.0.0.1:80"], { middleware: [{ name: "rl", type: "rate-limit", requests: 5, window: "1s", key: "ip" }] })]);
    const d = compileCaddy(st).diagnostics;
    assert.equal(d.length, 1);
    assert.equal(d[0]!.severity, "error");
    assert.match(d[0]!.message, /http\.handlers\.rate_limit/);
    assert.equal(compileCaddy(st, { modules: ["http.handlers.rate_limit"] }).diagnostics.length, 0);
  });

  it("greaterThanPattern matches exactly the integers above the limit", () => {
    for (const n of [0, 9, 10, 99, 100, 1048576, 1999]) {
      const re = new RegExp(greaterThanPattern(n));
      for (let x = Math.max(0, n - 120); x < n + 120; x++) assert.equal(re.test(String(x)), x > n, `${x} > ${n}`);
      assert.ok(re.test(String(n * 10 + 1)));
    }
  });

  it("builds the per-site reference layout: one route per host with its own forward auth", () => {
    const auth = k.authPolicy("staff", "127.0.0.1:9000");
    const ref = compilePerSiteReference(k.state([k.route("a", ["a.example.com", "b.example.com"], ["10.0.0.1:80"], { auth })]));
    const routes = ref.apps.http.servers.hecate!.routes;
    assert.equal(routes.length, 2);
    assert.equal(JSON.stringify(ref).split("/outpost.goauthentik.io/auth/caddy").length - 1, 2);
  });
});
