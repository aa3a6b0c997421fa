// The Caddy JSON mapping without a Caddy: refusals name the site's line, forward_auth becomes one
// AuthPolicy per outpost, and the model refuses verbatim routes that carry an @id.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { importCaddyJson, siteBlocks } from "./caddy.js";
import { resolveState } from "../model/resolve.js";

const site = (hosts: string[] | undefined, handle: unknown[]) => ({ ...(hosts ? { match: [{ host: hosts }] } : {}), handle: [{ handler: "subroute", routes: [{ handle }] }], terminal: true });
const config = (routes: unknown[]) => ({ apps: { http: { servers: { srv0: { listen: [":80"], routes } } } } });
const fa = (dial: string) => ({ handler: "reverse_proxy", upstreams: [{ dial }], rewrite: { method: "GET", uri: "/outpost.goauthentik.io/auth/caddy" } });

describe("importCaddyJson", () => {
  it("refuses a site without host names, at its Caddyfile line", () => {
    const caddyfile = "{\n\tadmin off\n}\n\n:80 {\n\trespond hi\n}\n";
    const r = importCaddyJson(config([site(undefined, [{ handler: "static_response", body: "hi" }])]), { label: "Caddyfile", caddyfile });
    const refused = r.findings.filter((f) => f.outcome === "refused");
    assert.equal(refused.length, 1);
    assert.match(refused[0]!.why, /host names/);
    assert.equal(refused[0]!.where, "Caddyfile:5");
    assert.equal(r.resources.length, 0);
  });

  it("one AuthPolicy per outpost; an unmatched reverse_proxy before others stays verbatim", () => {
    const r = importCaddyJson(
      config([
        site(["a.test"], [fa("10.0.0.9:9000"), { handler: "reverse_proxy", upstreams: [{ dial: "10.0.0.1:80" }] }]),
        site(["b.test"], [fa("10.0.0.9:9000"), { handler: "reverse_proxy", upstreams: [{ dial: "10.0.0.2:80" }] }, { handler: "static_response", body: "after" }]),
      ]),
      { label: "caddy.json" },
    );
    const policies = r.resources.filter((x) => x.kind === "AuthPolicy");
    assert.deepEqual(policies.map((p) => p.spec), [{ provider: "authentik", outpost: "10.0.0.9:9000" }]);
    const b = r.resources.find((x) => x.metadata.name === "b.test")!;
    assert.equal((b.spec as { authPolicy?: string }).authPolicy, "authentik");
    assert.equal((b.spec as { upstreams?: unknown }).upstreams, undefined, "not the last handler: not the route's upstreams");
    assert.equal(((b.spec as { caddyRoutes: { handle: unknown[] }[] }).caddyRoutes[0]!.handle).length, 2);
    const { diagnostics } = resolveState(r.resources);
    assert.ok(!diagnostics.some((d) => d.severity === "error"), JSON.stringify(diagnostics));
    assert.ok(diagnostics.some((d) => d.code === "caddy-verbatim" && d.severity === "warning"), "validate warns about verbatim routes");
  });

  it("the model refuses an @id inside caddyRoutes", () => {
    const r = importCaddyJson(config([site(["c.test"], [{ handler: "static_response", body: "x" }])]), { label: "c.json" });
    ((r.resources[0]!.spec as { caddyRoutes: Record<string, unknown>[] }).caddyRoutes[0]!)["@id"] = "mine";
    const { diagnostics } = resolveState(r.resources);
    assert.ok(diagnostics.some((d) => d.severity === "error" && /@id/.test(d.message)));
  });

  it("finds site blocks and their hosts in a Caddyfile", () => {
    const b = siteBlocks("(snip) {\n\theader X 1\n}\nhttp://a.test:8080, b.test {\n\timport snip\n}\n");
    assert.deepEqual(b, [{ line: 4, end: 6, hosts: ["a.test", "b.test"] }]);
  });
});
