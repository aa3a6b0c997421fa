import assert from "node:assert/strict";
import { test } from "node:test";
import { resolveState } from "../model/index.js";
import type { Resource } from "../model/schema.js";
import { providersFor } from "./index.js";

const docs = [
  { apiVersion: "hecate.io/v1", kind: "AuthPolicy", metadata: { name: "staff" }, spec: { groups: ["staff"], outpost: "127.0.0.1:9000" } },
  { apiVersion: "hecate.io/v1", kind: "Route", metadata: { name: "app" }, spec: { hosts: ["app.example.com"], upstreams: [{ address: "127.0.0.1:8080" }], authPolicy: "staff" } },
  { apiVersion: "hecate.io/v1", kind: "DnsRecord", metadata: { name: "www" }, spec: { name: "www.example.com", type: "A", values: ["192.0.2.1"] } },
] as Resource[];

test("systems without a provider yet or without their settings are errors naming them, unless excluded; auth routes still go to caddy", () => {
  const { state, diagnostics } = resolveState(docs);
  assert.deepEqual(diagnostics.filter((d) => d.severity === "error"), []);
  const all = providersFor(state!);
  assert.deepEqual(all.providers.map((p) => p.system), ["caddy"]);
  assert.deepEqual(all.diagnostics.map((d) => d.message), [
    "1 dns object cannot be applied: DNS records need a Hetzner Cloud API token: set Settings spec.hetzner.token (a secret reference, e.g. secret:hetzner-token); or leave dns out with --system caddy,nginx",
    "1 authentik object cannot be applied: auth policies need authentik: set Settings spec.authentik.url and spec.authentik.token (a secret reference); or leave authentik out with --system caddy,nginx",
  ]);
  const some = providersFor(state!, { exclude: ["dns", "authentik"] });
  assert.deepEqual(some.diagnostics, []);
  assert.deepEqual(some.providers.map((p) => p.system), ["caddy"]);
  const only = providersFor(state!, { systems: ["caddy"] });
  assert.deepEqual(only.diagnostics, []);
});

test("the previous state is read only for a selected system with no demand now", () => {
  const { state } = resolveState(docs);
  const { state: empty } = resolveState([]);
  let reads = 0;
  const lazy = (systems?: ("caddy" | "nginx")[]) => ({
    ...(systems ? { systems } : {}),
    get previous() {
      reads++;
      return state!;
    },
  });
  // Every selected system has demand now: what was there before cannot change the selection.
  assert.deepEqual(providersFor(state!, lazy(["caddy"])).providers.map((p) => p.system), ["caddy"]);
  assert.equal(reads, 0);
  // nginx has none now: the previous state is read (once) to know whether it still holds objects.
  assert.deepEqual(providersFor(empty!, lazy(["caddy", "nginx"])).providers.map((p) => p.system), ["caddy"]);
  assert.equal(reads, 1);
});
