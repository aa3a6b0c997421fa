import assert from "node:assert/strict";
import { test } from "node:test";
import { parse, type Tags } from "yaml";
import { resolveState } from "../../model/resolve.js";
import type { Resource } from "../../model/schema.js";
import { renderBlueprint } from "./blueprint.js";
import { compileAuthentik } from "./desired.js";

// authentik's own tags, read as plain markers so the structure can be checked.
const tags: Tags = [
  { tag: "!KeyOf", resolve: (v: string) => ({ keyOf: v }) },
  { tag: "!Find", collection: "seq", resolve: (v: unknown) => ({ find: (v as { toJSON(): unknown }).toJSON() }) },
];

test("render authentik: a blueprint whose references point at entries it defines, or at objects found by slug/name", () => {
  const docs = [
    { apiVersion: "hecate.io/v1", kind: "AuthPolicy", metadata: { name: "staff" }, spec: { groups: ["staff"], users: ["bob"], outpost: "127.0.0.1:9000" } },
    { apiVersion: "hecate.io/v1", kind: "AuthPolicy", metadata: { name: "vault" }, spec: { groups: ["ops"], requireMfa: true, allowedMethods: ["totp"], outpost: "127.0.0.1:9000" } },
    { apiVersion: "hecate.io/v1", kind: "Route", metadata: { name: "app" }, spec: { hosts: ["app.example.com"], upstreams: [{ address: "127.0.0.1:1" }], authPolicy: "staff" } },
    { apiVersion: "hecate.io/v1", kind: "Route", metadata: { name: "v" }, spec: { hosts: ["v.example.com"], upstreams: [{ address: "127.0.0.1:1" }], authPolicy: "vault" } },
  ] as Resource[];
  const { state } = resolveState(docs);
  const text = renderBlueprint(compileAuthentik(state!).desired);
  const bp = parse(text, { customTags: tags }) as { version: number; entries: { model: string; id?: string; identifiers: Record<string, unknown>; attrs?: Record<string, unknown> }[] };
  assert.equal(bp.version, 1);
  const ids = new Set(bp.entries.flatMap((e) => (e.id ? [e.id] : [])));
  const refs = JSON.stringify(bp).match(/"keyOf":"[^"]+"/g) ?? [];
  assert.ok(refs.length >= 5);
  for (const r of refs) assert.ok(ids.has(r.slice(9, -1)), `${r} names an entry of the blueprint`);
  const models = bp.entries.map((e) => e.model);
  for (const m of ["authentik_providers_proxy.proxyprovider", "authentik_core.application", "authentik_policies.policybinding", "authentik_flows.flow", "authentik_stages_authenticator_validate.authenticatorvalidatestage", "authentik_flows.flowstagebinding"]) {
    assert.ok(models.includes(m), `${m} in the blueprint`);
  }
  const vault = bp.entries.find((e) => e.model === "authentik_providers_proxy.proxyprovider" && e.identifiers["name"] === "hecate-v")!;
  assert.deepEqual(vault.attrs!["authorization_flow"], { keyOf: "flow-hecate-mfa-vault" }, "the MFA flow Hecate creates");
  const app = bp.entries.find((e) => e.model === "authentik_providers_proxy.proxyprovider" && e.identifiers["name"] === "hecate-app")!;
  assert.deepEqual(app.attrs!["authorization_flow"], { find: ["authentik_flows.flow", ["slug", "default-provider-authorization-implicit-consent"]] });
  const bobBinding = bp.entries.find((e) => e.model === "authentik_policies.policybinding" && JSON.stringify(e.identifiers).includes("bob"));
  assert.deepEqual(bobBinding?.identifiers["user"], { find: ["authentik_core.user", ["username", "bob"]] });
  assert.ok(!/outposts\.outpost/.test(text), "no outpost entry: a blueprint would replace its whole provider list");
});
