// The authentik provider through the engine against the authentik sandbox (which validates every
// body against authentik's own OpenAPI schema): what an AuthPolicy and its routes become, an empty
// second plan with no writes, a provider attached by hand kept, exact removal, and a failure at
// request k of n for every k leaving authentik as it was.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createEngine, type Engine } from "../../src/engine/index.js";
import type { Resource } from "../../src/model/schema.js";
import { startAuthentikSandbox, type AuthentikSandbox } from "../../src/sandbox/authentik/index.js";
import { openSqliteStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/store.js";
import { tempDir } from "../helpers/proc.js";
import { KEY } from "../engine/setup.js";
import { clients, protect, TOKEN } from "../sandbox/authentik-helpers.js";

process.env["HECATE_TEST_AUTHENTIK_TOKEN"] = TOKEN;
const AK = { systems: ["authentik"] };

const settings = (url: string): Resource =>
  ({ apiVersion: "hecate.io/v1", kind: "Settings", metadata: { name: "s" }, spec: { authentik: { url, token: "env:HECATE_TEST_AUTHENTIK_TOKEN", outpost: "127.0.0.1:9" } } }) as Resource;
const policy = (name: string, spec: Record<string, unknown>): Resource => ({ apiVersion: "hecate.io/v1", kind: "AuthPolicy", metadata: { name }, spec }) as Resource;
const route = (name: string, hosts: string[], authPolicy: string, extra: Record<string, unknown> = {}): Resource =>
  ({ apiVersion: "hecate.io/v1", kind: "Route", metadata: { name }, spec: { hosts, upstreams: [{ address: "127.0.0.1:9" }], authPolicy, ...extra } }) as Resource;

describe("authentik through the sandbox", () => {
  let ak: AuthentikSandbox;
  let store: Store;
  let engine: Engine;
  const dir = tempDir("hecate-ak-");

  before(async () => {
    ak = await startAuthentikSandbox({
      token: TOKEN,
      pageSize: 2, // small pages: the provider must follow them
      seed: { groups: [{ name: "staff", parents: [], is_superuser: false }, { name: "other", parents: [], is_superuser: false }], users: [{ username: "alice", password: "pw", groups: ["staff"] }, { username: "bob", password: "pw", groups: ["other"] }] },
    });
    store = await openSqliteStore({ path: join(dir.path, "s.db"), secretKey: KEY });
    engine = createEngine({ store, actor: "t" });
  });
  after(async () => {
    await store?.close();
    await ak?.close();
    dir.cleanup();
  });

  const apply = async (resources: Resource[]) => {
    await engine.commit(resources, { message: "t" });
    const r = await engine.apply(AK, { ...AK, maxDeletes: 100 });
    assert.ok(["succeeded", "no-op"].includes(r.status), JSON.stringify(r.steps));
    return r;
  };
  const writes = () => ak.requests().filter((q) => q.method !== "GET");
  const names = (kind: string) => {
    const rows = ak.objects[kind];
    assert.ok(rows, `the sandbox has no object kind ${kind}`);
    return rows.map((o) => String(o["slug"] ?? o["name"])).sort();
  };

  const base = () => [settings(ak.url), policy("staff", { groups: ["staff"], users: ["bob"] }), route("app", ["app.example.com"], "staff", { ssoBypass: ["/health"] })];

  it("an AuthPolicy and its route become a provider, an application, bindings, the outpost attachment; a second plan is empty and writes nothing", async () => {
    const r = await apply(base());
    assert.equal(r.status, "succeeded");
    const { providers, core, outposts } = clients(ak);
    const p = (await providers.providersProxyList({})).results.find((x) => x.name === "hecate-app");
    assert.ok(p, "proxy provider hecate-app");
    assert.equal(p.mode, "forward_single");
    assert.equal(p.externalHost, "https://app.example.com");
    assert.equal(p.skipPathRegex, "^/health");
    const app = await core.coreApplicationsRetrieve({ slug: "hecate-app" });
    assert.equal(app.provider, p.pk);
    const embedded = (await outposts.outpostsInstancesList({ managedIexact: "goauthentik.io/outposts/embedded" })).results[0]!;
    assert.ok(embedded.providers.includes(p.pk), "attached to the embedded outpost");
    const mark = ak.requests().length;
    const plan = await engine.plan(AK);
    assert.deepEqual(plan.steps, [], JSON.stringify(plan.steps));
    assert.deepEqual(ak.requests().slice(mark).filter((q) => q.method !== "GET"), [], "a no-op plan writes nothing");
    const again = await engine.apply(AK, AK);
    assert.equal(again.status, "no-op");
  });

  it("a provider attached to the outpost by hand survives Hecate's writes", async () => {
    const mine = await protect(ak, "by-hand", { mode: "forward_single" as never, externalHost: "https://hand.example.com" });
    await apply([...base(), route("two", ["two.example.com"], "staff")]);
    const { outposts } = clients(ak);
    const embedded = (await outposts.outpostsInstancesList({ managedIexact: "goauthentik.io/outposts/embedded" })).results[0]!;
    assert.ok(embedded.providers.includes(mine.provider.pk), "the hand-made provider is still attached");
  });

  it("deleting the policy and its routes removes exactly what Hecate created", async () => {
    const before = { providers: names("proxyProviders"), apps: names("applications"), groups: names("groups") };
    const r = await apply([settings(ak.url)]);
    assert.equal(r.status, "succeeded");
    assert.deepEqual(names("proxyProviders"), before.providers.filter((n) => !n.startsWith("hecate-")));
    assert.deepEqual(names("applications"), before.apps.filter((n) => !n.startsWith("hecate-")));
    assert.deepEqual(names("groups"), before.groups, "groups Hecate did not create stay");
    assert.ok(names("proxyProviders").includes("by-hand-provider"));
  });

  it("a failure at request k of n, for every k: authentik ends as it was, and a plan then wants the same changes", async () => {
    await apply([settings(ak.url)]);
    const snapshot = () => JSON.stringify(["proxyProviders", "applications", "policyBindings", "groups", "outposts", "expressionPolicies", "flows", "validateStages", "flowBindings"].map((k) => ak.objects[k]));
    const was = snapshot();
    const wanted = [...base(), policy("ops", { groups: ["ops-team"], mode: "forward_domain", cookieDomain: "example.com", requireMfa: true, allowedMethods: ["totp", "webauthn"] }), route("ops", ["ops.example.com", "grafana.example.com"], "ops")];
    await engine.commit(wanted, { message: "t" });
    let mark = ak.requests().length;
    const plan = await engine.plan(AK);
    const reads = ak.requests().length - mark; // an apply makes the same reads first, then its writes
    const n = plan.summary.create + plan.summary.update;
    assert.ok(n >= 8, JSON.stringify(plan.summary));
    let k = 1;
    for (; k <= 200; k++) {
      mark = ak.requests().length;
      ak.failRequest(mark + reads + k);
      const r = await engine.apply(AK, AK);
      if (r.status === "succeeded") {
        // k is past the apply's last request: use up the fault still waiting for it.
        while (ak.requests().length < mark + reads + k) await fetch(`${ak.apiUrl}/admin/version/`, { headers: { authorization: `Bearer ${TOKEN}` } });
        break;
      }
      assert.equal(r.status, "rolled-back", `k=${k}: ${JSON.stringify(r.steps)}`);
      assert.equal(snapshot(), was, `k=${k}: authentik is as before`);
    }
    assert.ok(k > n, `failures injected at ${k - 1} requests`);
    const after = await engine.plan(AK);
    assert.deepEqual(after.steps, []);
  });
});

describe("authentik versions", () => {
  for (const version of ["2024.8.3", "2025.10.1"]) {
    it(`authentik ${version}: applies, and a second plan is empty (no invalidation flow before 2024.10, group parent before 2025.12)`, async () => {
      const ak = await startAuthentikSandbox({ token: TOKEN, version, seed: { groups: [{ name: "staff", parents: [], is_superuser: false }], users: [] } });
      const dir = tempDir("hecate-ak-v-");
      const store = await openSqliteStore({ path: join(dir.path, "s.db"), secretKey: KEY });
      try {
        const engine = createEngine({ store, actor: "t" });
        await engine.commit([settings(ak.url), policy("staff", { groups: ["staff", "new-team"] }), route("app", ["app.example.com"], "staff")], { message: "t" });
        const r = await engine.apply(AK, AK);
        assert.equal(r.status, "succeeded", JSON.stringify(r.steps));
        assert.deepEqual((await engine.plan(AK)).steps, []);
        assert.ok(ak.requests().every((q) => !q.ignoredFields?.length), `fields the version does not know were sent: ${JSON.stringify(ak.requests().filter((q) => q.ignoredFields?.length))}`);
      } finally {
        await store.close();
        await ak.close();
        dir.cleanup();
      }
    });
  }
});
