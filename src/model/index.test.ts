import { test } from "node:test";
import assert from "node:assert/strict";
import { referrers, type Resource } from "./index.js";

const r = (kind: string, name: string, spec: Record<string, unknown>) => ({ apiVersion: "hecate.io/v1", kind, metadata: { name }, spec }) as unknown as Resource;

test("referrers finds every resource that would dangle after a delete", () => {
  const all = [
    r("Route", "b", { hosts: ["b.example.com"], upstream: "pool", authPolicy: "staff", middleware: ["gz"], tls: { certificate: "c" } }),
    r("Route", "a", { hosts: ["a.example.com"], upstream: "pool", upstreamTls: { ca: "secret:ca" } }),
    r("Settings", "s", { authentik: { url: "https://auth.example.com", token: "secret:tok" } }),
    r("Certificate", "c", { hosts: ["b.example.com"], issuer: "imported", certificate: "secret:tok2", key: "secret:tok" }),
  ];
  assert.deepEqual(referrers(all, "Upstream", "pool"), [{ kind: "Route", name: "a" }, { kind: "Route", name: "b" }]);
  assert.deepEqual(referrers(all, "AuthPolicy", "staff"), [{ kind: "Route", name: "b" }]);
  assert.deepEqual(referrers(all, "Middleware", "gz"), [{ kind: "Route", name: "b" }]);
  assert.deepEqual(referrers(all, "Certificate", "c"), [{ kind: "Route", name: "b" }]);
  assert.deepEqual(referrers(all, "Secret", "tok"), [{ kind: "Certificate", name: "c" }, { kind: "Settings", name: "s" }]);
  assert.deepEqual(referrers(all, "Upstream", "other"), []);
});
