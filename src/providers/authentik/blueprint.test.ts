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

test("render authentik: OIDC and SAML providers of presets, the client secret only as an environment variable authentik reads", () => {
  const docs = [
    { apiVersion: "hecate.io/v1", kind: "AuthPolicy", metadata: { name: "staff" }, spec: { groups: ["staff"], outpost: "127.0.0.1:9000" } },
    { apiVersion: "hecate.io/v1", kind: "Secret", metadata: { name: "grafana-oidc" }, spec: { from: "store" } },
    { apiVersion: "hecate.io/v1", kind: "Route", metadata: { name: "grafana" }, spec: { preset: "grafana", hosts: ["grafana.example.com"], upstreams: [{ address: "g" }], authPolicy: "staff", signIn: { clientSecret: "secret:grafana-oidc" } } },
    { apiVersion: "hecate.io/v1", kind: "Route", metadata: { name: "siem" }, spec: { preset: "wazuh", hosts: ["wazuh.example.com"], upstreams: [{ address: "w" }], authPolicy: "staff" } },
  ] as Resource[];
  const { state } = resolveState(docs);
  const text = renderBlueprint(compileAuthentik(state!).desired);
  const bp = parse(text, { customTags: [...tags, { tag: "!Env", resolve: (v: string) => ({ env: v }) }] }) as { entries: { model: string; id?: string; identifiers: Record<string, unknown>; attrs?: Record<string, unknown> }[] };
  const oidc = bp.entries.find((e) => e.model === "authentik_providers_oauth2.oauth2provider")!;
  assert.deepEqual(oidc.attrs!["client_secret"], { env: "HECATE_GRAFANA_OIDC" });
  assert.equal(oidc.attrs!["client_id"], "hecate-grafana");
  assert.deepEqual(oidc.attrs!["redirect_uris"], [{ matching_mode: "strict", url: "https://grafana.example.com/login/generic_oauth" }]);
  assert.deepEqual(oidc.attrs!["signing_key"], { find: ["authentik_crypto.certificatekeypair", ["name", "authentik Self-signed Certificate"]] });
  const saml = bp.entries.find((e) => e.model === "authentik_providers_saml.samlprovider")!;
  assert.equal(saml.attrs!["acs_url"], "https://wazuh.example.com/_opendistro/_security/saml/acs");
  assert.equal((saml.attrs!["property_mappings"] as unknown[]).length, 5);
  const apps = bp.entries.filter((e) => e.model === "authentik_core.application").map((e) => [e.identifiers["slug"], e.attrs!["provider"]]);
  assert.deepEqual(apps, [["hecate-grafana", { keyOf: "provider-hecate-grafana_oidc" }], ["hecate-siem", { keyOf: "provider-hecate-siem_saml" }]]);
  assert.ok(!bp.entries.some((e) => e.model === "authentik_providers_proxy.proxyprovider"), "no forward auth for them");
});
