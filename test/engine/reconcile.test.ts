// The reconcile loop: repairs drift on its own, backs off and opens the circuit breaker after
// repeated failures, and does nothing while suspended (store setting reconcile.suspended).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BREAKER_KEY, FAILURES_KEY, SUSPENDED_KEY, nextDelay } from "../../src/engine/reconcile.js";
import { eventually } from "../helpers/proc.js";
import { rig, route } from "./setup.js";

describe("reconcile loop", () => {
  it("puts a hand edit back, opens the breaker after repeated failures, respects suspend", async () => {
    const r = await rig();
    const ac = new AbortController();
    try {
      await r.engine.commit([route("app", "127.0.0.1:8001")], { message: "one" });
      await r.engine.apply();
      await r.store.setSetting(SUSPENDED_KEY, "true");
      const rounds: string[] = [];
      const loop = r.engine.reconcileLoop({ intervalMs: 20, jitter: 0.2, signal: ac.signal, breakerThreshold: 3, breakerCooldownMs: 60_000, maxBackoffMs: 40, onRound: (x) => rounds.push(x.status) });

      r.caddy.handEdit((o) => (o["rogue"] = { resource: "Route/rogue", spec: {} }));
      await eventually(() => rounds.filter((s) => s === "suspended").length >= 3);
      assert.ok(r.caddy.live()["rogue"], "suspended: nothing repaired");

      await r.store.setSetting(SUSPENDED_KEY, undefined);
      await eventually(() => r.caddy.live()["rogue"] === undefined, 5000, 10);

      // Now every repair fails: three failures open the breaker, then rounds are skipped.
      const failing = r.caddy.apply.bind(r.caddy);
      r.caddy.apply = async () => {
        throw new Error("caddy is down (injected)");
      };
      r.caddy.handEdit((o) => (o["rogue"] = { resource: "Route/rogue", spec: {} }));
      await eventually(async () => (await r.store.getSetting(BREAKER_KEY)) !== undefined, 5000, 10);
      assert.equal(await r.store.getSetting(FAILURES_KEY), "3");
      const n = rounds.length;
      await eventually(() => rounds.slice(n).filter((s) => s === "breaker-open").length >= 2, 5000, 10);
      assert.equal(rounds.slice(n).filter((s) => s === "error").length, 0, "an open breaker stops attempts");
      const audit = await r.store.listAudit({ limit: 50 });
      assert.ok(audit.some((a) => a.action === "reconcile.breaker.open"));
      r.caddy.apply = failing;
    } finally {
      ac.abort();
      await new Promise((res) => setTimeout(res, 50));
      await r.cleanup();
    }
  });

  it("backs off exponentially with jitter, capped", () => {
    const mid = () => 0.5; // no jitter at the midpoint
    assert.equal(nextDelay({ intervalMs: 1000, jitter: 0.1, maxBackoffMs: 60_000, failures: 0, random: mid }), 1000);
    assert.equal(nextDelay({ intervalMs: 1000, jitter: 0.1, maxBackoffMs: 60_000, failures: 3, random: mid }), 8000);
    assert.equal(nextDelay({ intervalMs: 1000, jitter: 0.1, maxBackoffMs: 60_000, failures: 20, random: mid }), 60_000);
    assert.equal(nextDelay({ intervalMs: 1000, jitter: 0.1, maxBackoffMs: 60_000, failures: 0, random: () => 1 }), 1100);
    assert.equal(nextDelay({ intervalMs: 1000, jitter: 0.1, maxBackoffMs: 60_000, failures: 0, random: () => 0 }), 900);
  });
});
