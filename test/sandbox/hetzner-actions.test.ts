// Actions, locking, rate limiting, fault injection and the request log of the Hetzner sandbox, over real HTTP.
import { strict as assert } from "node:assert";
import { afterEach, describe, it } from "node:test";
import { startHetznerSandbox, type HetznerSandbox, type HetznerSandboxOptions } from "../../src/sandbox/hetzner/index.js";
import { client, TOKEN, waitAction } from "./hetzner-client.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("hetzner sandbox actions, limits and faults", () => {
  let sb: HetznerSandbox | undefined;
  afterEach(async () => {
    await sb?.close();
    sb = undefined;
  });
  const start = async (opts: Partial<HetznerSandboxOptions> = {}) => {
    sb = await startHetznerSandbox({ token: TOKEN, zones: [{ name: "example.com" }, { name: "other.org" }], ...opts });
    return client(sb);
  };

  it("locks a zone with 423 while its action runs, and takes writes again after success", async () => {
    // A long action: on a loaded machine the two requests below must still fall inside it.
    const call = await start({ actionDelayMs: 2000, rateLimit: { limit: 1000, refillPerSecond: 100 } });
    const first = await call("POST", "/zones/example.com/rrsets", { name: "a", type: "A", records: [{ value: "192.0.2.1" }] });
    assert.equal(first.status, 201);
    assert.equal(first.body.action.status, "running");
    assert.deepEqual(first.body.action.resources, [{ id: first.body.rrset.zone, type: "zone" }]);
    // The change is visible at once; only the action lags.
    assert.equal((await call("GET", "/zones/example.com/rrsets/a/A")).status, 200);
    const locked = await call("POST", "/zones/example.com/rrsets", { name: "b", type: "A", records: [{ value: "192.0.2.2" }] });
    assert.equal(locked.status, 423);
    assert.equal(locked.body.error.code, "locked");
    assert.equal((await call("PUT", "/zones/example.com", { labels: { a: "b" } })).status, 423);
    // Another zone is not locked.
    assert.equal((await call("POST", "/zones/other.org/rrsets", { name: "b", type: "A", records: [{ value: "192.0.2.2" }] })).status, 201);
    const done = await waitAction(call, first.body.action.id);
    assert.equal(done.body.action.status, "success");
    assert.equal(done.body.action.progress, 100);
    assert.ok(done.body.action.finished);
    assert.equal((await call("POST", "/zones/example.com/rrsets", { name: "b", type: "A", records: [{ value: "192.0.2.2" }] })).status, 201);
    const list = await call("GET", "/zones/actions?status=running");
    assert.ok(list.body.actions.every((a: { status: string }) => a.status === "running"));
    assert.equal((await call("GET", "/zones/actions/99999")).status, 404);
  });

  it("an action made to fail ends in error and undoes its change", async () => {
    const call = await start({ actionDelayMs: 20 });
    sb!.failNextAction({ code: "internal_error", message: "backend exploded" });
    const r = await call("POST", "/zones/example.com/rrsets", { name: "doomed", type: "A", records: [{ value: "192.0.2.1" }] });
    assert.equal(r.status, 201);
    const done = await waitAction(call, r.body.action.id);
    assert.equal(done.body.action.status, "error");
    assert.deepEqual(done.body.action.error, { code: "internal_error", message: "backend exploded" });
    assert.equal((await call("GET", "/zones/example.com/rrsets/doomed/A")).status, 404);
  });

  it("rate-limits with RateLimit-* headers, 429 when empty, and recovers after refill", async () => {
    // One token a second: six requests in a row finish well inside it, even on a loaded machine.
    const call = await start({ rateLimit: { limit: 5, refillPerSecond: 1 } });
    const seen: number[] = [];
    let last;
    for (let i = 0; i < 6; i++) {
      last = await call("GET", "/zones");
      seen.push(last.status);
      assert.equal(last.headers.get("ratelimit-limit"), "5");
      assert.ok(Number(last.headers.get("ratelimit-reset")) >= Math.floor(Date.now() / 1000));
    }
    assert.deepEqual(seen, [200, 200, 200, 200, 200, 429]);
    assert.equal(last!.body.error.code, "rate_limit_exceeded");
    assert.equal(last!.headers.get("ratelimit-remaining"), "0");
    await sleep(1100); // 1/s → a token back
    const again = await call("GET", "/zones");
    assert.equal(again.status, 200);
  });

  it("injects faults: the next request, or request number k, with 5xx codes", async () => {
    const call = await start({ actionDelayMs: 0 });
    sb!.failNext({ status: 503 });
    const r = await call("GET", "/zones");
    assert.equal(r.status, 503);
    assert.equal(r.body.error.code, "unavailable");
    assert.ok(r.headers.get("ratelimit-remaining"));
    assert.equal((await call("GET", "/zones")).status, 200);
    sb!.failRequest(4, { status: 500 });
    assert.equal((await call("GET", "/zones")).status, 200);
    const fourth = await call("POST", "/zones/example.com/rrsets", { name: "x", type: "A", records: [{ value: "192.0.2.1" }] });
    assert.equal(fourth.status, 500);
    assert.equal(fourth.body.error.code, "server_error");
    assert.equal((await call("GET", "/zones/example.com/rrsets/x/A")).status, 404, "a failed request changes nothing");
  });

  it("logs every request without tokens, readable in code and at /__sandbox/requests", async () => {
    const call = await start({ actionDelayMs: 0 });
    await call("GET", "/zones?name=example.com");
    await call("POST", "/zones/example.com/rrsets", { name: "x", type: "A", records: [{ value: "192.0.2.1" }] });
    await client(sb!, "bad")("GET", "/zones");
    const log = sb!.requests();
    assert.deepEqual(log.map((e) => [e.method, e.path, e.query, e.status, e.write]), [
      ["GET", "/v1/zones", "name=example.com", 200, false],
      ["POST", "/v1/zones/example.com/rrsets", "", 201, true],
      ["GET", "/v1/zones", "", 401, false],
    ]);
    const res = await fetch(sb!.url.replace(/\/v1$/, "/__sandbox/requests"), { headers: { authorization: `Bearer ${TOKEN}` } });
    const body = (await res.json()) as { requests: unknown[] };
    assert.equal(body.requests.length, 3);
    assert.ok(!JSON.stringify(body).includes(TOKEN));
    sb!.clearRequests();
    assert.equal(sb!.requests().length, 0);
  });
});
