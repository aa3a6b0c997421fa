// The apply lock as a lease: a fencing token per acquisition, a signal that aborts when the lease
// is lost, and renewals that ride out transient store failures.
import { strict as assert } from "node:assert";
import { before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { HecateError } from "../diag.js";
import { twoStores } from "../../test/helpers/stores.js";
import type { SqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";
import { acquire, APPLY_LOCK } from "./lock.js";

/** How long a lost lease may go unnoticed: one renewal period, plus slack for a busy machine. */
const EVERY = 100;
const NOTICE = EVERY + 400;

async function abortedWithin(signal: AbortSignal, ms: number): Promise<unknown> {
  const t0 = Date.now();
  while (!signal.aborted && Date.now() - t0 < ms) await sleep(10);
  assert.ok(signal.aborted, `signal not aborted within ${ms} ms`);
  return signal.reason;
}

describe("apply lock lease", () => {
  const stores = twoStores("hecate-lease-");
  let a: SqliteStore;
  let b: SqliteStore;
  before(() => ({ a, b } = stores));

  it("a lock broken by another holder aborts the first holder within one renewal period; the second's writes go through", async () => {
    const first = await acquire(a, "alice@elsewhere/1/aa", { timeoutMs: 0, ttlMs: 10_000, renewEveryMs: EVERY, actor: "alice" });
    await a.beginApply({ applyId: "x1", revision: "h", holder: first.holder }, first.fence);
    await a.journal({ applyId: "x1", event: "begin" }, first.fence);
    assert.equal(first.signal.aborted, false);

    await b.breakLock(APPLY_LOCK); // an operator's `unlock --force`
    const second = await acquire(b, "bob@elsewhere/2/bb", { timeoutMs: 0, ttlMs: 10_000, renewEveryMs: EVERY, actor: "bob" });
    assert.ok(second.token > first.token);

    const reason = await abortedWithin(first.signal, NOTICE);
    assert.ok(reason instanceof HecateError);
    assert.equal(reason.code, "lock-lost");
    assert.match(reason.message, /lost the apply lock to bob@elsewhere\/2\/bb/);
    await assert.rejects(a.journal({ applyId: "x1", event: "step.start" }, first.fence), (e: unknown) => e instanceof HecateError && e.code === "fenced");
    await b.journal({ applyId: "x1", event: "recover" }, second.fence);
    await b.endApply("x1", "rolled-back", second.fence);
    assert.deepEqual((await a.readJournal("x1")).map((e) => e.event), ["begin", "recover"]);
    assert.equal(second.signal.aborted, false);

    await first.release(); // the loser's release leaves the winner's lock alone
    assert.equal((await a.getLock(APPLY_LOCK))?.holder, second.holder);
    await second.release();
    assert.equal(await a.getLock(APPLY_LOCK), undefined);
  });

  it("a broken lock aborts its holder, who does not take it back", async () => {
    const held = await acquire(a, "frank@elsewhere/6/ff", { timeoutMs: 0, ttlMs: 10_000, renewEveryMs: EVERY, actor: "frank" });
    const broken = await b.breakLock(APPLY_LOCK);
    assert.equal(broken?.token, held.token);
    const reason = await abortedWithin(held.signal, NOTICE);
    assert.match((reason as Error).message, /lost the apply lock: it was broken \(hecate unlock --force\) or its lease ran out/);
    await sleep(3 * EVERY);
    assert.equal(await b.getLock(APPLY_LOCK), undefined, "the renewal did not re-acquire it");
    await held.release();
  });

  it("keeps the token across renewals and does not abort while the lease is held", async () => {
    // A lease of ten renewal periods: a loaded machine's stall of a few periods must not lose it.
    const held = await acquire(a, "carol@elsewhere/3/cc", { timeoutMs: 0, ttlMs: 1_000, renewEveryMs: EVERY, actor: "carol" });
    await sleep(2_200); // past two ttls: only renewals keep it
    assert.equal(held.signal.aborted, false);
    const lock = await b.getLock(APPLY_LOCK);
    assert.equal(lock?.holder, held.holder);
    assert.equal(lock?.token, held.token);
    await held.release();
  });

  it("retries a renewal that fails transiently, before the lease runs out", async () => {
    let failures = 0;
    const flaky: Store = Object.create(a) as Store;
    flaky.renewLock = async (...args) => {
      if (failures < 1) {
        failures++;
        throw new HecateError("store-busy", "the store stayed busy", { status: 503 });
      }
      return a.renewLock(...args);
    };
    // Renewal at 600 ms fails; waiting for the next period (1200 ms) would let the 1000 ms lease lapse.
    const held = await acquire(flaky, "dave@elsewhere/4/dd", { timeoutMs: 0, ttlMs: 1_000, renewEveryMs: 600, actor: "dave" });
    await sleep(1_500);
    assert.equal(failures, 1);
    assert.equal(held.signal.aborted, false, String(held.signal.reason));
    assert.equal((await b.getLock(APPLY_LOCK))?.token, held.token);
    await held.release();
  });

  it("aborts when renewals keep failing until the lease would run out", async () => {
    const down: Store = Object.create(a) as Store;
    down.renewLock = () => Promise.reject(new Error("store unreachable"));
    const held = await acquire(down, "erin@elsewhere/5/ee", { timeoutMs: 0, ttlMs: 400, renewEveryMs: EVERY, actor: "erin" });
    const reason = await abortedWithin(held.signal, 1_000);
    assert.match((reason as Error).message, /lost the apply lock: its lease ran out before it could be renewed \(store unreachable\)/);
    await held.release();
  });
});
