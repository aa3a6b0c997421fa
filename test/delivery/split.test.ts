// Canary split through real Caddy 2.6.2: a 10% share over 2,000 requests, header opt-in, sticky
// clients; blue-green switch; block with 403; disable/enable with Retry-After; all in history and audit.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { app, get, hammer, splitRoute, stack, type App, type Stack } from "./setup.js";

describe("delivery through real Caddy: split, switch, block, disable", () => {
  let main: App, canary: App, green: App;
  let s: Stack;

  before(async () => {
    [main, canary, green] = await Promise.all([app("main"), app("canary"), app("green")]);
    s = await stack([splitRoute("app", main.address, { canary: canary.address }), splitRoute("site", main.address, { green: green.address })]);
  });
  after(async () => {
    await s?.stop();
    await Promise.all([main, canary, green].map((a) => a?.close()));
  });

  it("a 10% canary gets 8-12% of 2,000 requests; the route's own pool the rest", async () => {
    const r = await s.hecate("canary", "start", "app", "--to", "canary", "--weight", "10");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const counts = await hammer(s.port, "app.test", 2000);
    const share = (counts.canary ?? 0) / 2000;
    assert.equal((counts.canary ?? 0) + (counts.main ?? 0), 2000, JSON.stringify(counts));
    assert.ok(share >= 0.08 && share <= 0.12, `canary got ${(share * 100).toFixed(1)}% (${JSON.stringify(counts)})`);
    // Each answer names its pool; the access log Caddy writes has it per request.
    const one = await get(s.port, "app.test");
    assert.equal(one.headers["x-hecate-pool"], one.body === "canary" ? "canary" : "main");
  });

  it("`canary status` reads per-pool requests from Caddy's access log", async () => {
    const r = await s.hecate("canary", "status", "app", "-o", "json");
    assert.equal(r.code, 0, r.stderr);
    const [row] = JSON.parse(r.stdout);
    assert.equal(row.pool, "canary");
    assert.ok(row.counts.requests >= 160 && row.counts.requests <= 241, JSON.stringify(row));
    assert.equal(row.counts.errors, 0);
  });

  it("a tester's header always reaches the canary; without it, the split", async () => {
    await s.hecate("canary", "abort", "app");
    const r = await s.hecate("canary", "start", "app", "--to", "canary", "--weight", "0", "--header", "X-Canary=1");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(await hammer(s.port, "app.test", 200, 8, { headers: { "X-Canary": "1" } }), { canary: 200 });
    assert.deepEqual(await hammer(s.port, "app.test", 100, 8, { headers: { "X-Canary": "2" } }), { main: 100 });
  });

  it("sticky clients never switch pool, also when the canary's share grows", async () => {
    await s.hecate("canary", "abort", "app");
    assert.equal((await s.hecate("canary", "start", "app", "--to", "canary", "--weight", "30", "--sticky")).code, 0);
    const clients: { cookie: string; pool: string }[] = [];
    for (let i = 0; i < 60; i++) {
      const r = await get(s.port, "app.test");
      const set = [r.headers["set-cookie"] ?? []].flat().find((c) => c.startsWith("hecate-pool-app="));
      assert.ok(set, `a sticky cookie: ${JSON.stringify(r.headers)}`);
      clients.push({ cookie: set.split(";")[0]!, pool: r.body });
    }
    assert.ok(clients.some((c) => c.pool === "canary") && clients.some((c) => c.pool === "main"), "both pools got clients");
    const check = async () => {
      for (const c of clients) for (let k = 0; k < 5; k++) assert.equal((await get(s.port, "app.test", { headers: { cookie: `other=1; ${c.cookie}` } })).body, c.pool);
    };
    await check();
    assert.equal((await s.hecate("canary", "promote", "app", "--to", "70")).code, 0);
    await check();
  });

  it("promote sends everything to the canary's pool, which becomes the route's own", async () => {
    const r = await s.hecate("canary", "promote", "app");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(await hammer(s.port, "app.test", 100), { canary: 100 });
    const spec = JSON.parse((await s.hecate("read", "route", "app", "-o", "json")).stdout).spec;
    assert.equal(spec.poolName, "canary");
    assert.deepEqual(Object.keys(spec.pools), ["main"], "the old upstreams stay a pool");
    assert.equal(spec.canary, undefined);
  });

  it("switch flips all traffic at once (blue-green) with --verify, and back", async () => {
    assert.deepEqual(await hammer(s.port, "site.test", 20), { main: 20 });
    const r = await s.hecate("switch", "site", "--to", "green", "--verify");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(await hammer(s.port, "site.test", 50), { green: 50 });
    assert.equal((await s.hecate("switch", "site", "--to", "main")).code, 0);
    assert.deepEqual(await hammer(s.port, "site.test", 20), { main: 20 });
  });

  it("block refuses one address with 403 while others pass; unblock lifts it", async () => {
    const r = await s.hecate("block", "127.0.0.2", "--reason", "abuse");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal((await get(s.port, "site.test", { from: "127.0.0.2" })).status, 403);
    assert.equal((await get(s.port, "app.test", { from: "127.0.0.2" })).status, 403);
    assert.equal((await get(s.port, "site.test", { from: "127.0.0.3" })).status, 200);
    assert.equal((await get(s.port, "site.test")).status, 200);
    assert.equal((await s.hecate("block", "127.0.0.4/32", "--route", "site")).code, 0);
    assert.equal((await get(s.port, "site.test", { from: "127.0.0.4" })).status, 403);
    assert.equal((await get(s.port, "app.test", { from: "127.0.0.4" })).status, 200, "a route's block is that route's only");
    assert.equal((await s.hecate("unblock", "127.0.0.2")).code, 0);
    assert.equal((await get(s.port, "site.test", { from: "127.0.0.2" })).status, 200);
    const bad = await s.hecate("block", "not-an-ip");
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not-an-ip/);
  });

  it("disable serves 503 with Retry-After and the page; enable restores; both in history and audit", async () => {
    const page = join(s.sb.dir, "maintenance.html");
    writeFileSync(page, "<style>h1 { color: red }</style>\n<h1>Back at {noon}</h1>");
    const r = await s.hecate("disable", "site.test", "--page", page, "--reason", "db migration", "--retry-after", "10m");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const down = await get(s.port, "site.test");
    assert.equal(down.status, 503);
    assert.equal(down.headers["retry-after"], "600");
    assert.equal(down.body, "<style>h1 { color: red }</style>\n<h1>Back at {noon}</h1>", "the page as written, no placeholders expanded");
    assert.equal((await s.hecate("enable", "site")).code, 0);
    assert.equal((await get(s.port, "site.test")).body, "main");
    const history = (await s.hecate("history")).stdout;
    assert.match(history, /disable site: 503 maintenance page \(db migration\)/);
    assert.match(history, /enable site: served again/);
    const audit = (await s.hecate("audit", "-o", "json")).stdout;
    for (const action of ["route.disable", "route.enable", "block", "unblock", "switch", "canary.start", "canary.promote", "canary.abort"]) assert.ok(audit.includes(`"${action}"`), `audit has ${action}`);
  });

  it("rollback --last-good goes back to the revision applied before the live one", async () => {
    assert.equal((await s.hecate("disable", "site")).code, 0);
    assert.equal((await get(s.port, "site.test")).status, 503);
    const r = await s.hecate("rollback", "--last-good", "--yes");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal((await get(s.port, "site.test")).body, "main");
  });
});

describe("the seeds' eos command lines for delivery, through eos-hecate on real Caddy", () => {
  let main: App, next: App, green: App;
  let s: Stack;
  before(async () => {
    [main, next, green] = await Promise.all([app("main"), app("next"), app("green")]);
    s = await stack([splitRoute("api", main.address, {}).replace("  pools:\n", ""), splitRoute("api-green", green.address, {}).replace("  pools:\n", "")]);
  });
  after(async () => {
    await s?.stop();
    await Promise.all([main, next, green].map((a) => a?.close()));
  });
  const eos = async (...args: string[]) => {
    const r = await s.sb.eos(args);
    assert.equal(r.code, 0, `eos ${args.join(" ")}: ${r.stdout}${r.stderr}`);
    return r;
  };

  it("update route --canary-upstream/--canary-percentage, --promote-canary, --switch-to; canary create/status/rollback", async () => {
    await eos("update", "hecate", "route", "api.test", "--canary-upstream", next.address, "--canary-percentage", "10");
    const first = await hammer(s.port, "api.test", 400);
    assert.ok((first.next ?? 0) >= 16 && (first.next ?? 0) <= 64, JSON.stringify(first));
    await eos("update", "hecate", "route", "api.test", "--canary-percentage", "50");
    const half = await hammer(s.port, "api.test", 400);
    assert.ok((half.next ?? 0) >= 160 && (half.next ?? 0) <= 240, JSON.stringify(half));
    assert.match((await eos("canary", "hecate", "status", "canary", "--show-metrics")).stdout, /^api: 50% to canary/m);
    await eos("canary", "hecate", "rollback", "canary", "--reason", "high error rate");
    assert.deepEqual(await hammer(s.port, "api.test", 50), { main: 50 });
    await eos("canary", "hecate", "create", "canary", "--route", "api.test", "--traffic", "5%");
    await eos("update", "hecate", "route", "api.test", "--promote-canary");
    assert.deepEqual(await hammer(s.port, "api.test", 50), { next: 50 });
    await eos("update", "hecate", "route", "api.test", "--switch-to", "api-green.test");
    assert.deepEqual(await hammer(s.port, "api.test", 50), { green: 50 });
  });

  it("emergency disable-route, block-ip --duration, enable, rollback --to-last-known-good", async () => {
    await eos("emergency", "hecate", "disable-route", "api.test", "--reason", "security incident");
    assert.equal((await get(s.port, "api.test")).status, 503);
    await eos("enable", "hecate", "route", "api.test");
    assert.equal((await get(s.port, "api.test")).status, 200);
    await eos("emergency", "hecate", "block-ip", "127.0.0.9", "--duration", "1h");
    assert.equal((await get(s.port, "api.test", { from: "127.0.0.9" })).status, 403);
    const audit = JSON.parse((await s.hecate("audit", "-o", "json")).stdout) as { action: string; detail: { until: string } }[];
    assert.ok(Date.parse(audit.find((e) => e.action === "block")!.detail.until) - Date.now() > 3_500_000, "blocked for an hour");
    await eos("emergency", "hecate", "rollback", "--to-last-known-good", "--yes");
    assert.equal((await get(s.port, "api.test", { from: "127.0.0.9" })).status, 200, "the revision before the block");
    await eos("disable", "hecate", "route", "api.test", "--reason", "maintenance");
    assert.equal((await get(s.port, "api.test")).status, 503);
  });
});
