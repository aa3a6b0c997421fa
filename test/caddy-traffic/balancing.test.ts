// Load spread by weight on Caddy 2.6.2 (no weighted_round_robin there) and failover on active health.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import * as k from "../../src/model/testkit.js";
import { echo, eventually, runCaddy, send, type RunningCaddy } from "./harness.js";

describe("caddy traffic: balancing and health", () => {
  let a: Upstream, b: Upstream, c: Upstream, d: Upstream;
  let cHealthy = true;
  let caddy: RunningCaddy;
  const off = { tls: { mode: "off" as const, forceHttps: false } };

  before(async () => {
    [a, b, c, d] = await Promise.all([startUpstream("a"), startUpstream("b"), startUpstream("c", { healthy: () => cHealthy }), startUpstream("d")]);
    caddy = await runCaddy((port) =>
      k.state(
        [
          k.route("weighted", ["w.test"], [{ address: a.address, weight: 6 }, { address: b.address, weight: 2 }], off),
          k.route("ha", ["ha.test"], [c.address, d.address], {
            ...off,
            pool: {
              targets: [{ address: c.address, weight: 1 }, { address: d.address, weight: 1 }],
              policy: "round_robin",
              timeouts: { dial: "1s" },
              active: { path: "/health", interval: "200ms", timeout: "1s" },
            },
          }),
        ],
        k.settings({ listen: ["127.0.0.1:1"], httpPort: port, version: "2.6.2" }),
      ),
    );
  });
  after(async () => {
    await caddy?.stop();
    await Promise.all([a, b, c, d].map((u) => u?.close()));
  });

  it("spreads 3:1 weights within ±10 percentage points over 400 requests", async () => {
    const counts: Record<string, number> = { a: 0, b: 0 };
    for (let i = 0; i < 400; i++) counts[echo(await send(caddy.port, "w.test", `/${i}`)).name]!++;
    const share = counts.a! / 400;
    assert.ok(Math.abs(share - 0.75) <= 0.1, `a got ${counts.a}, b got ${counts.b}`);
    assert.ok(counts.b! > 0, "b must get some traffic");
  });

  it("stops sending to an upstream whose active health check fails, and returns when it recovers", async () => {
    const names = async (n: number) => {
      const s = new Set<string>();
      for (let i = 0; i < n; i++) s.add(echo(await send(caddy.port, "ha.test", "/")).name);
      return s;
    };
    await eventually(async () => (await names(6)).has("c"), 5000);
    cHealthy = false;
    await eventually(async () => {
      const s = await names(10);
      return !s.has("c") && s.has("d");
    }, 5000);
    cHealthy = true;
    await eventually(async () => (await names(10)).has("c"), 5000);
  });
});
