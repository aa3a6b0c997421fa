// The etcd store on a real three-member cluster, with members killed (SIGKILL) under it: the
// leader's death costs an election, not data; without a quorum writes fail with a clear error and
// nothing is lost; an apply lock whose lease cannot be renewed aborts its holder, and the holder's
// late writes are refused.
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { HecateError } from "../../src/diag.js";
import { acquire } from "../../src/engine/lock.js";
import { openEtcdStore, type EtcdStore } from "../../src/store/etcd.js";
import { startEtcd, type EtcdCluster } from "../helpers/etcd.js";
import { eventually } from "../helpers/proc.js";
import { route } from "./conformance.js";

describe("etcd store on a three-member cluster", () => {
  let cluster: EtcdCluster;
  let store: EtcdStore;
  let other: EtcdStore;
  const secretKey = randomBytes(32);
  const open = () => openEtcdStore({ endpoints: cluster.endpoints.split(","), prefix: "/hecate-cluster/", secretKey, timeoutMs: 3000 });
  before(async () => {
    cluster = await startEtcd(3);
    store = await open();
    other = await open();
  });
  after(async () => {
    await store?.close();
    await other?.close();
    await cluster?.stop();
  });

  const put = async (s: EtcdStore, name: string) => {
    const head = await s.head();
    return s.putRevision({ resources: [...(head?.resources ?? []), route(name)], author: "t", message: `add ${name}`, source: { type: "cli" }, expectedParent: head?.seq ?? 0 });
  };

  it("killing the leader costs an election, not a revision", async () => {
    await put(store, "one");
    await store.audit({ actor: "t", action: "revision.create", target: "one" });
    const leader = await cluster.leader();
    await cluster.kill(leader);
    // The client moves to a live member; the first writes may meet the election and fail cleanly.
    const two = (await eventually(() => put(store, "two").catch((e: unknown) => {
      assert.ok(e instanceof HecateError && e.code === "store-unavailable", String(e));
      return undefined;
    }), 30_000, 200))!;
    assert.equal(two.seq, 2);
    assert.deepEqual((await other.head())?.resources.map((r) => r.metadata.name), ["one", "two"]);
    assert.notEqual(await cluster.leader(), leader, "a new leader was elected");
    await cluster.restart(leader);
    assert.equal((await other.verifyAudit()).ok, true);
  });

  it("without a quorum writes fail with a clear error, and nothing is lost when the members return", async () => {
    const was = (await store.head())!;
    const down = [1, 2];
    for (const i of down) await cluster.kill(i);
    const t0 = Date.now();
    await assert.rejects(put(store, "lost"), (e: unknown) => {
      assert.ok(e instanceof HecateError, String(e));
      assert.equal(e.code, "store-unavailable");
      assert.equal(e.status, 503);
      assert.match(e.message, /majority of its members/);
      return true;
    });
    assert.ok(Date.now() - t0 < 20_000, "the write fails within its deadline, it does not hang");
    for (const i of down) await cluster.restart(i);
    const back = (await eventually(() => store.head().catch(() => undefined), 30_000, 200))!;
    assert.equal(back.seq, was.seq, "the refused write left nothing behind");
    assert.deepEqual(back.resources, was.resources);
    const next = (await eventually(() => put(store, "three").catch(() => undefined), 30_000, 200))!;
    assert.equal(next.seq, was.seq + 1);
  });

  it("a holder that cannot renew its lease is aborted, and its late writes are refused", async () => {
    const held = await acquire(store, "alice@elsewhere:1", { timeoutMs: 5000, ttlMs: 2000, renewEveryMs: 300, actor: "alice" });
    await store.beginApply({ applyId: "lease-1", revision: "h", holder: held.holder }, held.fence);
    // Cut the holder off: two of three members die, no renewal can succeed, the lease runs out.
    for (const i of [1, 2]) await cluster.kill(i);
    const aborted = await eventually(() => held.signal.aborted, 15_000, 100);
    assert.ok(aborted);
    assert.equal((held.signal.reason as HecateError).code, "lock-lost");
    for (const i of [1, 2]) await cluster.restart(i);
    // etcd keeps the lease's time across the outage; once it has expired, someone else can take it.
    const bob = (await eventually(async () => {
      const t = await other.tryLock("apply", "bob@elsewhere:2", 30_000).catch(() => undefined);
      return t?.acquired ? t : undefined;
    }, 30_000, 250))!;
    assert.ok(bob.lock.token > held.token);
    await assert.rejects(store.journal({ applyId: "lease-1", event: "late" }, held.fence), (e: unknown) => e instanceof HecateError && e.code === "fenced");
    assert.deepEqual(await other.readJournal("lease-1"), []);
    await held.release().catch(() => undefined);
    await other.unlock("apply", "bob@elsewhere:2");
  });
});
