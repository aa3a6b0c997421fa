// Ownership, normalization, merge and diff of Caddy configs, without a Caddy.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { canonical, extractOwned, mergeOwned, mergeOwnedArray, normalize, type OwnedConfig } from "./owned.js";
import { diffOwned, ownedItems } from "./diff.js";

const r = (id: string | undefined, body: string) => ({ ...(id ? { "@id": id } : {}), handle: [{ handler: "static_response", body }] });

describe("caddy ownership", () => {
  it("names the route of an object inside a route's own handlers", () => {
    const guard = { "@id": "hecate-route-api_0_1", handle: [{ handler: "static_response", status_code: 403 }] };
    const route = { "@id": "hecate-route-api", handle: [{ handler: "subroute", routes: [guard] }] };
    const config = { apps: { http: { servers: { hecate: { listen: [":443"], routes: [route] } } } } } as unknown as OwnedConfig;
    const items = ownedItems(config).filter((i) => i.kind === "route");
    assert.deepEqual(items.map((i) => [i.id, i.resource]), [["hecate-route-api_0_1", "Route/api"], ["hecate-route-api", "Route/api"]]);
  });

  it("normalizes empty as absent and sorts keys", () => {
    assert.deepEqual(normalize({ b: {}, a: [], c: "", d: null, e: { z: 1, y: [] } }), { e: { z: 1 } });
    assert.equal(canonical({ b: 1, a: { d: 2, c: 3 } }), '{"a":{"c":3,"d":2},"b":1}');
  });

  it("keeps hand-made elements where they were", () => {
    const live = [r(undefined, "front"), r("hecate-a", "old a"), r(undefined, "middle"), r("hecate-b", "old b"), r(undefined, "end")];
    const merged = mergeOwnedArray(live, [r("hecate-a", "new a"), r("hecate-c", "c")]);
    assert.deepEqual(merged.map((x) => (x as { handle: { body: string }[] }).handle[0]!.body), ["front", "new a", "c", "middle", "end"]);
    assert.deepEqual(mergeOwnedArray([r(undefined, "hand")], [r("hecate-a", "a")]).length, 2);
  });

  it("extracts only what Hecate owns and never touches the rest when merging", () => {
    const full = {
      admin: { listen: "127.0.0.1:2019" },
      apps: {
        http: {
          http_port: 8080,
          grace_period: "5s",
          servers: {
            legacy: { listen: [":81"], routes: [r("hecate-x", "not ours: foreign server")] },
            hecate: { listen: [":443"], routes: [r("hecate-a", "a"), r(undefined, "hand")] },
          },
        },
        tls: {
          automation: { policies: [{ "@id": "hecate-tls-internal", subjects: ["a.test"], issuers: [{ module: "internal" }] }, { subjects: ["hand.test"] }] },
          certificates: { load_pem: [{ certificate: "C", key: "-----BEGIN PRIVATE KEY-----\nx", tags: ["hecate-c1"] }, { certificate: "D", key: "k", tags: ["mine"] }] },
        },
        pki: { certificate_authorities: {} },
      },
    };
    const owned = extractOwned(full);
    assert.deepEqual(Object.keys(owned.apps.http.servers), ["hecate"]);
    assert.deepEqual(owned.apps.http.servers["hecate"]!.routes, [r("hecate-a", "a")]);
    assert.equal(owned.apps.http.http_port, 8080);
    assert.deepEqual(owned.apps.tls, {
      automation: { policies: [{ "@id": "hecate-tls-internal", issuers: [{ module: "internal" }], subjects: ["a.test"] }] },
      certificates: { load_pem: [{ certificate: "C", key: { $secret: "redacted" }, tags: ["hecate-c1"] }] },
    });

    const desired: OwnedConfig = { apps: { http: { servers: { "hecate-http": { listen: [":80"], routes: [r("hecate-h", "h")] } } } } };
    const merged = mergeOwned(full, desired) as typeof full & { apps: { http: { servers: Record<string, unknown> } } };
    assert.deepEqual(merged.admin, full.admin);
    assert.deepEqual(merged.apps.pki, full.apps.pki);
    assert.deepEqual(merged.apps.http.servers["legacy"], full.apps.http.servers.legacy);
    // "hecate" is no longer wanted: only the hand-made route keeps it alive.
    assert.deepEqual(merged.apps.http.servers["hecate"], { listen: [":443"], routes: [r(undefined, "hand")] });
    assert.deepEqual(merged.apps.http.servers["hecate-http"], desired.apps.http.servers["hecate-http"]);
    assert.equal((merged.apps.http as Record<string, unknown>)["grace_period"], "5s");
    assert.equal((merged.apps.http as Record<string, unknown>)["http_port"], undefined, "http_port is Hecate's, and no longer wanted");
    assert.deepEqual(merged.apps.tls.automation.policies, [{ subjects: ["hand.test"] }]);
    assert.deepEqual(merged.apps.tls.certificates.load_pem, [{ certificate: "D", key: "k", tags: ["mine"] }]);
    // Merging what was extracted back in changes nothing but Hecate's part.
    assert.equal(canonical(mergeOwned(merged, extractOwned(merged))), canonical(merged));
  });

  it("redacts resolved secrets", () => {
    const route = { "@id": "hecate-route-p", handle: [{ handler: "authentication", providers: { http_basic: { accounts: [{ username: "u", password: "JDJhJDE0JA==" }] } } }, { handler: "static_response", body: "$2a$14$abc" }] };
    const out = extractOwned({ apps: { http: { servers: { hecate: { listen: [":443"], routes: [route] } } } } });
    assert.equal(JSON.stringify(out).includes("JDJh"), false);
    assert.equal(JSON.stringify(out).includes("$2a$"), false);
  });

  it("diffs per @id, lifting nested routes out of their bucket", () => {
    const bucket = (inner: unknown[]) => ({ "@id": "hecate-bucket-0", match: [{ host: ["a.test", "b.test"] }], handle: [{ handler: "subroute", routes: inner }] });
    const route = (name: string, dial: string) => ({ "@id": `hecate-route-${name}`, match: [{ host: [`${name}.test`] }], handle: [{ handler: "reverse_proxy", upstreams: [{ dial }] }] });
    const cfg = (inner: unknown[]): OwnedConfig => ({ apps: { http: { servers: { hecate: { listen: [":443"], routes: [bucket(inner)] } } } } });
    const before = cfg([route("a", "10.0.0.1:80"), route("b", "10.0.0.2:80")]);
    assert.deepEqual(diffOwned(before, before), []);
    const changes = diffOwned(cfg([route("a", "10.0.0.9:80"), route("b", "10.0.0.2:80")]), before);
    assert.equal(changes.length, 1);
    assert.equal(changes[0]!.id, "hecate-route-a");
    assert.equal(changes[0]!.resource, "Route/a");
    assert.deepEqual(changes[0]!.fields, [{ path: "handle.0.upstreams.0.dial", before: "10.0.0.1:80", after: "10.0.0.9:80" }]);
    const removed = diffOwned(cfg([route("a", "10.0.0.1:80")]), before);
    assert.deepEqual(removed.map((c) => `${c.action} ${c.id}`), ["update hecate-bucket-0", "delete hecate-route-b"]);
  });

  it("treats a secret marker as equal to a redacted or resolved secret, but not to nothing", () => {
    const cfg = (password: unknown): OwnedConfig => ({
      apps: { http: { servers: { hecate: { listen: [":443"], routes: [{ "@id": "hecate-route-p", handle: [{ handler: "authentication", providers: { http_basic: { accounts: [{ username: "u", password }] } } }] }] } } } },
    });
    const desired = cfg({ $secret: "secret:pw", encoding: "base64" });
    assert.deepEqual(diffOwned(desired, cfg({ $secret: "redacted" })), []);
    assert.equal(diffOwned(desired, cfg(undefined)).length, 1);
  });
});
