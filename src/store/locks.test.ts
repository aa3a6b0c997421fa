// Locks with expiry, seen through two store instances on one file (as two processes would).
import { strict as assert } from "node:assert";
import { before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { twoStores } from "../../test/helpers/stores.js";
import type { SqliteStore } from "./sqlite.js";

describe("locks", () => {
  const stores = twoStores("hecate-locks-");
  let a: SqliteStore;
  let b: SqliteStore;
  before(() => ({ a, b } = stores));

  it("the second taker sees the holder", async () => {
    assert.equal((await a.tryLock("apply", "alice@host:1", 60_000)).acquired, true);
    const held = await b.tryLock("apply", "bob@host:2", 60_000);
    assert.equal(held.acquired, false);
    assert.equal(held.lock.holder, "alice@host:1");
    assert.equal(held.lock.name, "apply");
    assert.ok(Date.parse(held.lock.expiresAt) > Date.now() + 50_000);
    assert.equal((await b.getLock("apply"))?.holder, "alice@host:1");
    // Another lock name is independent.
    assert.equal((await b.tryLock("reconcile", "bob@host:2", 60_000)).acquired, true);
  });

  it("only the holder unlocks", async () => {
    await b.unlock("apply", "bob@host:2");
    assert.equal((await a.getLock("apply"))?.holder, "alice@host:1");
    await a.unlock("apply", "alice@host:1");
    assert.equal(await b.getLock("apply"), undefined);
    assert.equal((await b.tryLock("apply", "bob@host:2", 60_000)).acquired, true);
    await b.unlock("apply", "bob@host:2");
  });

  it("the holder renews: same acquiredAt and token, later expiry", async () => {
    assert.equal((await a.tryLock("renew", "alice", 1_000)).acquired, true);
    const first = (await b.getLock("renew"))!;
    await sleep(20);
    const again = await a.tryLock("renew", "alice", 60_000);
    assert.equal(again.acquired, true);
    assert.equal(again.lock.token, first.token, "a renewal keeps the token");
    const renewed = (await b.getLock("renew"))!;
    assert.equal(renewed.acquiredAt, first.acquiredAt);
    assert.equal(renewed.token, first.token);
    assert.ok(Date.parse(renewed.expiresAt) > Date.parse(first.expiresAt));
    await a.unlock("renew", "alice");
  });

  it("an expired lock is free for the taking", async () => {
    assert.equal((await a.tryLock("expiry", "alice", 150)).acquired, true);
    assert.equal((await b.tryLock("expiry", "bob", 60_000)).lock.holder, "alice");
    await sleep(250);
    assert.equal(await b.getLock("expiry"), undefined, "expired lock reads as free");
    assert.equal((await b.tryLock("expiry", "bob", 60_000)).acquired, true);
    const taken = (await a.getLock("expiry"))!;
    assert.equal(taken.holder, "bob");
    // The old holder's late unlock does not release the new holder's lock.
    await a.unlock("expiry", "alice");
    assert.equal((await a.getLock("expiry"))?.holder, "bob");
    // Nor can the old holder "renew" its way back in.
    assert.equal((await a.tryLock("expiry", "alice", 60_000)).lock.holder, "bob");
  });

  it("rejects a nonsensical ttl", async () => {
    await assert.rejects(a.tryLock("x", "alice", 0), /ttl/);
  });

  it("breakLock removes a lock whoever holds it and says whose it was", async () => {
    assert.equal((await a.tryLock("stuck", "crashed@host:9", 60_000)).acquired, true);
    const removed = await b.breakLock("stuck");
    assert.equal(removed?.holder, "crashed@host:9");
    assert.equal(await b.getLock("stuck"), undefined);
    assert.equal((await b.tryLock("stuck", "bob@host:2", 60_000)).acquired, true);
    assert.equal(await b.breakLock("absent"), undefined);
  });
});
