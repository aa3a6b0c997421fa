// An apply of authentik and Caddy together, SIGKILLed mid-apply at several points: the next run
// undoes every journaled change by the ids authentik assigned, and both systems hold the old
// revision again (a plan of it is empty). Also a failure at each authentik request in turn.
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
import { KEY, runUntilKilled } from "../engine/setup.js";
import { TOKEN } from "../sandbox/authentik-helpers.js";

process.env["HECATE_TEST_AUTHENTIK_TOKEN"] = TOKEN;

describe("authentik and Caddy in one transaction: kills and failures", () => {
  let ak: AuthentikSandbox;
  let caddy: Caddy;
  let store: Store;
  let engine: Engine;
  let A: Resource[];
  let B: Resource[];
  const dir = tempDir("hecate-ak-crash-");
  const db = join(dir.path, "s.db");

  before(async () => {
    ak = await startAuthentikSandbox({ token: TOKEN, seed: { groups: [{ name: "staff", parents: [], is_superuser: false }], users: [] } });
    caddy = await startCaddy();
    const [h, s] = (await freePorts(2)) as [number, number];
    const settings = {
      apiVersion: "hecate.io/v1",
      kind: "Settings",
      metadata: { name: "s" },
      spec: { caddy: { admin: [caddy.admin], listen: [`127.0.0.1:${s}`], httpPort: h, httpsPort: s }, authentik: { url: ak.url, token: "env:HECATE_TEST_AUTHENTIK_TOKEN", outpost: new URL(ak.url).host } },
    } as Resource;
    const r = (name: string, hosts: string[], authPolicy: string) =>
      ({ apiVersion: "hecate.io/v1", kind: "Route", metadata: { name }, spec: { hosts, upstreams: [{ address: "127.0.0.1:9" }], authPolicy, tls: { mode: "off" } } }) as Resource;
    const p = (name: string, spec: Record<string, unknown>) => ({ apiVersion: "hecate.io/v1", kind: "AuthPolicy", metadata: { name }, spec }) as Resource;
    A = [settings, p("staff", { groups: ["staff"] }), r("app", ["app.example.com"], "staff"), r("old", ["old.example.com"], "staff")];
    B = [settings, p("staff", { groups: ["staff", "team-b"], sessionDuration: "4h" }), p("sso", { groups: ["staff"], mode: "forward_domain", cookieDomain: "corp.example.com" }), r("app", ["app.example.com"], "staff"), r("wiki", ["wiki.corp.example.com"], "sso")];
    store = await openSqliteStore({ path: db, secretKey: KEY });
    engine = createEngine({ store, actor: "t" });
    await engine.commit(A, { message: "A" });
    assert.equal((await engine.apply()).status, "succeeded");
  });
  after(async () => {
    await store?.close();
    await caddy?.stop();
    await ak?.close();
    dir.cleanup();
  });

  /**
   * authentik's state by names, not ids: an object undo had to recreate has a new pk (authentik
   * assigns them), and is the same object for every user and for the outpost.
   */
  const snapshot = () => {
    const o = ak.objects;
    const byPk = (kind: string, key: string) => new Map(o[kind]!.map((x) => [String(x["pk"]), String(x[key])]));
    const prov = byPk("proxyProviders", "name"), app = byPk("applications", "slug"), grp = byPk("groups", "name");
    const pick = (x: Record<string, unknown>, keys: string[]): Record<string, unknown> => Object.fromEntries(keys.map((k) => [k, x[k]]));
    return JSON.stringify({
      providers: o["proxyProviders"]!.map((x) => pick(x, ["name", "mode", "external_host", "cookie_domain", "skip_path_regex", "access_token_validity", "authorization_flow", "invalidation_flow"])).sort((a, b) => String(a["name"]).localeCompare(String(b["name"]))),
      applications: o["applications"]!.map((x): Record<string, unknown> => ({ ...pick(x, ["slug", "name", "meta_launch_url", "policy_engine_mode"]), provider: prov.get(String(x["provider"])) })).sort((a, b) => String(a["slug"]).localeCompare(String(b["slug"]))),
      bindings: o["policyBindings"]!.map((x) => `${app.get(String(x["target"]))} ${grp.get(String(x["group"])) ?? ""} ${x["user"] ?? ""} ${x["order"]}`).sort(),
      groups: o["groups"]!.map((x) => `${x["name"]} ${JSON.stringify(x["attributes"])}`).sort(),
      outpost: o["outposts"]!.map((x) => (x["providers"] as number[]).map((pk) => prov.get(String(pk))).sort()),
    });
  };
  const caddyConfig = async () => JSON.stringify(await (await fetch(`${caddy.admin}/config/`)).json());

  for (const killAt of ["change:1", "change:4", "step.done:caddy"]) {
    it(`killed at ${killAt}: the next run puts authentik and Caddy back to the old revision`, async () => {
      const was = { ak: snapshot(), caddy: await caddyConfig() };
      await engine.commit(B, { message: "B" });
      await store.close(); // the child opens the same file
      await runUntilKilled(new URL("./crash-child.ts", import.meta.url), [db, killAt], killAt, 60_000);
      assert.notEqual(snapshot(), was.ak, "the child changed authentik before it died");
      store = await openSqliteStore({ path: db, secretKey: KEY });
      engine = createEngine({ store, actor: "t" });
      const reports = await engine.recover({ lockTimeoutMs: 60_000 });
      assert.ok(reports.length > 0);
      assert.equal(snapshot(), was.ak, "authentik is as before");
      assert.equal(await caddyConfig(), was.caddy, "Caddy is as before");
      await engine.commit(A, { message: "A again" });
      assert.deepEqual((await engine.plan()).steps, [], "a plan of the old revision is empty");
    });
  }

  it("a failure at each request k of the apply, in turn: both systems stay as they were", async () => {
    const was = { ak: snapshot(), caddy: await caddyConfig() };
    await engine.commit(B, { message: "B" });
    let mark = ak.requests().length;
    await engine.plan();
    const reads = ak.requests().length - mark;
    let k = 1;
    for (; k <= 100; k++) {
      mark = ak.requests().length;
      ak.failRequest(mark + reads + k);
      const r = await engine.apply();
      if (r.status === "succeeded") {
        while (ak.requests().length < mark + reads + k) await fetch(`${ak.apiUrl}/admin/version/`, { headers: { authorization: `Bearer ${TOKEN}` } });
        break;
      }
      assert.equal(r.status, "rolled-back", `k=${k}: ${JSON.stringify(r.steps)}`);
      assert.equal(snapshot(), was.ak, `k=${k}: authentik as before`);
      assert.equal(await caddyConfig(), was.caddy, `k=${k}: Caddy as before`);
    }
    assert.ok(k > 8, `only ${k - 1} failures injected`);
    assert.deepEqual((await engine.plan()).steps, []);
  });
});
