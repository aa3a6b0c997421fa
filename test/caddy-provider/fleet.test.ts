// A fleet of two real Caddy nodes: apply to all, disagreement is reported, a config the second would refuse is refused before any node switches.
import { afterEach, after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { HecateError } from "../../src/diag.js";
import { CaddyClient } from "../../src/providers/caddy/client.js";
import { canonical } from "../../src/providers/caddy/owned.js";
import { createCaddyProvider } from "../../src/providers/caddy/provider.js";
import type { ChangeRecord } from "../../src/providers/provider.js";
import { freePort } from "../helpers/proc.js";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { applyBatch } from "../helpers/apply.js";
import { get, startCaddy, type Caddy } from "./caddy.js";
import { route, secrets, settings, state } from "./fixtures.js";

const ctx = () => ({ secrets: secrets({}) });

describe("caddy provider, fleet of two nodes", () => {
  let up: Upstream;
  let nodes: Caddy[] = [];
  before(async () => {
    up = await startUpstream("one");
  });
  after(async () => {
    await up?.close();
  });
  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    nodes = [];
  });

  it("applies to every node (one over a unix socket in its own network namespace), reports nodes that disagree", async () => {
    // The second node runs in its own network namespace so both can listen on the same port.
    nodes = await Promise.all([startCaddy(), startCaddy({ unix: true, netns: true })]);
    const httpPort = await freePort();
    const s = settings({ admin: nodes.map((n) => n.admin), httpPort });
    const provider = createCaddyProvider(s.caddy);
    const { desired } = provider.compile(state(s, [route({ name: "app", hosts: ["app.test"], upstream: up.address })]));
    const actual = await provider.read(ctx());
    assert.deepEqual(actual.nodes.map((n) => n.endpoint), nodes.map((n) => n.admin));
    const record = await applyBatch(provider, desired, actual, provider.diff(desired, actual), ctx());
    assert.deepEqual(record.map((r) => r.change.id), nodes.map((n) => n.admin), "each node reported as it took the config");
    assert.equal((await get(httpPort, "app.test")).headers["x-upstream"], "one");
    assert.deepEqual(await provider.verify(desired, [], ctx()), []);
    const again = await provider.read(ctx());
    assert.deepEqual(provider.diff(desired, again), []);
    assert.deepEqual(again.diagnostics, []);

    // Someone deletes Hecate's route on the second node only.
    const second = new CaddyClient(nodes[1]!.admin);
    const del = await second.request("DELETE", "/id/hecate-route-app");
    assert.equal(del.status, 200, del.body);
    const drifted = await provider.read(ctx());
    assert.equal(drifted.diagnostics[0]?.code, "caddy-fleet-disagree");
    assert.match(drifted.diagnostics[0]?.message ?? "", new RegExp(`${nodes[1]!.admin}.*hecate-route-app`));
    const problems = await provider.verify(desired, [], ctx());
    assert.ok(problems.length >= 1);
    assert.ok(problems.every((p) => p.severity === "error" && p.message.startsWith(`Caddy ${nodes[1]!.admin}: `)), JSON.stringify(problems));
    assert.ok(problems.some((p) => p.message.endsWith("route hecate-route-app is missing") && p.address === "Route/app"), JSON.stringify(problems));
    // The plan names the node: one change, for the second node only; node by node for drift.
    const changes = provider.diff(desired, drifted);
    assert.ok(changes.some((c) => c.action === "create" && c.id === "hecate-route-app"), JSON.stringify(changes));
    assert.ok(changes.every((c) => JSON.stringify(c.nodes) === JSON.stringify([nodes[1]!.admin])), "every change is for the second node only");
    assert.deepEqual(provider.nodes!(changes, drifted), [
      { node: nodes[0]!.admin, state: "in-sync" },
      { node: nodes[1]!.admin, state: "behind", changes: changes.length },
    ]);
    // Applying again repairs the second node only.
    const repair = await applyBatch(provider, desired, drifted, [], ctx());
    assert.deepEqual(repair.map((r) => r.change.id), [nodes[1]!.admin], "only the second node reloaded");
    assert.deepEqual(await provider.verify(desired, [], ctx()), []);
  });

  it("a config the second node would refuse is found by validating every node first: no node switches", async () => {
    // On the second node only, a server Hecate does not own already listens on Hecate's port:
    // Caddy rejects a config where two servers claim one address. (Two *processes* on one port
    // is no failure: Caddy 2.6 listens with SO_REUSEPORT.)
    const httpPort = await freePort();
    const legacy = { listen: [`127.0.0.1:${httpPort}`], routes: [{ handle: [{ handler: "static_response", body: "legacy" }] }], automatic_https: { disable: true } };
    nodes = await Promise.all([startCaddy(), startCaddy({ config: { apps: { http: { servers: { legacy } } } } })]);
    const s = settings({ admin: nodes.map((n) => n.admin), httpPort });
    const provider = createCaddyProvider(s.caddy);
    const clients = nodes.map((n) => new CaddyClient(n.admin));
    const before = await Promise.all(clients.map((c) => c.getConfig()));
    const { desired } = provider.compile(state(s, [route({ name: "app", hosts: ["app.test"], upstream: up.address })]));
    const actual = await provider.read(ctx());
    let error: unknown;
    const reported: ChangeRecord[] = [];
    try {
      await provider.apply({ desired, actual, changes: provider.diff(desired, actual), phase: "all" }, { ...ctx(), report: async (r) => void reported.push(r) });
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof HecateError, String(error));
    assert.equal(error.code, "caddy-invalid");
    assert.match(error.message, new RegExp(`node ${nodes[1]!.admin}: .*listener address repeated.*no node was changed`));
    assert.ok(!error.message.includes(`${nodes[0]!.admin}:`), "the first node's config is valid, so it is not named");
    assert.deepEqual(reported, [], "no node switched");
    const now = await Promise.all(clients.map((c) => c.getConfig()));
    assert.equal(canonical(now[0]!.config), canonical(before[0]!.config), "first node unchanged");
    assert.equal(canonical(now[1]!.config), canonical(before[1]!.config), "second node unchanged");
    assert.deepEqual(await Promise.all(nodes.map((n) => n.settledLoads())), [1, 1], "neither node reloaded");
    // Only the second node's own server answers on that port now; node one does not serve Hecate's route.
    for (let i = 0; i < 5; i++) assert.equal((await get(httpPort, "app.test")).body, "legacy");
  });

  it("a one-route change is PATCHed on every node, one record per node; a node that lost the route refuses it before any write", async () => {
    nodes = await Promise.all([startCaddy(), startCaddy()]);
    const httpPort = await freePort();
    const s = settings({ admin: nodes.map((n) => n.admin), httpPort });
    const provider = createCaddyProvider(s.caddy);
    const clients = nodes.map((n) => new CaddyClient(n.admin));
    const compile = (port: string) =>
      provider.compile(state(s, [route({ name: "app", hosts: ["app.test"], upstream: up.address }), route({ name: "other", hosts: ["other.test"], upstream: `127.0.0.1:${port}` })])).desired;
    const v1 = compile("9");
    let actual = await provider.read(ctx());
    await applyBatch(provider, v1, actual, provider.diff(v1, actual), ctx());
    const v2 = compile("10");
    actual = await provider.read(ctx());
    const records = await applyBatch(provider, v2, actual, provider.diff(v2, actual), ctx());
    assert.deepEqual(
      records.map((r) => [r.change.kind, r.change.id, r.ids?.["endpoint"]]),
      nodes.map((n) => ["route", "hecate-route-other", n.admin]),
    );
    assert.deepEqual(await provider.verify(v2, records, ctx()), []);
    for (const c of clients) assert.match(JSON.stringify((await c.getById("hecate-route-other"))?.value), /127\.0\.0\.1:10"/);

    // Planned while both agree; then the route disappears from the second node.
    const v3 = compile("11");
    actual = await provider.read(ctx());
    const changes = provider.diff(v3, actual);
    assert.equal(changes.length, 1);
    await clients[1]!.call("DELETE", "/id/hecate-route-other");
    const before = await Promise.all(clients.map((c) => c.getConfigText()));
    // Every node is read before the first PATCH: the first node is not written either.
    await assert.rejects(applyBatch(provider, v3, actual, changes, ctx()), (e: unknown) => e instanceof HecateError && e.code === "caddy-changed" && e.message.includes("GET /id/hecate-route-other finds no such object"));
    assert.deepEqual(await Promise.all(clients.map((c) => c.getConfigText())), before);
  });
});
