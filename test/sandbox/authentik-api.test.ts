// The authentik sandbox's API v3 over loopback HTTP, driven mostly by the official client.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AdminApi, Configuration, CoreApi, ProxyMode, ResponseError } from "@goauthentik/api";
import { loadSeed, SeedError, startAuthentikSandbox, type AuthentikSandbox } from "../../src/sandbox/authentik/index.js";
import { clients, protect, TOKEN } from "./authentik-helpers.js";

async function raw(sb: AuthentikSandbox, method: string, path: string, body?: unknown, token = TOKEN) {
  const res = await fetch(sb.apiUrl + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

describe("authentik sandbox API (2026.8, page size 2)", () => {
  let sb: AuthentikSandbox;
  before(async () => {
    sb = await startAuthentikSandbox({ token: TOKEN, pageSize: 2 });
  });
  after(() => sb.close());

  it("the official client creates a proxy provider and an application, attaches it to the embedded outpost, and pages through lists", async () => {
    const api = clients(sb);
    for (const i of [1, 2, 3]) await protect(sb, `app-${i}`, { mode: ProxyMode.ForwardSingle, externalHost: `https://app${i}.example.test` });
    const first = await api.core.coreApplicationsList({});
    assert.equal(first.results.length, 2);
    assert.equal(first.pagination.next, 2);
    assert.equal(first.pagination.count, 3);
    const slugs = first.results.map((a) => a.slug);
    for (let page = first.pagination.next; page !== 0; ) {
      const next = await api.core.coreApplicationsList({ page });
      slugs.push(...next.results.map((a) => a.slug));
      page = next.pagination.next;
    }
    assert.deepEqual(slugs.sort(), ["app-1", "app-2", "app-3"]);
    const outposts = await api.outposts.outpostsInstancesList({ managedIexact: "goauthentik.io/outposts/embedded" });
    assert.equal(outposts.results.length, 1);
    assert.equal(outposts.results[0]?.providers.length, 3);
    const app = await api.core.coreApplicationsRetrieve({ slug: "app-2" });
    assert.equal(app.providerObj?.name, "app-2-provider");
    assert.equal(app.launchUrl, "https://app2.example.test");
    const provider = await api.providers.providersProxyRetrieve({ id: app.provider as number });
    assert.equal(provider.assignedApplicationSlug, "app-2");
    assert.deepEqual(provider.outpostSet, ["authentik Embedded Outpost"]);
    assert.equal((await api.core.coreApplicationsList({ slug: "app-3" })).results.length, 1);
    assert.equal((await api.core.coreApplicationsList({ search: "APP-" })).pagination.count, 3);
  });

  it("PATCH of the outpost's providers replaces the list", async () => {
    const api = clients(sb);
    const embedded = (await api.outposts.outpostsInstancesList({ managedIexact: "goauthentik.io/outposts/embedded" })).results[0];
    assert.ok(embedded);
    const one = embedded.providers.slice(0, 1);
    const after = await api.outposts.outpostsInstancesPartialUpdate({ uuid: embedded.pk, patchedOutpostRequest: { providers: one } });
    assert.deepEqual(after.providers, one);
    await api.outposts.outpostsInstancesPartialUpdate({ uuid: embedded.pk, patchedOutpostRequest: { providers: embedded.providers } });
  });

  it("rejects a body the schema rejects with 400 naming the field", async () => {
    const r = await raw(sb, "POST", "/providers/proxy/", { name: "bad", authorization_flow: "not-a-uuid", invalidation_flow: "x", external_host: "https://x.test", mode: "sideways" });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body?.authorization_flow, ["Must be a valid UUID."]);
    assert.deepEqual(r.body?.mode, ['"sideways" is not a valid choice.']);
    const missing = await raw(sb, "POST", "/core/applications/", { name: "n" });
    assert.deepEqual(missing.body, { slug: ["This field is required."] });
    const badSlug = await raw(sb, "POST", "/core/applications/", { name: "n", slug: "has space", provider: "1" });
    assert.equal(badSlug.status, 400);
    assert.ok(badSlug.body?.slug);
    assert.deepEqual(badSlug.body?.provider, ["A valid integer is required."]);
    const notObject = await raw(sb, "POST", "/core/groups/", ["x"]);
    assert.equal(notObject.status, 400);
    assert.ok(notObject.body?.non_field_errors);
  });

  it("the official client surfaces a 400 as ResponseError", async () => {
    const api = clients(sb);
    const err = await api.core.coreApplicationsCreate({ applicationRequest: { name: "dup", slug: "app-1" } }).then(
      () => assert.fail("expected a 400"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ResponseError);
    assert.equal(err.response.status, 400);
    assert.deepEqual(await err.response.json(), { slug: ["Application with this slug already exists."] });
  });

  it("a PATCH without mode is validated as proxy mode and fails on internal_host (the reference's gotcha)", async () => {
    const app = await clients(sb).core.coreApplicationsRetrieve({ slug: "app-1" });
    const noMode = await raw(sb, "PATCH", `/providers/proxy/${String(app.provider)}/`, { skip_path_regex: "^/health$" });
    assert.equal(noMode.status, 400);
    assert.deepEqual(noMode.body, { internal_host: ["Internal host cannot be empty when forward auth is disabled."] });
    const withMode = await raw(sb, "PATCH", `/providers/proxy/${String(app.provider)}/`, { mode: "forward_single", skip_path_regex: "^/health$" });
    assert.equal(withMode.status, 200);
    assert.equal(withMode.body?.skip_path_regex, "^/health$");
  });

  it("bindings need exactly one of policy, group or user and an existing target", async () => {
    const app = await clients(sb).core.coreApplicationsRetrieve({ slug: "app-1" });
    const group = await raw(sb, "POST", "/core/groups/", { name: "binders" });
    assert.equal(group.status, 201);
    const none = await raw(sb, "POST", "/policies/bindings/", { target: app.pk, order: 0 });
    assert.deepEqual(none.body, { non_field_errors: ["One of 'policy', 'group' or 'user' must be set."] });
    const two = await raw(sb, "POST", "/policies/bindings/", { target: app.pk, order: 0, group: group.body?.pk, user: 1 });
    assert.deepEqual(two.body, { non_field_errors: ["Only one of 'policy', 'group' or 'user' can be set."] });
    const badTarget = await raw(sb, "POST", "/policies/bindings/", { target: "00000000-0000-4000-8000-000000000000", order: 0, group: group.body?.pk });
    assert.deepEqual(badTarget.body, { target: ['Invalid pk "00000000-0000-4000-8000-000000000000" - object does not exist.'] });
    const ok = await raw(sb, "POST", "/policies/bindings/", { target: app.pk, order: 0, group: group.body?.pk });
    assert.equal(ok.status, 201);
    assert.equal((await raw(sb, "DELETE", `/policies/bindings/${String(ok.body?.pk)}/`)).status, 204);
    assert.deepEqual(await raw(sb, "GET", `/policies/bindings/${String(ok.body?.pk)}/`), { status: 404, body: { detail: "Not found." } });
  });

  it("creates an MFA authorization flow: a flow, an authenticator validation stage and their binding", async () => {
    const flow = await raw(sb, "POST", "/flows/instances/", { name: "MFA", slug: "mfa-authz", title: "MFA", designation: "authorization" });
    assert.equal(flow.status, 201);
    const needsStage = await raw(sb, "POST", "/stages/authenticator/validate/", { name: "mfa", not_configured_action: "configure" });
    assert.equal(needsStage.status, 400);
    const stage = await raw(sb, "POST", "/stages/authenticator/validate/", { name: "mfa", not_configured_action: "deny", device_classes: ["static", "totp"] });
    assert.equal(stage.status, 201);
    const binding = await raw(sb, "POST", "/flows/bindings/", { target: flow.body?.pk, stage: stage.body?.pk, order: 10 });
    assert.equal(binding.status, 201);
    const read = await raw(sb, "GET", "/flows/instances/mfa-authz/");
    assert.deepEqual(read.body?.stages, [stage.body?.pk]);
  });

  it("answers 403 for a bad or missing token, 404 for unknown objects and pages", async () => {
    assert.deepEqual(await raw(sb, "GET", "/core/applications/", undefined, "wrong-token"), { status: 403, body: { detail: "Token invalid/expired" } });
    const none = await fetch(`${sb.apiUrl}/core/applications/`);
    assert.equal(none.status, 403);
    assert.deepEqual(await none.json(), { detail: "Authentication credentials were not provided." });
    const client = new CoreApi(new Configuration({ basePath: sb.apiUrl, accessToken: "nope-nope" }));
    await assert.rejects(client.coreApplicationsList({}), (e: unknown) => e instanceof ResponseError && e.response.status === 403);
    assert.equal((await raw(sb, "GET", "/core/applications/nope/")).status, 404);
    assert.equal((await raw(sb, "GET", "/providers/proxy/abc/")).status, 404);
    assert.deepEqual(await raw(sb, "GET", "/core/applications/?page=99"), { status: 404, body: { detail: "Invalid page." } });
  });

  it("serves the version, users and the token's user", async () => {
    const admin = new AdminApi(new Configuration({ basePath: sb.apiUrl, accessToken: TOKEN }));
    assert.equal((await admin.adminVersionRetrieve()).versionCurrent, "2026.8.3");
    const me = await raw(sb, "GET", "/core/users/me/");
    assert.equal((me.body?.user as Record<string, unknown>).username, "akadmin");
    assert.equal((me.body?.user as Record<string, unknown>).is_superuser, true);
    const users = await clients(sb).core.coreUsersList({ username: "akadmin" });
    assert.equal(users.results[0]?.username, "akadmin");
  });

  it("logs requests without secrets and injects faults", async () => {
    sb.failNext(1, { method: "GET", path: "/api/v3/core/groups/" });
    assert.equal((await raw(sb, "GET", "/core/groups/")).status, 500);
    assert.equal((await raw(sb, "GET", "/core/groups/")).status, 200);
    const next = sb.requests().length + 1;
    sb.failRequest(next);
    assert.equal((await raw(sb, "GET", "/admin/version/")).status, 500);
    const log = sb.requests();
    assert.deepEqual(log.at(-1), { seq: next, method: "GET", path: "/api/v3/admin/version/", status: 500 });
    assert.ok(!JSON.stringify(log).includes(TOKEN));
    assert.ok(sb.objects.applications?.some((a) => a.slug === "app-1"));
  });
});

describe("authentik sandbox version differences", () => {
  it("2024.8: no invalidation_flow, groups have a single parent", async () => {
    const sb = await startAuthentikSandbox({ token: TOKEN, version: "2024.8" });
    try {
      const flows = await raw(sb, "GET", "/flows/instances/default-provider-authorization-implicit-consent/");
      const p = await raw(sb, "POST", "/providers/proxy/", { name: "p", authorization_flow: flows.body?.pk, external_host: "https://a.test", mode: "forward_single" });
      assert.equal(p.status, 201);
      assert.equal("invalidation_flow" in (p.body ?? {}), false);
      const parent = await raw(sb, "POST", "/core/groups/", { name: "parent" });
      const child = await raw(sb, "POST", "/core/groups/", { name: "child", parent: parent.body?.pk });
      assert.equal(child.body?.parent, parent.body?.pk);
      assert.equal(child.body?.parent_name, "parent");
      assert.equal("parents" in (child.body ?? {}), false);
      const bad = await raw(sb, "POST", "/core/groups/", { name: "x", parent: "nope" });
      assert.deepEqual(bad.body, { parent: ["Must be a valid UUID."] });
      assert.equal((await raw(sb, "GET", "/admin/version/")).body?.version_current, "2024.8");
    } finally {
      await sb.close();
    }
  });

  it("2025.10: invalidation_flow required, single parent; 2026.8: parents list", async () => {
    const old = await startAuthentikSandbox({ token: TOKEN, version: "2025.10" });
    const neu = await startAuthentikSandbox({ token: TOKEN, version: "2026.8" });
    try {
      const flows = await raw(old, "GET", "/flows/instances/default-provider-authorization-implicit-consent/");
      const p = await raw(old, "POST", "/providers/proxy/", { name: "p", authorization_flow: flows.body?.pk, external_host: "https://a.test", mode: "forward_single" });
      assert.deepEqual(p.body, { invalidation_flow: ["This field is required."] });
      const parent = await raw(old, "POST", "/core/groups/", { name: "parent" });
      const ignored = await raw(old, "POST", "/core/groups/", { name: "child", parents: [parent.body?.pk] });
      assert.equal(ignored.status, 201);
      assert.equal(ignored.body?.parent, null, "parents is not a field before 2025.12: ignored like DRF ignores unknown keys");
      assert.deepEqual(old.requests().at(-1)?.ignoredFields, ["parents"]);
      const np = await raw(neu, "POST", "/core/groups/", { name: "parent" });
      const nc = await raw(neu, "POST", "/core/groups/", { name: "child", parents: [np.body?.pk] });
      assert.deepEqual(nc.body?.parents, [np.body?.pk]);
      assert.equal((await raw(neu, "GET", `/core/groups/${String(np.body?.pk)}/`)).body?.children?.toString(), String(nc.body?.pk));
    } finally {
      await old.close();
      await neu.close();
    }
  });
});

describe("authentik sandbox seeds", () => {
  it("reports bad seeds as file:line:col", (t) => {
    const dir = mkdtempSync(join(tmpdir(), "ak-seed-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "seed.yaml");
    writeFileSync(file, "groups: [staff]\nusers:\n  - username: alice\n    password: pw\n    groups: [staff, ghosts]\n    colour: blue\n");
    assert.throws(() => loadSeed(file), (err: unknown) => {
      assert.ok(err instanceof SeedError);
      assert.match(err.message, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:5:\\d+: unknown group "ghosts"`));
      assert.match(err.message, /:6:\d+: unknown key "colour"/);
      return true;
    });
    writeFileSync(file, "groups: [staff]\nusers:\n  - username: bob\n    password: pw\n    groups: [staff]\n    mfa: {static: ['12345678']}\n");
    assert.deepEqual(loadSeed(file).users[0]?.mfa, { static: ["12345678"] });
  });

  it("starts quickly (the schema is loaded on first use)", async () => {
    const t0 = performance.now();
    const sb = await startAuthentikSandbox({ token: TOKEN });
    const ms = performance.now() - t0;
    await sb.close();
    assert.ok(ms < 500, `startup took ${ms.toFixed(0)} ms`);
  });
});
