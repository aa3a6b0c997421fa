// The Caddy provider against a real Caddy 2.6.2: ownership, no-op applies, concurrent edits, rejection, undo.
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { HecateError } from "../../src/diag.js";
import { CaddyClient } from "../../src/providers/caddy/client.js";
import { canonical } from "../../src/providers/caddy/owned.js";
import { createCaddyProvider, type CaddyActual } from "../../src/providers/caddy/provider.js";
import type { Provider } from "../../src/providers/provider.js";
import type { CaddyOwned } from "../../src/compile/caddy/index.js";
import { freePorts } from "../helpers/proc.js";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { applyBatch } from "../helpers/apply.js";
import { findById, get, startCaddy, type Caddy } from "./caddy.js";
import { route, secrets, settings, state } from "./fixtures.js";

const PASSWORD_HASH = execFileSync("caddy", ["hash-password", "--plaintext", "open sesame"]).toString().trim();
const resolver = () => secrets({ "secret:login": PASSWORD_HASH });

async function expectError(p: Promise<unknown>, code: string): Promise<HecateError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof HecateError, String(e));
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected HecateError ${code}`);
}

describe("caddy provider", () => {
  let up1: Upstream, up2: Upstream;
  let caddy: Caddy;
  let httpPort: number, legacyPort: number;
  let provider: Provider<CaddyOwned, CaddyActual>;
  let client: CaddyClient;
  const legacy = () => ({ listen: [`127.0.0.1:${legacyPort}`], routes: [{ handle: [{ handler: "static_response", body: "legacy" }] }], automatic_https: { disable: true } });
  const plan = async () => {
    const actual = await provider.read({ secrets: resolver() });
    return { actual, changes: (d: CaddyOwned) => provider.diff(d, actual) };
  };
  const desiredFor = (routes: Parameters<typeof route>[0][]) => {
    const { desired, diagnostics } = provider.compile(state(settings({ admin: [caddy.admin], httpPort }), routes.map(route)));
    assert.deepEqual(diagnostics.filter((d) => d.severity === "error"), []);
    return desired;
  };

  before(async () => {
    [up1, up2] = await Promise.all([startUpstream("one"), startUpstream("two")]);
  });
  after(async () => {
    await Promise.all([up1?.close(), up2?.close()]);
  });
  beforeEach(async () => {
    [httpPort, legacyPort] = (await freePorts(2)) as [number, number];
    caddy = await startCaddy({ config: { apps: { http: { servers: { legacy: legacy() } } } } });
    provider = createCaddyProvider(settings({ admin: [caddy.admin], httpPort }).caddy);
    client = new CaddyClient(caddy.admin);
  });
  afterEach(async () => {
    await caddy?.stop();
  });

  it("applies routes, serves them, and leaves hand-made config exactly as it was", async () => {
    const v1 = desiredFor([{ name: "app", hosts: ["app.test"], upstream: up1.address }]);
    let p = await plan();
    const first = p.changes(v1);
    assert.ok(first.some((c) => c.action === "create" && c.kind === "route" && c.id === "hecate-route-app" && c.resource === "Route/app"), JSON.stringify(first.map((c) => c.id)));
    assert.ok(first.some((c) => c.action === "create" && c.kind === "server" && c.id === "hecate-http"));
    assert.ok(!first.some((c) => c.id === "legacy"), "a server Hecate does not own is not in the plan");
    await applyBatch(provider, v1, p.actual, first, { secrets: resolver() });
    assert.equal((await get(httpPort, "app.test")).headers["x-upstream"], "one");

    // Someone adds routes by hand to Hecate's server through the admin API: one in front (PUT
    // inserts at an index; Hecate's server ends in a catch-all 404), one at the end (POST appends).
    const hand = { match: [{ host: ["hand.test"] }], handle: [{ handler: "static_response", body: "by hand" }], terminal: true };
    const tail = { match: [{ host: ["tail.test"] }], handle: [{ handler: "static_response", body: "tail" }], terminal: true };
    const json = { "Content-Type": "application/json" };
    let res = await client.request("PUT", "/config/apps/http/servers/hecate-http/routes/0", JSON.stringify(hand), json);
    assert.equal(res.status, 200, res.body);
    res = await client.request("POST", "/config/apps/http/servers/hecate-http/routes", JSON.stringify(tail), json);
    assert.equal(res.status, 200, res.body);
    assert.equal((await get(httpPort, "hand.test")).body, "by hand");

    const v2 = desiredFor([
      { name: "app", hosts: ["app.test"], upstream: up2.address },
      { name: "blog", hosts: ["blog.test"], upstream: up1.address },
    ]);
    p = await plan();
    const second = p.changes(v2);
    const app = second.find((c) => c.id === "hecate-route-app");
    assert.equal(app?.action, "update");
    assert.ok(app?.fields?.some((f) => f.path.endsWith("upstreams.0.dial") && f.before === up1.address && f.after === up2.address), JSON.stringify(app?.fields));
    assert.ok(second.some((c) => c.action === "create" && c.id === "hecate-route-blog"));
    assert.ok(!second.some((c) => c.action === "delete"), "the hand-made route is not Hecate's to delete");
    await applyBatch(provider, v2, p.actual, second, { secrets: resolver() });

    assert.equal((await get(httpPort, "app.test")).headers["x-upstream"], "two");
    assert.equal((await get(httpPort, "blog.test")).headers["x-upstream"], "one");
    assert.equal((await get(httpPort, "hand.test")).body, "by hand");
    assert.equal((await get(legacyPort, "anything")).body, "legacy");
    const live = (await client.getConfig()).config as { apps: { http: { servers: Record<string, { routes: unknown[] }> } } };
    assert.deepEqual(live.apps.http.servers["legacy"], legacy());
    const routes = live.apps.http.servers["hecate-http"]!.routes;
    assert.deepEqual(routes[0], hand, "the hand-made route in front is kept verbatim, in front");
    assert.deepEqual(routes[routes.length - 1], tail, "the appended one is kept verbatim, at the end");
    assert.equal(routes.length, 2 + (v2.apps.http.servers["hecate-http"]!.routes.length));
    assert.deepEqual(await provider.verify(v2, [], { secrets: resolver() }), []);
    // Deleting a Hecate route shows as a delete and leaves the hand-made one alone.
    const v3 = desiredFor([{ name: "blog", hosts: ["blog.test"], upstream: up1.address }]);
    p = await plan();
    const third = p.changes(v3);
    assert.ok(third.some((c) => c.action === "delete" && c.id === "hecate-route-app"));
    await applyBatch(provider, v3, p.actual, third, { secrets: resolver() });
    const gone = await get(httpPort, "app.test");
    assert.equal(gone.headers["x-upstream"], undefined, "app.test no longer reaches an upstream");
    assert.equal(gone.body, "");
    assert.equal((await get(httpPort, "hand.test")).body, "by hand");
  });

  it("a second apply of the same state is a no-op: empty plan, no reload, secrets never read back", async () => {
    const v1 = desiredFor([
      { name: "app", hosts: ["app.test"], upstream: up1.address },
      { name: "private", hosts: ["private.test"], upstream: up2.address, basicAuth: { username: "ops", passwordHash: "secret:login" } },
    ]);
    const res = resolver();
    let p = await plan();
    const record = await applyBatch(provider, v1, p.actual, p.changes(v1), { secrets: res });
    assert.deepEqual(res.asked, ["secret:login"], "secrets are resolved at apply");
    assert.deepEqual(record.map((r) => r.change.id), [caddy.admin], "one node, reloaded");
    assert.equal((await get(httpPort, "private.test")).status, 401);

    const loads = await caddy.settledLoads();
    const etag = (await client.getConfig()).etag;
    const readRes = resolver();
    p = await plan();
    assert.deepEqual(p.changes(v1), [], "no phantom diff after apply");
    assert.ok(!JSON.stringify(p.actual).includes(PASSWORD_HASH.slice(10)), "read never returns the password hash");
    assert.ok(!JSON.stringify(p.actual).includes(Buffer.from(PASSWORD_HASH).toString("base64").slice(10)), "nor its base64 form");
    assert.deepEqual(readRes.asked, []);
    const again = await applyBatch(provider, v1, p.actual, [], { secrets: resolver() });
    assert.deepEqual(again, [], "nothing loaded, nothing to undo");
    assert.equal(await caddy.settledLoads(), loads, "Caddy was not reloaded");
    assert.equal((await client.getConfig()).etag, etag);
    // A plan saved to disk and applied by another process (no cached config) is a no-op too.
    const saved = JSON.parse(JSON.stringify(p.actual)) as CaddyActual;
    await applyBatch(createCaddyProvider(settings({ admin: [caddy.admin], httpPort }).caddy), v1, saved, [], { secrets: resolver() });
    assert.equal(await caddy.settledLoads(), loads);
  });

  it("refuses to apply when Caddy's config changed since it was read (412), and changes nothing", async () => {
    const v1 = desiredFor([{ name: "app", hosts: ["app.test"], upstream: up1.address }]);
    const p = await plan();
    const saved = JSON.parse(JSON.stringify(p.actual)) as CaddyActual;
    // A hand edit lands between plan and apply.
    const r = await client.request("POST", "/config/apps/http/servers/legacy/routes", JSON.stringify({ handle: [{ handler: "static_response", body: "edited" }] }), {
      "Content-Type": "application/json",
    });
    assert.equal(r.status, 200);
    const edited = await client.getConfig();
    const err = await expectError(applyBatch(provider, v1, p.actual, p.changes(v1), { secrets: resolver() }), "caddy-changed");
    assert.match(err.message, /Caddy's config changed since it was read: re-run plan/);
    await expectError(applyBatch(createCaddyProvider(settings({ admin: [caddy.admin], httpPort }).caddy), v1, saved, [], { secrets: resolver() }), "caddy-changed");
    const now = await client.getConfig();
    assert.equal(now.etag, edited.etag, "nothing was changed");
    await assert.rejects(get(httpPort, "app.test"), /ECONNREFUSED/);
  });

  it("a config Caddy rejects becomes a caddy-rejected error with Caddy's message, and the old config keeps serving", async () => {
    const v1 = desiredFor([{ name: "app", hosts: ["app.test"], upstream: up1.address }]);
    let p = await plan();
    await applyBatch(provider, v1, p.actual, p.changes(v1), { secrets: resolver() });
    const before = await client.getConfig();
    const bad = structuredClone(v1);
    bad.apps.http.servers["hecate-http"]!.routes.unshift({ "@id": "hecate-broken", handle: [{ handler: "no_such_handler" }] });
    p = await plan();
    const err = await expectError(applyBatch(provider, bad, p.actual, p.changes(bad), { secrets: resolver() }), "caddy-rejected");
    assert.match(err.message, /no_such_handler/);
    assert.equal(err.diagnostics[0]?.code, "caddy-rejected");
    assert.match(err.diagnostics[0]?.message ?? "", /no_such_handler/);
    assert.equal((await client.getConfig()).etag, before.etag);
    for (let i = 0; i < 5; i++) assert.equal((await get(httpPort, "app.test")).headers["x-upstream"], "one");
  });

  it("undo restores the previous config, from a journaled record, and is safe to repeat", async () => {
    const v1 = desiredFor([
      { name: "app", hosts: ["app.test"], upstream: up1.address },
      { name: "blog", hosts: ["blog.test"], upstream: up1.address },
    ]);
    let p = await plan();
    await applyBatch(provider, v1, p.actual, p.changes(v1), { secrets: resolver() });
    const afterV1 = await client.getConfig();
    // Two routes change: more than PATCH /id/ is used for, so one whole-config swap.
    const v2 = desiredFor([
      { name: "app", hosts: ["app.test"], upstream: up2.address },
      { name: "blog", hosts: ["blog.test"], upstream: up2.address },
    ]);
    p = await plan();
    assert.equal(p.changes(v2).length, 2);
    const record = await applyBatch(provider, v2, p.actual, p.changes(v2), { secrets: resolver() });
    assert.deepEqual(record.map((r) => [r.change.kind, r.change.id]), [["config", caddy.admin]]);
    assert.equal((await get(httpPort, "app.test")).headers["x-upstream"], "two");

    const journaled = JSON.parse(JSON.stringify(record[0]));
    const other = createCaddyProvider(settings({ admin: [caddy.admin], httpPort }).caddy);
    await other.undo(journaled, { secrets: resolver() });
    assert.equal(canonical((await client.getConfig()).config), canonical(afterV1.config));
    assert.equal((await get(httpPort, "app.test")).headers["x-upstream"], "one");
    const loads = await caddy.settledLoads();
    await other.undo(journaled, { secrets: resolver() });
    assert.equal(await caddy.settledLoads(), loads, "second undo changes nothing");

    // Undo never overwrites an edit someone made after Hecate's apply.
    p = await plan();
    const record3 = await applyBatch(provider, v2, p.actual, p.changes(v2), { secrets: resolver() });
    const r = await client.request("POST", "/config/apps/http/servers/legacy/routes", JSON.stringify({ handle: [{ handler: "static_response", body: "later" }] }), {
      "Content-Type": "application/json",
    });
    assert.equal(r.status, 200);
    const edited = await client.getConfig();
    await expectError(provider.undo(record3[0]!, { secrets: resolver() }), "caddy-undo-failed");
    assert.equal((await client.getConfig()).etag, edited.etag);
  });

  describe("a one-route change: guarded PATCH /id/ instead of the whole-config swap", () => {
    const PRIVATE = { name: "private", hosts: ["private.test"], upstream: "", basicAuth: { username: "ops", passwordHash: "secret:login" } };
    const v = (appUpstream: string, privateUpstream = up1.address) =>
      desiredFor([
        { name: "app", hosts: ["app.test"], upstream: appUpstream },
        { name: "blog", hosts: ["blog.test"], upstream: up1.address },
        { ...PRIVATE, upstream: privateUpstream },
      ]);
    const objectText = async (id: string) => (await client.getById(id))?.text;
    /** Someone edits an object by hand through the admin API. */
    const handEdit = async (id: string, from: string, to: string) => {
      const o = await client.getById(id);
      assert.ok(o && o.text.includes(from), `${id} holds ${from}`);
      await client.patchById(id, o.text.replace(from, to), o.etag);
    };
    const setUp = async () => {
      const v1 = v(up1.address);
      const p = await plan();
      const records = await applyBatch(provider, v1, p.actual, p.changes(v1), { secrets: resolver() });
      assert.deepEqual(records.map((r) => r.change.kind), ["config"], "a first apply (creates) is a whole-config swap");
      return v1;
    };

    it("patches only that route, reports it per node with the previous object, and verify passes", async () => {
      await setUp();
      const blogBefore = await objectText("hecate-route-blog");
      const configBefore = await client.getConfig();
      const v2 = v(up1.address, up2.address); // the route with a secret in it changes
      const p = await plan();
      const changes = p.changes(v2);
      // Basic auth wraps the rest of the chain in a subroute (compile/caddy/route.ts authWrap):
      // the object patched is the route's own one holding its reverse_proxy, below hecate-route-private.
      const id = changes[0]?.id ?? "";
      assert.ok(id === "hecate-route-private" || id.startsWith("hecate-route-private_"), id);
      assert.deepEqual(changes.map((c) => [c.action, c.kind, c.resource]), [["update", "route", "Route/private"]]);
      const privBefore = (await objectText(id))!.replace(/\n$/, "");
      const loads = await caddy.settledLoads();
      const records = await applyBatch(provider, v2, p.actual, changes, { secrets: resolver() });
      assert.equal(records.length, 1);
      const rec = records[0]!;
      assert.deepEqual(rec.change, { system: "caddy", action: "update", kind: "route", id, resource: "Route/private" });
      assert.deepEqual(rec.ids, { endpoint: caddy.admin });
      assert.equal(rec.sensitive, true, "the previous object holds the resolved password hash");
      const undo = rec.undo as { previous: unknown; sentHash: string };
      assert.equal(canonical(undo.previous), canonical(findById(configBefore.config, id)));
      assert.equal(await caddy.settledLoads(), loads + 1, "one reload");
      // Only that object changed: every other byte of the config is as before.
      const now = await client.getConfig();
      const privNow = (await objectText(id))!.replace(/\n$/, "");
      assert.notEqual(privNow, privBefore);
      assert.equal(now.text!.replace(privNow, "X"), configBefore.text!.replace(privBefore, "X"));
      assert.equal(await objectText("hecate-route-blog"), blogBefore);
      assert.ok(privNow.includes(Buffer.from(PASSWORD_HASH).toString("base64")) || privNow.includes(PASSWORD_HASH), "the secret was resolved in what was sent");
      assert.equal((await get(httpPort, "private.test")).status, 401);
      assert.equal((await get(httpPort, "app.test")).headers["x-upstream"], "one");
      assert.equal((rec.undo as { guard?: string }).guard, "config", "guarded by the whole config's Etag from the plan's read");
      assert.deepEqual(await provider.verify(v2, records, { secrets: resolver() }), []);
      assert.deepEqual(await provider.verify(v2, [], { secrets: resolver() }), [], "the structural verify agrees");
      // The fast path held: the object reads back as the bytes sent, so verify did not diff (a
      // different desired state goes unnoticed, which a diff would report). A record whose
      // object does not read back so falls back to the whole read and the diff.
      const other = v(up2.address, up2.address);
      assert.deepEqual(await provider.verify(other, records, { secrets: resolver() }), []);
      const wrong = [{ ...rec, undo: { ...(rec.undo as object), sentHash: "0".repeat(64) } }];
      assert.deepEqual(await provider.verify(v2, wrong, { secrets: resolver() }), []);
      assert.match((await provider.verify(other, wrong, { secrets: resolver() })).map((d) => d.message).join("; "), /route hecate-route-app differs/);
      // Without a guard it can rely on, verify reads the whole config and diffs it.
      const objectGuarded = [{ ...rec, undo: { ...(rec.undo as object), guard: undefined } }];
      assert.match((await provider.verify(other, objectGuarded, { secrets: resolver() })).map((d) => d.message).join("; "), /route hecate-route-app differs/);
      assert.deepEqual((await plan()).changes(v2), [], "no phantom diff after a PATCH");
      // The patched route no longer holds what was sent (edited since): the structural diff runs
      // and finds it.
      await handEdit("hecate-route-private", up2.address, "127.0.0.1:9");
      const verdict = await provider.verify(v2, records, { secrets: resolver() });
      assert.match(verdict.map((d) => d.message).join("; "), /route hecate-route-private(_[0-9_]+)? differs/);
      // Another route edited after the apply is drift for the next plan; with the object-guarded
      // record, verify's whole read finds it.
      await handEdit("hecate-route-blog", up1.address, "127.0.0.1:9");
      assert.match((await provider.verify(v2, objectGuarded, { secrets: resolver() })).map((d) => d.message).join("; "), /route hecate-route-blog differs/);
    });

    it("a read after the PATCH of exactly the bytes it left reuses the parse, equal to a cold read", async () => {
      await setUp();
      // One engine's memory across calls (ProviderContext.memo): plan, apply, plan again.
      const memo = new Map<string, unknown>();
      const ctx = () => ({ secrets: resolver(), memo });
      for (const [k, v2] of [v(up1.address, up2.address), v(up2.address, up2.address), v(up2.address, up1.address)].entries()) {
        const before = await provider.read(ctx());
        before.fingerprint(); // so the canonical text of the owned part is carried through the PATCH
        const changes = provider.diff(v2, before);
        assert.equal(changes.length, 1, `step ${k}: one route`);
        const records = await applyBatch(provider, v2, before, changes, ctx());
        assert.deepEqual(records.map((r) => r.change.kind), ["route"], `step ${k}: PATCH`);
        assert.deepEqual(await provider.verify(v2, records, ctx()), []);
        const text = (await client.getConfigText()).text;
        assert.equal((memo.get(`caddy.read ${caddy.admin}`) as { text: string }).text, text, `step ${k}: the memo holds the text Caddy now answers`);
        const warm = await provider.read(ctx());
        const cold = await provider.read({ secrets: resolver() });
        assert.equal(canonical(warm.owned), canonical(cold.owned), `step ${k}: owned part`);
        assert.equal(canonical(warm.live()[0]!.config), canonical(cold.live()[0]!.config), `step ${k}: whole config`);
        assert.equal(warm.fingerprint(), cold.fingerprint(), `step ${k}: fingerprint`);
        assert.deepEqual(provider.diff(v2, warm), [], `step ${k}: no phantom diff`);
        assert.deepEqual(provider.diff(v2, cold), []);
      }
    });

    it("refuses with caddy-changed when the route was edited between plan and apply, and changes nothing", async () => {
      await setUp();
      const v2 = v(up2.address);
      const p = await plan();
      const saved = JSON.parse(JSON.stringify(p.actual)) as CaddyActual;
      // A hand edit of that very route: its upstream moved elsewhere.
      await handEdit("hecate-route-app", up1.address, "127.0.0.1:9");
      const edited = await client.getConfig();
      const loads = await caddy.settledLoads();
      const err = await expectError(applyBatch(provider, v2, p.actual, p.changes(v2), { secrets: resolver() }), "caddy-changed");
      assert.match(err.message, /changed since it was read: re-run plan/);
      // A saved plan (its live configs gone) compares the normalized route: refused too.
      await expectError(applyBatch(createCaddyProvider(settings({ admin: [caddy.admin], httpPort }).caddy), v2, saved, p.changes(v2), { secrets: resolver() }), "caddy-changed");
      assert.equal((await client.getConfig()).text, edited.text, "nothing was changed");
      assert.equal(await caddy.settledLoads(), loads, "no reload");
    });

    it("an edit of another route between plan and apply refuses the PATCH (the whole config's Etag guards it)", async () => {
      await setUp();
      const v2 = v(up2.address);
      const p = await plan();
      await handEdit("hecate-route-blog", '"terminal":true', '"terminal":false');
      const edited = await client.getConfig();
      const loads = await caddy.settledLoads();
      await expectError(applyBatch(provider, v2, p.actual, p.changes(v2), { secrets: resolver() }), "caddy-changed");
      assert.equal((await client.getConfig()).text, edited.text, "nothing was changed");
      assert.equal(await caddy.settledLoads(), loads, "no reload");
      assert.equal((await get(httpPort, "app.test")).headers["x-upstream"], "one");
    });

    it("a saved plan applies by PATCH too, guarded by the route's own Etag; an edit of another route does not stop it", async () => {
      await setUp();
      const v2 = v(up2.address);
      const p = await plan();
      const saved = JSON.parse(JSON.stringify(p.actual)) as CaddyActual;
      await handEdit("hecate-route-blog", '"terminal":true', '"terminal":false');
      const blogEdited = await objectText("hecate-route-blog");
      const records = await applyBatch(createCaddyProvider(settings({ admin: [caddy.admin], httpPort }).caddy), v2, saved, p.changes(v2), { secrets: resolver() });
      assert.deepEqual(records.map((r) => [r.change.kind, r.change.id]), [["route", "hecate-route-app"]]);
      assert.equal((await get(httpPort, "app.test")).headers["x-upstream"], "two");
      assert.equal(await objectText("hecate-route-blog"), blogEdited, "the other route's edit is left alone");
    });

    it("undo from a journaled record restores the route, is safe twice, and refuses once the route was edited", async () => {
      const v1 = await setUp();
      const afterV1 = await client.getConfig();
      const v2 = v(up2.address);
      let p = await plan();
      const records = await applyBatch(provider, v2, p.actual, p.changes(v2), { secrets: resolver() });
      assert.deepEqual(records.map((r) => [r.change.kind, r.change.id]), [["route", "hecate-route-app"]]);
      assert.equal((await get(httpPort, "app.test")).headers["x-upstream"], "two");

      const journaled = JSON.parse(JSON.stringify(records[0]));
      const other = createCaddyProvider(settings({ admin: [caddy.admin], httpPort }).caddy);
      await other.undo(journaled, { secrets: resolver() });
      assert.equal((await client.getConfig()).text, afterV1.text, "the node holds exactly what it held before");
      assert.equal((await get(httpPort, "app.test")).headers["x-upstream"], "one");
      const loads = await caddy.settledLoads();
      await other.undo(journaled, { secrets: resolver() });
      assert.equal(await caddy.settledLoads(), loads, "second undo changes nothing");
      assert.deepEqual((await plan()).changes(v1), []);

      // An edit of the route after the apply: undo refuses and leaves it.
      p = await plan();
      const again = await applyBatch(provider, v2, p.actual, p.changes(v2), { secrets: resolver() });
      await handEdit("hecate-route-app", up2.address, "127.0.0.1:9");
      const edited = await client.getConfig();
      const err = await expectError(provider.undo(again[0]!, { secrets: resolver() }), "caddy-undo-failed");
      assert.match(err.message, /route hecate-route-app on Caddy .*changed by someone else/);
      assert.equal((await client.getConfig()).text, edited.text);
      // Gone altogether: refused too, naming the request that found it missing.
      await client.call("DELETE", "/id/hecate-route-app");
      await expectError(provider.undo(again[0]!, { secrets: resolver() }), "caddy-undo-failed");
    });
  });
});

