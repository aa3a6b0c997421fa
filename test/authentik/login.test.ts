// A real login through real Caddy: Hecate applies an AuthPolicy and protected routes to Caddy and
// to the authentik sandbox in one transaction, with no --system flag; then a browser (cookies
// carried by hand, every request to Caddy by Host header) meets the outpost's redirect, signs in,
// and reaches the upstream with authentik's identity headers; another group is denied; a bypass
// path is public; forward_domain shares one login across hosts; sign-out ends it.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createEngine, type Engine } from "../../src/engine/index.js";
import type { Resource } from "../../src/model/schema.js";
import { startAuthentikSandbox, type AuthentikSandbox } from "../../src/sandbox/authentik/index.js";
import { openSqliteStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/store.js";
import { startCaddy, type Caddy } from "../caddy-provider/caddy.js";
import { freePorts, tempDir } from "../helpers/proc.js";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { KEY } from "../engine/setup.js";
import { TOKEN } from "../sandbox/authentik-helpers.js";
import { Browser } from "./browser.js";

process.env["HECATE_TEST_AUTHENTIK_TOKEN"] = TOKEN;

describe("login through real Caddy and the authentik sandbox", () => {
  let ak: AuthentikSandbox;
  let caddy: Caddy;
  let up: Upstream;
  let store: Store;
  let engine: Engine;
  let httpPort: number;
  const dir = tempDir("hecate-login-");

  before(async () => {
    ak = await startAuthentikSandbox({
      token: TOKEN,
      seed: {
        groups: [{ name: "staff", parents: [], is_superuser: false }, { name: "other", parents: [], is_superuser: false }],
        users: [
          { username: "alice", password: "alice-pw", groups: ["staff"] },
          { username: "bob", password: "bob-pw", groups: ["other"] },
          { username: "carol", password: "carol-pw", groups: ["staff"], mfa: { static: ["111111", "222222"] } },
        ],
      },
    });
    caddy = await startCaddy();
    up = await startUpstream("app");
    const [h, s] = (await freePorts(2)) as [number, number];
    httpPort = h;
    const outpost = new URL(ak.url).host;
    const settings = {
      apiVersion: "hecate.io/v1",
      kind: "Settings",
      metadata: { name: "s" },
      spec: {
        caddy: { admin: [caddy.admin], listen: [`127.0.0.1:${s}`], httpPort: h, httpsPort: s },
        authentik: { url: ak.url, token: "env:HECATE_TEST_AUTHENTIK_TOKEN", outpost },
      },
    };
    const r = (name: string, hosts: string[], authPolicy: string, extra: Record<string, unknown> = {}) => ({
      apiVersion: "hecate.io/v1",
      kind: "Route",
      metadata: { name },
      spec: { hosts, upstreams: [{ address: up.address }], authPolicy, tls: { mode: "off" }, ...extra },
    });
    const resources = [
      settings,
      { apiVersion: "hecate.io/v1", kind: "AuthPolicy", metadata: { name: "staff" }, spec: { groups: ["staff"] } },
      { apiVersion: "hecate.io/v1", kind: "AuthPolicy", metadata: { name: "sso" }, spec: { groups: ["staff"], mode: "forward_domain", cookieDomain: "corp.example.com" } },
      r("app", ["app.example.com"], "staff", { ssoBypass: ["/public"] }),
      r("wiki", ["wiki.corp.example.com"], "sso"),
      r("chat", ["chat.corp.example.com"], "sso"),
      { apiVersion: "hecate.io/v1", kind: "AuthPolicy", metadata: { name: "mfa" }, spec: { groups: ["staff"], requireMfa: true, allowedMethods: ["password", "static", "totp"] } },
      r("vault", ["vault.example.com"], "mfa"),
    ] as Resource[];
    store = await openSqliteStore({ path: join(dir.path, "s.db"), secretKey: KEY });
    engine = createEngine({ store, actor: "t" });
    await engine.commit(resources, { message: "protected routes" });
    const res = await engine.apply();
    assert.equal(res.status, "succeeded", JSON.stringify(res.steps) + JSON.stringify(res.diagnostics));
    assert.deepEqual([...new Set(res.steps.map((x) => x.system))].sort(), ["authentik", "caddy"]);
  });
  after(async () => {
    await store?.close();
    await up?.close();
    await caddy?.stop();
    await ak?.close();
    dir.cleanup();
  });

  it("anonymous: redirected to sign in; a client-sent identity header never reaches the upstream", async () => {
    const b = new Browser(httpPort, ak);
    const res = await b.request("http://app.example.com/dashboard", { headers: { "X-Authentik-Username": "mallory" } });
    assert.equal(res.status, 302);
    assert.match(res.headers.get("location") ?? "", /outpost\.goauthentik\.io\/start/);
    assert.ok(!up.requests.some((q) => q.headers["x-authentik-username"] === "mallory"));
  });

  it("alice of staff signs in and the upstream sees who she is; bob of another group is denied", async () => {
    const a = new Browser(httpPort, ak);
    const res = await a.visit("http://app.example.com/dashboard", { username: "alice", password: "alice-pw" });
    assert.equal(res.status, 200, await res.clone().text());
    const seen = (await res.json()) as { url: string; headers: Record<string, string> };
    assert.equal(seen.url, "/dashboard");
    assert.equal(seen.headers["x-authentik-username"], "alice");
    assert.match(seen.headers["x-authentik-groups"] ?? "", /(^|\|)staff(\||$)/);

    const forged = await a.request("http://app.example.com/x", { headers: { "X-Authentik-Username": "root" } });
    assert.equal(((await forged.json()) as { headers: Record<string, string> }).headers["x-authentik-username"], "alice", "the outpost's answer, not the client's");

    const b = new Browser(httpPort, ak);
    const denied = await b.visit("http://app.example.com/dashboard", { username: "bob", password: "bob-pw" });
    assert.equal(denied.status, 403);
    assert.ok(!up.requests.some((q) => q.headers["x-authentik-username"] === "bob"));
  });

  it("a bypass path reaches the upstream without signing in", async () => {
    const res = await new Browser(httpPort, ak).request("http://app.example.com/public/status");
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { headers: Record<string, string> }).headers["x-authentik-username"], undefined);
  });

  it("forward_domain: one sign-in serves every host under the cookie domain; sign-out ends it", async () => {
    const b = new Browser(httpPort, ak);
    const wiki = await b.visit("http://wiki.corp.example.com/", { username: "alice", password: "alice-pw" });
    assert.equal(wiki.status, 200, await wiki.clone().text());
    const chat = await b.request("http://chat.corp.example.com/");
    assert.equal(chat.status, 200, "no second sign-in");
    assert.equal(((await chat.json()) as { headers: Record<string, string> }).headers["x-authentik-username"], "alice");
    await b.visit("http://wiki.corp.example.com/outpost.goauthentik.io/sign_out");
    const after = await b.request("http://chat.corp.example.com/");
    assert.equal(after.status, 302, "signed out everywhere");
  });

  it("requireMfa: a second factor is asked after the password; a user without one is not let in", async () => {
    const wrong = await new Browser(httpPort, ak).visit("http://vault.example.com/", { username: "carol", password: "carol-pw", code: "999999" });
    assert.equal(wrong.headers.get("x-upstream"), null, "a wrong code does not let carol in");
    assert.match(await wrong.text(), /name="code"/, "she is asked for the code again");
    const c = new Browser(httpPort, ak);
    const res = await c.visit("http://vault.example.com/", { username: "carol", password: "carol-pw", code: "111111" });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(((await res.json()) as { headers: Record<string, string> }).headers["x-authentik-username"], "carol");
    const a = new Browser(httpPort, ak);
    const denied = await a.visit("http://vault.example.com/", { username: "alice", password: "alice-pw", code: "000000" });
    assert.equal(denied.headers.get("x-upstream"), null);
    assert.ok(!up.requests.some((q) => q.headers["host"] === "vault.example.com" && q.headers["x-authentik-username"] === "alice"));
  });

  it("a second plan of both systems is empty", async () => {
    const plan = await engine.plan();
    assert.deepEqual(plan.steps, []);
  });

  describe("debug auth names the first broken link", () => {
    const broken = async (route: string, opts: { user?: string } = {}) => (await engine.debugAuth(route, opts)).broken;
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${ak.apiUrl}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...(init.headers as Record<string, string>) } });
    const reconcile = async () => assert.equal((await engine.reconcile({ maxDeletes: 10 })).status, "succeeded");

    it("a healthy chain: every link holds, for a user the bindings let in", async () => {
      const r = await engine.debugAuth("app", { user: "alice" });
      assert.equal(r.broken, undefined, JSON.stringify(r.links, null, 1));
      assert.ok(r.links.some((l) => l.link === "outpost: live probe" && /answered 302/.test(l.detail)));
    });

    it("a binding that denies the user's group", async () => {
      const b = await broken("app", { user: "bob" });
      assert.equal(b?.link, "authentik: bindings");
      assert.match(b!.detail, /the bindings deny bob: they allow groups staff; bob is in other/);
    });

    it("the provider not on the outpost; reconcile puts it back", async () => {
      const outposts = (await (await api("/outposts/instances/?managed__iexact=goauthentik.io/outposts/embedded")).json()) as { results: { pk: string; providers: number[] }[] };
      const o = outposts.results[0]!;
      const providers = (await (await api("/providers/proxy/?page_size=100")).json()) as { results: { pk: number; name: string }[] };
      const mine = providers.results.find((p) => p.name === "hecate-app")!.pk;
      assert.equal((await api(`/outposts/instances/${o.pk}/`, { method: "PATCH", body: JSON.stringify({ providers: o.providers.filter((x) => x !== mine) }) })).status, 200);
      const b = await broken("app");
      assert.equal(b?.link, "authentik: outpost attachment");
      assert.match(b!.fix ?? "", /hecate reconcile/);
      await reconcile();
      assert.equal(await broken("app"), undefined);
    });

    it("the outpost path route missing in Caddy; reconcile puts it back", async () => {
      const config = (await (await fetch(`${caddy.admin}/config/`)).json()) as unknown;
      const id = JSON.stringify(config).match(/"@id":"(hecate-[^"]*outpost-[^"]*)"/)?.[1];
      assert.ok(id, "Hecate's outpost path route is in Caddy");
      assert.equal((await fetch(`${caddy.admin}/id/${id}`, { method: "DELETE" })).status, 200);
      const b = await broken("app");
      assert.equal(b?.link, "caddy: outpost path route");
      assert.match(b!.detail, /redirect loop/);
      await reconcile();
      assert.equal(await broken("app"), undefined);
    });

    it("a cookie domain that is a public suffix, or does not cover the host", async () => {
      const providers = (await (await api("/providers/proxy/?page_size=100")).json()) as { results: { pk: number; name: string }[] };
      const sso = providers.results.find((p) => p.name === "hecate-policy-sso")!.pk;
      for (const [domain, why] of [["com", /public suffix/], ["other.example.org", /does not cover wiki\.corp\.example\.com/]] as const) {
        assert.equal((await api(`/providers/proxy/${sso}/`, { method: "PATCH", body: JSON.stringify({ mode: "forward_domain", cookie_domain: domain }) })).status, 200);
        const b = await broken("wiki");
        assert.equal(b?.link, "authentik: cookie domain");
        assert.match(b!.detail, why);
      }
      await reconcile();
      assert.equal(await broken("wiki"), undefined);
    });

    it("the outpost unreachable", async () => {
      const [closed] = await freePorts(1);
      const head = (await store.head())!;
      const moved = head.resources.map((r) =>
        r.kind === "AuthPolicy" && r.metadata.name === "staff" ? ({ ...r, spec: { ...(r.spec as object), outpost: `127.0.0.1:${closed}` } } as Resource) : r,
      );
      await engine.commit(moved, { message: "outpost moved" });
      const b = await broken("app");
      assert.equal(b?.link, "outpost: live probe");
      assert.match(b!.detail, new RegExp(`cannot reach the outpost at 127\\.0\\.0\\.1:${closed} \\(ECONNREFUSED\\)`));
      await engine.commit(head.resources, { message: "back" });
    });
  });
});
