// Apps that sign users in themselves (presets grafana and nextcloud by OIDC, wazuh by SAML) through
// the engine against the authentik sandbox, which checks every body against authentik's schema and
// every mapping and key pair it names: the providers and applications they become, a client secret
// that lives only in Hecate's store and authentik (never in a plan, the journal or the blueprint),
// an empty second plan with no writes, a rotated secret as one write, a switch to forward auth,
// exact removal, and a failure at request k of n for every k leaving authentik as it was.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createEngine, planToJson, renderPlan, type Engine } from "../../src/engine/index.js";
import type { Resource } from "../../src/model/schema.js";
import { startAuthentikSandbox, type AuthentikSandbox } from "../../src/sandbox/authentik/index.js";
import { openSqliteStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/store.js";
import { tempDir } from "../helpers/proc.js";
import { KEY } from "../engine/setup.js";
import { TOKEN } from "../sandbox/authentik-helpers.js";

process.env["HECATE_TEST_AUTHENTIK_TOKEN"] = TOKEN;
const AK = { systems: ["authentik"] };
const SECRET = "grafana-client-secret-0123456789abcdef";

const doc = (kind: string, name: string, spec: Record<string, unknown>): Resource => ({ apiVersion: "hecate.io/v1", kind, metadata: { name }, spec }) as Resource;
const settings = (url: string) => doc("Settings", "s", { authentik: { url, token: "env:HECATE_TEST_AUTHENTIK_TOKEN", outpost: "127.0.0.1:9" } });
const up = [{ address: "127.0.0.1:9" }];

describe("OIDC and SAML sign-in through the sandbox", () => {
  let ak: AuthentikSandbox;
  let store: Store;
  let engine: Engine;
  const dir = tempDir("hecate-ak-signin-");

  before(async () => {
    ak = await startAuthentikSandbox({ token: TOKEN, pageSize: 2, seed: { groups: [{ name: "staff", parents: [], is_superuser: false }], users: [] } });
    store = await openSqliteStore({ path: join(dir.path, "s.db"), secretKey: KEY });
    await store.putSecret("grafana-oidc", SECRET);
    await store.putSecret("cloud-oidc", "nextcloud-client-secret-abcdef0123456789");
    engine = createEngine({ store, actor: "t" });
  });
  after(async () => {
    await store?.close();
    await ak?.close();
    dir.cleanup();
  });

  const wanted = (grafana: Record<string, unknown> = {}) => [
    settings(ak.url),
    doc("Secret", "grafana-oidc", { from: "store" }),
    doc("Secret", "cloud-oidc", { from: "store" }),
    doc("AuthPolicy", "staff", { groups: ["staff"] }),
    doc("Route", "grafana", { preset: "grafana", hosts: ["grafana.example.com"], upstreams: up, authPolicy: "staff", signIn: { clientSecret: "secret:grafana-oidc" }, ...grafana }),
    doc("Route", "cloud", { preset: "nextcloud", hosts: ["cloud.example.com", "files.example.com"], upstreams: up, authPolicy: "staff", signIn: { clientSecret: "secret:cloud-oidc", clientId: "nextcloud" } }),
    doc("Route", "siem", { preset: "wazuh", hosts: ["wazuh.example.com"], upstreams: up, authPolicy: "staff" }),
  ];
  const apply = async (resources: Resource[]) => {
    await engine.commit(resources, { message: "t" });
    const r = await engine.apply(AK, { ...AK, maxDeletes: 100 });
    assert.ok(["succeeded", "no-op"].includes(r.status), JSON.stringify(r.steps) + JSON.stringify(r.diagnostics));
    return r;
  };
  const rows = (kind: string) => ak.objects[kind]!;
  const byName = (kind: string, name: string) => rows(kind).find((o) => o["name"] === name || o["slug"] === name);

  it("presets grafana and nextcloud get OAuth2 providers, wazuh a SAML provider, each with an application bound to the policy; nothing on the outpost", async () => {
    await engine.commit(wanted(), { message: "t" });
    const p = await engine.plan(AK);
    const shown = renderPlan(p, { color: false }) + planToJson(p);
    assert.ok(!shown.includes(SECRET), "the client secret is not in the plan");
    assert.match(shown, /oidc-provider/);
    const r = await engine.apply(AK, AK);
    assert.equal(r.status, "succeeded", JSON.stringify(r.steps) + JSON.stringify(r.diagnostics));

    const g = byName("oauth2Providers", "hecate-grafana_oidc")!;
    assert.ok(g, "OAuth2 provider for grafana");
    assert.equal(g["client_id"], "hecate-grafana", "client id defaults to the application slug");
    assert.equal(g["client_secret"], SECRET, "authentik holds the secret from Hecate's store");
    assert.equal(g["client_type"], "confidential");
    assert.deepEqual(g["redirect_uris"], [{ matching_mode: "strict", url: "https://grafana.example.com/login/generic_oauth" }]);
    const scopes = new Map(rows("scopeMappings").map((m) => [m["pk"], m["scope_name"]]));
    assert.deepEqual((g["property_mappings"] as string[]).map((pk) => scopes.get(pk)).sort(), ["email", "openid", "profile"]);
    assert.equal(rows("keypairs").find((k) => k["pk"] === g["signing_key"])?.["name"], "authentik Self-signed Certificate");

    const c = byName("oauth2Providers", "hecate-cloud_oidc")!;
    assert.equal(c["client_id"], "nextcloud");
    assert.deepEqual((c["redirect_uris"] as { url: string }[]).map((u) => u.url), ["https://cloud.example.com/apps/user_oidc/code", "https://files.example.com/apps/user_oidc/code"]);

    const s = byName("samlProviders", "hecate-siem_saml")!;
    assert.equal(s["acs_url"], "https://wazuh.example.com/_opendistro/_security/saml/acs");
    assert.equal(s["audience"], "wazuh-saml");
    assert.equal(s["sp_binding"], "post");
    const saml = new Map(rows("samlMappings").map((m) => [m["pk"], m["managed"]]));
    assert.ok((s["property_mappings"] as string[]).map((pk) => saml.get(pk)).includes("goauthentik.io/providers/saml/groups"), "groups reach the app (wazuh maps them to roles)");

    const staff = rows("groups").find((x) => x["name"] === "staff")!;
    for (const [slug, provider] of [["hecate-grafana", g], ["hecate-cloud", c], ["hecate-siem", s]] as const) {
      const app = byName("applications", slug)!;
      assert.equal(app["provider"], provider["pk"], `${slug} uses its provider`);
      assert.ok(rows("policyBindings").some((b) => b["target"] === app["pk"] && b["group"] === staff["pk"]), `${slug} is bound to group staff`);
    }
    assert.deepEqual(rows("proxyProviders").filter((x) => String(x["name"]).startsWith("hecate-")), [], "no forward-auth provider");
    const embedded = rows("outposts")[0]!;
    assert.deepEqual(embedded["providers"], [], "OIDC and SAML providers are not on the outpost");
    const journal = JSON.stringify(await store.readJournal(r.applyId!));
    assert.match(journal, /oidc-provider/);
    assert.ok(!journal.includes(SECRET), "nor in the journal (undo keeps the reference)");
  });

  it("a second plan is empty and writes nothing; a rotated secret is one write and never shown", async () => {
    const mark = ak.requests().length;
    const plan = await engine.plan(AK);
    assert.deepEqual(plan.steps, [], JSON.stringify(plan.steps));
    assert.deepEqual(ak.requests().slice(mark).filter((q) => q.method !== "GET"), []);

    const NEW = "rotated-secret-9876543210fedcba";
    await store.putSecret("grafana-oidc", NEW);
    const p = await engine.plan(AK);
    const changes = p.steps.flatMap((s) => s.changes.map((x) => `${x.action} ${x.kind} ${x.id} ${(x.fields ?? []).map((f) => f.path).join(",")}`));
    assert.deepEqual(changes, ["update oidc-provider hecate-grafana_oidc clientSecret"]);
    const shown = renderPlan(p, { color: false }) + planToJson(p);
    assert.ok(!shown.includes(NEW) && !shown.includes(SECRET), "neither value is shown");
    const before = ak.requests().length;
    const r = await engine.apply(AK, AK);
    assert.equal(r.status, "succeeded");
    assert.equal(ak.requests().slice(before).filter((q) => q.method !== "GET").length, 1, "one write");
    assert.equal(byName("oauth2Providers", "hecate-grafana_oidc")!["client_secret"], NEW);
    assert.deepEqual((await engine.plan(AK)).steps, []);
  });

  it("switching grafana to forward auth creates the proxy provider before the OAuth2 one goes; the application keeps its slug", async () => {
    const app = byName("applications", "hecate-grafana")!["pk"];
    await apply(wanted({ signIn: { protocol: "forward-auth" } }));
    assert.ok(byName("proxyProviders", "hecate-grafana"), "a proxy provider now");
    assert.equal(byName("oauth2Providers", "hecate-grafana_oidc"), undefined, "the OAuth2 provider is gone");
    assert.equal(byName("applications", "hecate-grafana")!["pk"], app, "same application, now on the proxy provider");
    assert.deepEqual((await engine.plan(AK)).steps, []);
    await apply(wanted());
    assert.deepEqual((await engine.plan(AK)).steps, []);
  });

  it("a failure at request k of n, for every k: authentik ends as it was; deleting removes exactly what Hecate created", async () => {
    // authentik as a person sees it, by names: an undone delete recreates objects under new pks.
    const snapshot = () => {
      const o = ak.objects;
      const provider = new Map([...o["oauth2Providers"]!, ...o["samlProviders"]!, ...o["proxyProviders"]!].map((p) => [p["pk"], p["name"]]));
      const app = new Map(o["applications"]!.map((a) => [a["pk"], a["slug"]]));
      const group = new Map(o["groups"]!.map((g) => [g["pk"], g["name"]]));
      const strip = (x: Record<string, unknown>) => Object.fromEntries(Object.entries(x).filter(([k]) => !["pk", "pbm_uuid", "provider_obj", "assigned_application_slug"].includes(k)));
      return JSON.stringify({
        providers: [...o["oauth2Providers"]!, ...o["samlProviders"]!, ...o["proxyProviders"]!].map(strip).sort((a, b) => String(a["name"]).localeCompare(String(b["name"]))),
        applications: o["applications"]!.map((a) => ({ ...strip(a), provider: provider.get(a["provider"]) })),
        bindings: o["policyBindings"]!.map((b) => `${String(app.get(b["target"]))}/${String(group.get(b["group"]))}/${String(b["order"])}`).sort(),
        groups: [...group.values()].sort(),
        outpost: (o["outposts"]![0]!["providers"] as number[]).map((pk) => provider.get(pk)),
      });
    };
    // A hand-made OAuth2 provider Hecate must never touch.
    const flows = new Map(rows("flows").map((f) => [f["slug"], f["pk"]]));
    const res = await fetch(`${ak.apiUrl}/providers/oauth2/`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "by-hand", authorization_flow: flows.get("default-provider-authorization-implicit-consent"), invalidation_flow: flows.get("default-provider-invalidation-flow"), redirect_uris: [] }),
    });
    assert.equal(res.status, 201);
    const was = snapshot();
    // The routes go, their Secrets stay: an undone delete recreates a provider with its own secret.
    await engine.commit(wanted().filter((r) => r.kind !== "Route" && r.kind !== "AuthPolicy"), { message: "t" });
    let mark = ak.requests().length;
    const plan = await engine.plan(AK);
    const reads = ak.requests().length - mark;
    const n = plan.summary.delete + plan.summary.update;
    assert.ok(n >= 6, JSON.stringify(plan.summary));
    let k = 1;
    for (; k <= 100; k++) {
      mark = ak.requests().length;
      ak.failRequest(mark + reads + k);
      const r = await engine.apply(AK, { ...AK, maxDeletes: 100 });
      if (r.status === "succeeded") {
        while (ak.requests().length < mark + reads + k) await fetch(`${ak.apiUrl}/admin/version/`, { headers: { authorization: `Bearer ${TOKEN}` } });
        break;
      }
      assert.equal(r.status, "rolled-back", `k=${k}: ${JSON.stringify(r.steps)}`);
      const now = snapshot();
      assert.ok(now === was, `k=${k}: authentik is as before (the client secrets included):\n${now}\n${was}`);
    }
    assert.ok(k > n, `failures injected at ${k - 1} requests`);
    assert.deepEqual(rows("oauth2Providers").map((p) => p["name"]), ["by-hand"], "only the hand-made provider is left");
    assert.deepEqual(rows("samlProviders"), []);
    assert.deepEqual(rows("applications").filter((a) => String(a["slug"]).startsWith("hecate-")), []);
    assert.deepEqual((await engine.plan(AK)).steps, []);
  });
});

describe("OIDC and SAML routes in Caddy and debug auth", () => {
  it("Caddy proxies them without forward auth (the app signs users in), still stripping identity headers; debug auth says what to configure", async () => {
    const { resolveState } = await import("../../src/model/resolve.js");
    const { compileCaddy } = await import("../../src/compile/caddy/compile.js");
    const { findRoute } = await import("../../src/engine/debug-auth.js");
    const docs = [
      doc("Settings", "s", { authentik: { url: "https://auth.example.com", token: "env:T", outpost: "127.0.0.1:9" } }),
      doc("Secret", "grafana-oidc", { from: "store" }),
      doc("AuthPolicy", "staff", { groups: ["staff"] }),
      doc("Route", "grafana", { preset: "grafana", hosts: ["grafana.example.com"], upstreams: up, authPolicy: "staff", signIn: { clientSecret: "secret:grafana-oidc" } }),
      doc("Route", "app", { hosts: ["app.example.com"], upstreams: up, authPolicy: "staff" }),
    ];
    const { state } = resolveState(docs);
    const cfg = compileCaddy(state!).config as unknown as { apps: { http: { servers: Record<string, { routes: { "@id"?: string; match?: { host?: string[] }[] }[] }> } } };
    const top = Object.values(cfg.apps.http.servers).flatMap((s) => s.routes);
    const authHosts = top.filter((r) => /forward-auth|outpost/.test(r["@id"] ?? "")).flatMap((r) => (r.match ?? []).flatMap((m) => m.host ?? []));
    assert.ok(authHosts.includes("app.example.com"), "the forward-auth route is protected");
    assert.ok(!authHosts.includes("grafana.example.com"), "grafana is not sent to the outpost");
    assert.ok(top.some((r) => /identity-strip/.test(r["@id"] ?? "")), "identity headers are still stripped for every host");
    assert.throws(() => findRoute(state!, "grafana"), (e: Error) => /signs users in by OIDC itself[^]*issuer[^]*https:\/\/auth\.example\.com\/application\/o\/hecate-grafana\/[^]*client id: hecate-grafana[^]*secret:grafana-oidc/.test(e.message));
  });
});
