// Three real Caddy nodes, each on a "machine" of its own (a network namespace: all three listen on
// the same port), Hecate's store on a real three-member etcd cluster:
// - a node killed (SIGKILL, by pid) in the middle of an apply: the others take the revision, and
//   once the node is back as a fresh empty Caddy, the reconcile leader (a real `hecate serve
//   --reconcile` process) brings it to the applied revision, audited, with no operator;
// - the etcd leader killed during an apply: the apply completes or is undone, never half;
// - two of three nodes down: plan and apply refuse, naming both, and nothing switches.
// Every claim is checked by traffic through each node, and by drift node by node.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { HecateError } from "../../src/diag.js";
import { CaddyClient } from "../../src/providers/caddy/client.js";
import { downNodes } from "../../src/engine/fleet.js";
import { createEngine, renderDrift, type Engine } from "../../src/engine/index.js";
import type { Resource } from "../../src/model/schema.js";
import { openEtcdStore, parseEtcdUrl, type EtcdStore } from "../../src/store/etcd.js";
import { startEtcd, type EtcdCluster } from "../helpers/etcd.js";
import { eventually, freePorts, startProcess, tempDir, type Proc } from "../helpers/proc.js";
import { startMachine, type Machine } from "./helpers.js";

const BIN = fileURLToPath(new URL("../../bin/hecate.js", import.meta.url));

describe("a fleet of three Caddy nodes on an etcd store", () => {
  const dir = tempDir("hecate-fleet-");
  const secretKey = randomBytes(32);
  let cluster: EtcdCluster;
  let store: EtcdStore;
  let engine: Engine;
  let machines: Machine[] = [];
  const procs: Proc[] = [];
  let httpPort: number;
  let httpsPort: number;
  let upstreamPort: number;

  before(async () => {
    [httpPort, httpsPort, upstreamPort] = (await freePorts(3)) as [number, number, number];
    cluster = await startEtcd(3);
    store = await openEtcdStore({ ...parseEtcdUrl(cluster.url("fleet")), secretKey, timeoutMs: 3000 });
    // A short apply lease: an apply cut off by the etcd election is abandoned within seconds.
    engine = createEngine({ store, actor: "operator", lease: { ttlMs: 3000, renewEveryMs: 1000 } });
    machines = await Promise.all(["m1", "m2", "m3"].map((n) => startMachine(n, dir.path, upstreamPort)));
  });
  after(async () => {
    for (const p of procs) await p.stop();
    await Promise.all(machines.map((m) => m.stop()));
    await store?.close();
    await cluster?.stop();
    dir.cleanup();
  });

  const settings = (): Resource =>
    ({
      apiVersion: "hecate.io/v1",
      kind: "Settings",
      metadata: { name: "settings" },
      spec: { caddy: { admin: machines.map((m) => m.admin), listen: [`127.0.0.1:${httpsPort}`], httpPort, httpsPort } },
    }) as Resource;
  const route = (name: string): Resource =>
    ({
      apiVersion: "hecate.io/v1",
      kind: "Route",
      metadata: { name },
      spec: { hosts: [`${name}.test`], upstreams: [{ address: `127.0.0.1:${upstreamPort}` }], public: true, tls: { mode: "off" } },
    }) as Resource;
  const revision = (...names: string[]) => [settings(), ...names.map(route)];

  /** What each machine's own Caddy answers for `host`: its upstream's name, or why not. */
  const through = (host: string) => Promise.all(machines.map(async (m) => ({ m: m.name, ...(await m.get(httpPort, host)) })));
  const serves = (host: string) => machines.map((m) => ({ m: m.name, status: 200, body: `upstream of ${m.name}` }));

  it("a node killed mid-apply: the others take the revision; back as a fresh Caddy, the reconcile leader brings it to it", async () => {
    await engine.commit(revision("a"), { message: "a" });
    assert.equal((await engine.apply()).status, "succeeded");
    assert.deepEqual(await through("a.test"), serves("a.test"));

    const b = await engine.commit(revision("a", "b"), { message: "b" });
    const loaded: string[] = [];
    const result = await engine.apply(
      {},
      {
        onEvent: async (e) => {
          if (e.type !== "change.done" || e.system !== "caddy") return;
          loaded.push(e.change.id);
          // The first node has switched: the second dies before its turn.
          if (loaded.length === 1) await machines[1]!.killCaddy();
        },
      },
    );
    assert.equal(result.status, "succeeded", JSON.stringify(result.steps));
    assert.deepEqual(loaded, [machines[0]!.admin, machines[2]!.admin], "the first and the third node took the revision");
    assert.equal((await store.lastApplied())?.hash, b.revision.hash);
    const [m1, m2, m3] = await through("b.test");
    assert.deepEqual([m1, m3], [serves("b.test")[0], serves("b.test")[2]]);
    assert.equal(m2!.status, 0, "the killed node serves nothing");

    // Drift, node by node: the down node is named, with what happens next.
    const drift = await engine.drift();
    const caddy = drift.systems.find((s) => s.system === "caddy")!;
    assert.deepEqual(caddy.nodes?.map((n) => [n.node, n.state]), [
      [machines[0]!.admin, "in-sync"],
      [machines[1]!.admin, "down"],
      [machines[2]!.admin, "in-sync"],
    ]);
    const text = renderDrift(drift, { color: false });
    assert.match(text, /caddy: 3 nodes, 1 down/);
    assert.match(text, new RegExp(`node ${machines[1]!.admin}: DOWN: cannot reach Caddy admin .*reconcile loop loads the revision into it once it answers`));

    // The reconcile leader: a real `hecate serve` on the same etcd, no operator from here on.
    const env = { ...process.env, HECATE_STORE: cluster.url("fleet"), HECATE_SECRET_KEY: secretKey.toString("base64") };
    const serve = startProcess(process.execPath, [BIN, "serve", "--listen", "127.0.0.1:0", "--reconcile", "1s", "--leader-ttl", "2s"], { env });
    procs.push(serve);
    await eventually(async () => (await store.listAudit({ limit: 20 })).some((a) => a.action === "fleet.node.down" && a.target === machines[1]!.admin), 30_000, 200);
    // Every process sees what the leader found (`hecate reconcile --status` prints it).
    assert.deepEqual(Object.keys(await downNodes(store)), [machines[1]!.admin]);

    // The machine's Caddy comes back empty (a replaced node): nothing persisted, no config.
    await machines[1]!.startCaddy();
    const backAt = Date.now();
    await eventually(async () => (await machines[1]!.get(httpPort, "b.test")).status === 200, 30_000, 100);
    console.log(`# the replaced node served the applied revision ${Date.now() - backAt} ms after it started (reconcile every 1 s)`);
    const caught = await eventually(async () => (await store.listAudit({ limit: 20 })).find((a) => a.action === "fleet.node.caught-up" && a.target === machines[1]!.admin), 10_000, 200);
    assert.equal((caught!.detail as { revision?: string }).revision, b.revision.hash);
    // The leader logs the catch-up after auditing it: wait for the line rather than race it.
    const broughtLine = new RegExp(`caddy node ${machines[1]!.admin.replace(/[/.]/g, "\\$&")} brought to revision ${b.revision.hash.slice(0, 12)}`);
    await eventually(async () => broughtLine.test(serve.output()), 10_000, 100).catch(() => undefined);
    assert.match(serve.output(), broughtLine);
    await serve.stop();
    assert.deepEqual(await downNodes(store), {}, "no node is down any more");

    // All three on the same revision: drift node by node, and traffic through each.
    const after = await engine.drift();
    assert.equal(after.drifted, false);
    assert.deepEqual(after.systems.find((s) => s.system === "caddy")!.nodes?.map((n) => n.state), ["in-sync", "in-sync", "in-sync"]);
    assert.deepEqual(await through("a.test"), serves("a.test"));
    assert.deepEqual(await through("b.test"), serves("b.test"));
  });

  it("the etcd leader killed during an apply: the apply completes or is undone, never half", async () => {
    const before = (await store.lastApplied())!;
    const c = await engine.commit(revision("a", "b", "c"), { message: "c" });
    const leader = await cluster.leader();
    let killed = false;
    const outcome = await engine
      .apply(
        {},
        {
          onEvent: async (e) => {
            if (killed || e.type !== "step.start" || e.system !== "caddy") return;
            killed = true;
            await cluster.kill(leader);
          },
        },
      )
      .then((r) => r.status, (e: unknown) => `error ${e instanceof HecateError ? e.code : String(e)}`);
    assert.ok(killed, "the leader was killed during the apply");
    await cluster.restart(leader);
    // Another Hecate (a new holder) recovers whatever the cut-off apply left, once its lease lapsed.
    const other = createEngine({ store, actor: "recovery" });
    await eventually(() => other.recover({ lockTimeoutMs: 10_000 }).then(() => true), 30_000, 500);
    const applied = (await store.lastApplied())!;
    assert.ok([before.hash, c.revision.hash].includes(applied.hash));
    assert.equal(applied.hash === c.revision.hash, outcome === "succeeded", `the apply said ${outcome}`);
    const drift = await other.drift();
    assert.equal(drift.drifted, false, renderDrift(drift, { color: false }));
    assert.deepEqual(drift.systems.find((s) => s.system === "caddy")!.nodes?.map((n) => n.state), ["in-sync", "in-sync", "in-sync"]);
    const cServed = await through("c.test");
    if (applied.hash === c.revision.hash) assert.deepEqual(cServed, serves("c.test"));
    else assert.ok(cServed.every((r) => r.status !== 200), JSON.stringify(cServed));
    assert.deepEqual(await through("b.test"), serves("b.test"));
    console.log(`# etcd leader killed during an apply: ${outcome}; every node on ${applied.hash === c.revision.hash ? "the new" : "the previous"} revision`);
  });

  it("two of three nodes down: plan and apply refuse, naming both, and the one up is not switched", async () => {
    await machines[1]!.killCaddy();
    await machines[2]!.killCaddy();
    await engine.commit(revision("a", "b", "c", "d"), { message: "d" });
    const refused = (e: unknown) => {
      assert.ok(e instanceof HecateError, String(e));
      assert.equal(e.code, "read-failed");
      assert.match(e.message, /^cannot read the current caddy state: 2 of 3 Caddy nodes did not answer, and a plan or an apply needs a majority \(2\) of them: /);
      for (const m of [machines[1]!, machines[2]!]) assert.ok(e.message.includes(`${m.admin}: cannot reach Caddy admin`), e.message);
      return true;
    };
    await assert.rejects(engine.plan(), refused);
    await assert.rejects(engine.apply(), refused);
    assert.notEqual((await machines[0]!.get(httpPort, "d.test")).status, 200, "the node up did not switch");
    // Both come back empty; one apply brings all three to the revision.
    await machines[1]!.startCaddy();
    await machines[2]!.startCaddy();
    assert.equal((await engine.apply()).status, "succeeded");
    assert.deepEqual(await through("d.test"), serves("d.test"));
  });

  it("a node back with an older revision (its config resumed) is brought to the applied one by an unattended reconcile, deletes included", async () => {
    const third = new CaddyClient(machines[2]!.admin);
    const old = await third.getConfig();
    await machines[2]!.killCaddy();
    await engine.commit(revision("a", "b", "c"), { message: "without d" });
    assert.equal((await engine.apply()).status, "succeeded");
    // As `caddy run --resume` would: the node comes back with the config it had.
    await machines[2]!.startCaddy();
    await third.load(old.config);
    assert.equal((await machines[2]!.get(httpPort, "d.test")).status, 200, "the stale node still serves d");
    // The reconcile loop never deletes (maxDeletes 0); deletes only this node needs are no exception to guard.
    const plan = await engine.plan({ revision: "applied" });
    const deletes = plan.steps.flatMap((st) => st.changes).filter((c) => c.action === "delete");
    assert.ok(deletes.length > 0 && deletes.every((c) => JSON.stringify(c.nodes) === JSON.stringify([machines[2]!.admin])), JSON.stringify(deletes));
    assert.equal((await engine.reconcile({ maxDeletes: 0 })).status, "succeeded");
    assert.deepEqual((await through("d.test")).map((r) => r.status === 200), [false, false, false]);
    assert.deepEqual(await through("c.test"), serves("c.test"));
  });
});
