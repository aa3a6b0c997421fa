// The sandbox's embedded outpost: Caddy's forward-auth endpoint, login, policies, MFA, sign-out.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ProxyMode } from "@goauthentik/api";
import { startAuthentikSandbox, type AuthentikSandbox } from "../../src/sandbox/authentik/index.js";
import { Browser, clients, protect, TOKEN } from "./authentik-helpers.js";

async function api(sb: AuthentikSandbox, method: string, path: string, body: unknown) {
  const res = await fetch(sb.apiUrl + path, { method, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
  return (await res.json()) as Record<string, unknown>;
}

describe("authentik sandbox outpost", () => {
  let sb: AuthentikSandbox;
  const logs: string[] = [];
  before(async () => {
    sb = await startAuthentikSandbox({
      token: TOKEN,
      log: (m) => logs.push(m),
      seed: {
        groups: [{ name: "staff", parents: [], is_superuser: false }, { name: "ops", parents: ["staff"], is_superuser: false }, { name: "admins", parents: [], is_superuser: false }],
        users: [
          { username: "alice", password: "alice-pw", name: "Alice", email: "alice@example.test", groups: ["admins", "ops"] },
          { username: "bob", password: "bob-pw", groups: [] },
          { username: "carol", password: "carol-pw", groups: ["staff"], mfa: { static: ["11112222", "33334444"] } },
        ],
      },
    });
    await protect(sb, "wiki", { mode: ProxyMode.ForwardSingle, externalHost: "https://wiki.example.test", skipPathRegex: "^/public/\n^/health$" });
    const { app } = await protect(sb, "admin", { mode: ProxyMode.ForwardSingle, externalHost: "https://admin.example.test" });
    const admins = (await clients(sb).core.coreGroupsList({ name: "admins" })).results[0];
    await api(sb, "POST", "/policies/bindings/", { target: app.pk, group: admins?.pk, order: 0 });
    await protect(sb, "domain", { mode: ProxyMode.ForwardDomain, externalHost: "https://auth.corp.test", cookieDomain: "corp.test" });
  });
  after(() => sb.close());

  it("answers 500 without X-Forwarded-* headers", async () => {
    const res = await fetch(`${sb.url}/outpost.goauthentik.io/auth/caddy`);
    assert.equal(res.status, 500);
    assert.ok(logs.some((l) => l.includes("X-Forwarded")));
  });

  it("redirects an anonymous request to the login start with rd", async () => {
    const res = await new Browser(sb).forwardAuth("wiki.example.test", "/page?x=1");
    assert.equal(res.status, 302);
    const loc = new URL(res.headers.get("location") ?? "");
    assert.equal(loc.host, "wiki.example.test");
    assert.equal(loc.pathname, "/outpost.goauthentik.io/start");
    assert.equal(loc.searchParams.get("rd"), "https://wiki.example.test/page?x=1");
  });

  it("lets skip_path_regex paths through without identity", async () => {
    const res = await new Browser(sb).forwardAuth("wiki.example.test", "/public/logo.png");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-authentik-username"), null);
    assert.equal((await new Browser(sb).forwardAuth("wiki.example.test", "/health")).status, 200);
    assert.equal((await new Browser(sb).forwardAuth("wiki.example.test", "/healthz")).status, 302);
  });

  it("after login answers 200 with identity headers (groups pipe-joined), and sign-out ends the session", async () => {
    const b = new Browser(sb);
    const first = await b.forwardAuth("wiki.example.test", "/page");
    const wrong = await fetch(`${sb.url}/if/flow/default-authentication-flow/`, { method: "POST", body: new URLSearchParams({ username: "alice", password: "nope", step: "password" }) });
    assert.match(await wrong.text(), /Invalid username or password/);
    const login = await b.login(first.headers.get("location") ?? "", "alice", "alice-pw");
    assert.equal(login.final, "https://wiki.example.test/page");
    const cookie = [...b.jar.entries()].find(([k]) => k.startsWith("authentik_proxy_"));
    assert.ok(cookie && cookie[1].domain === undefined, "forward_single: a host-only cookie");
    const ok = await b.forwardAuth("wiki.example.test", "/page");
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("x-authentik-username"), "alice");
    assert.equal(ok.headers.get("x-authentik-groups")?.split("|").sort().join("|"), "admins|ops");
    assert.equal(ok.headers.get("x-authentik-email"), "alice@example.test");
    assert.equal(ok.headers.get("x-authentik-name"), "Alice");
    assert.equal(ok.headers.get("x-authentik-meta-app"), "wiki");
    assert.equal(ok.headers.get("x-authentik-meta-provider"), "wiki-provider");
    assert.equal(ok.headers.get("x-authentik-meta-outpost"), "authentik Embedded Outpost");
    assert.match(ok.headers.get("x-authentik-uid") ?? "", /^[0-9a-f]{64}$/);
    assert.match(ok.headers.get("x-authentik-meta-version") ?? "", /^goauthentik\.io\/outpost\//);
    const out = await b.viaHost("wiki.example.test", "/outpost.goauthentik.io/sign_out");
    assert.equal(out.status, 302);
    assert.match(out.headers.get("location") ?? "", /\/if\/flow\/default-provider-invalidation-flow\/$/);
    assert.equal((await b.forwardAuth("wiki.example.test", "/page")).status, 302);
  });

  it("answers 403 to a user the application's group binding excludes, 200 to a member", async () => {
    const bob = new Browser(sb);
    const r = await bob.forwardAuth("admin.example.test", "/");
    await bob.login(r.headers.get("location") ?? "", "bob", "bob-pw");
    const denied = await bob.forwardAuth("admin.example.test", "/");
    assert.equal(denied.status, 403);
    assert.match(await denied.text(), /Permission denied/);
    const alice = new Browser(sb);
    const r2 = await alice.forwardAuth("admin.example.test", "/");
    await alice.login(r2.headers.get("location") ?? "", "alice", "alice-pw");
    assert.equal((await alice.forwardAuth("admin.example.test", "/")).status, 200);
  });

  it("evaluates the supported expression subset and denies anything else with a log line", async () => {
    const app = await clients(sb).core.coreApplicationsRetrieve({ slug: "wiki" });
    const allow = await api(sb, "POST", "/policies/expression/", { name: "only-carol", expression: '# carol only\nreturn request.user.username == "carol" or ak_is_group_member(request.user, name="nobody")' });
    const binding = await api(sb, "POST", "/policies/bindings/", { target: app.pk, policy: allow.pk, order: 1 });
    const alice = new Browser(sb);
    const r = await alice.forwardAuth("wiki.example.test", "/");
    await alice.login(r.headers.get("location") ?? "", "alice", "alice-pw");
    assert.equal((await alice.forwardAuth("wiki.example.test", "/")).status, 403);
    await api(sb, "PATCH", `/policies/expression/${String(allow.pk)}/`, { expression: 'return ak_is_group_member(request.user, name="staff")' });
    assert.equal((await alice.forwardAuth("wiki.example.test", "/")).status, 200, "ops is a child of staff: membership is inherited");
    await api(sb, "PATCH", `/policies/expression/${String(allow.pk)}/`, { expression: "import os\nreturn os.system('true') == 0" });
    assert.equal((await alice.forwardAuth("wiki.example.test", "/")).status, 403);
    assert.ok(logs.some((l) => l.includes("outside the supported subset")));
    await fetch(`${sb.apiUrl}/policies/bindings/${String(binding.pk)}/`, { method: "DELETE", headers: { authorization: `Bearer ${TOKEN}` } });
  });

  it("forward_domain: one login, a cookie for the whole domain, two hosts", async () => {
    const b = new Browser(sb);
    const r = await b.forwardAuth("one.corp.test", "/a");
    const loc = new URL(r.headers.get("location") ?? "");
    assert.equal(loc.host, "auth.corp.test", "the login starts on the provider's external host");
    const login = await b.login(loc.toString(), "alice", "alice-pw");
    assert.equal(login.final, "https://one.corp.test/a");
    const cookie = [...b.jar.entries()].find(([k]) => k.startsWith("authentik_proxy_"));
    assert.equal(cookie?.[1].domain, "corp.test");
    assert.equal((await b.forwardAuth("one.corp.test", "/a")).status, 200);
    const two = await b.forwardAuth("two.corp.test", "/b");
    assert.equal(two.status, 200);
    assert.equal(two.headers.get("x-authentik-meta-app"), "domain");
    assert.equal((await b.forwardAuth("elsewhere.test", "/")).status, 400);
  });

  it("asks for a static MFA code when the provider's authorization flow has a validation stage", async () => {
    const flow = await api(sb, "POST", "/flows/instances/", { name: "mfa", slug: "mfa-authz", title: "MFA", designation: "authorization" });
    const stage = await api(sb, "POST", "/stages/authenticator/validate/", { name: "mfa-validate", not_configured_action: "deny", device_classes: ["static"] });
    await api(sb, "POST", "/flows/bindings/", { target: flow.pk, stage: stage.pk, order: 0 });
    await protect(sb, "vault", { mode: ProxyMode.ForwardSingle, externalHost: "https://vault.example.test", authorizationFlow: String(flow.pk) });
    const carol = new Browser(sb);
    const r = await carol.forwardAuth("vault.example.test", "/");
    const login = await carol.login(r.headers.get("location") ?? "", "carol", "carol-pw", "11112222");
    assert.equal(login.final, "https://vault.example.test/");
    assert.equal((await carol.forwardAuth("vault.example.test", "/")).status, 200);
    const again = new Browser(sb);
    const r2 = await again.forwardAuth("vault.example.test", "/");
    const reused = await again.login(r2.headers.get("location") ?? "", "carol", "carol-pw", "11112222");
    assert.match(reused.page ?? "", /Invalid Token/, "static codes are single-use");
    const alice = new Browser(sb);
    const r3 = await alice.forwardAuth("vault.example.test", "/");
    const denied = await alice.login(r3.headers.get("location") ?? "", "alice", "alice-pw");
    assert.equal(denied.status, 403, "no device and not_configured_action deny");
  });
});
