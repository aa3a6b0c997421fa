// What the reconcile loop does with nobody acting (a real `hecate reconcile --watch` process, real
// Caddy, real upstreams, the authentik sandbox): a canary whose upstream fails 5% of requests is
// rolled back within one step, a healthy one is promoted step by step to 100%, a sign-in bypass
// and a block end by themselves when their time is up; each is a revision and an audit entry.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startAuthentikSandbox, type AuthentikSandbox } from "../../src/sandbox/authentik/index.js";
import { eventually, startProcess, type Proc } from "../helpers/proc.js";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { TOKEN } from "../sandbox/authentik-helpers.js";
import { app, get, hammer, splitRoute, stack, type App, type Stack } from "./setup.js";

process.env["HECATE_TEST_AUTHENTIK_TOKEN"] = TOKEN;

const protectedRoute = (upstream: string) => `apiVersion: hecate.io/v1
kind: AuthPolicy
metadata:
  name: staff
spec:
  groups: [staff]
---
apiVersion: hecate.io/v1
kind: Route
metadata:
  name: admin
spec:
  hosts: [admin.test]
  upstreams:
    - address: ${upstream}
  authPolicy: staff
  tls:
    mode: "off"
`;

describe("the reconcile loop: canary steps, automatic rollback, expiries", () => {
  let main: App, bad: App, good: App, echo: Upstream;
  let ak: AuthentikSandbox;
  let s: Stack;
  let loop: Proc;

  before(async () => {
    [main, bad, good, echo] = await Promise.all([app("main"), app("bad", 20), app("good"), startUpstream("admin")]);
    ak = await startAuthentikSandbox({ token: TOKEN, seed: { groups: [{ name: "staff", parents: [], is_superuser: false }], users: [] } });
    s = await stack(
      [splitRoute("bad", main.address, { canary: bad.address }), splitRoute("good", main.address, { canary: good.address }), protectedRoute(echo.address)],
      `  authentik:\n    url: ${ak.url}\n    token: env:HECATE_TEST_AUTHENTIK_TOKEN\n`,
    );
    loop = startProcess("node", [join(import.meta.dirname, "../../bin/hecate.js"), "reconcile", "--watch", "--interval", "1s", "--yes"], { env: { ...s.sb.env } as NodeJS.ProcessEnv });
  });
  after(async () => {
    await loop?.stop();
    if (process.env.DEBUG_LOOP) console.log(loop?.output());
    await s?.stop();
    await ak?.close();
    await Promise.all([main, bad, good, echo].map((a) => a?.close()));
  });

  const spec = async (route: string) => JSON.parse((await s.hecate("read", "route", route, "-o", "json")).stdout).spec;
  const audit = async () => JSON.parse((await s.hecate("audit", "-o", "json", "--limit", "500")).stdout) as { action: string; target?: string; detail?: Record<string, unknown> }[];

  /** Requests to host in the background until stop() (what real users do meanwhile). */
  const traffic = (host: string) => {
    let on = true;
    const seen: Record<string, number> = {};
    const done = (async () => {
      while (on) for (const [k, n] of Object.entries(await hammer(s.port, host, 64, 8))) seen[k] = (seen[k] ?? 0) + n;
    })();
    return {
      seen,
      stop: async () => {
        on = false;
        await done;
        const dropped = Object.entries(seen).filter(([k]) => k.startsWith("error")).reduce((n, [, v]) => n + v, 0);
        const total = Object.values(seen).reduce((n, v) => n + v, 0);
        // Caddy 2.6.2 may reset a connection that arrives while it swaps configs; rare, never the rule.
        assert.ok(dropped <= total / 100, `${dropped} of ${total} requests dropped: ${JSON.stringify(seen)}`);
      },
    };
  };

  it("a canary answering 500 to 5% of requests is rolled back automatically within one step", async () => {
    const r = await s.hecate("canary", "start", "bad", "--to", "canary", "--weight", "10", "--step", "10", "--every", "1s", "--max-error-rate", "1%", "--min-requests", "100");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const t = traffic("bad.test");
    try {
      await eventually(async () => (await audit()).some((e) => e.target === "bad" && e.action === "canary.rollback"), 90_000, 500).catch((e: Error) => {
        throw new Error(`${e.message}; traffic seen ${JSON.stringify(t.seen)}; the reconcile loop said:\n${loop.output().slice(-4000)}`);
      });
    } finally {
      await t.stop();
    }
    const mine = (await audit()).filter((e) => e.target === "bad" && e.action.startsWith("canary."));
    const rollback = mine.find((e) => e.action === "canary.rollback");
    assert.ok(rollback, JSON.stringify(mine));
    assert.ok((rollback.detail!.errorRate as number) > 1, JSON.stringify(rollback.detail));
    assert.ok(mine.filter((e) => e.action === "canary.step").length <= 1, `at most one step before the rollback: ${JSON.stringify(mine)}`);
    assert.equal(mine.filter((e) => e.action === "canary.promote").length, 0);
    assert.deepEqual(await hammer(s.port, "bad.test", 100), { main: 100 }, "no request reaches the bad pool any more");
    assert.match((await s.hecate("history")).stdout, /canary bad: rolled back, no traffic to pool canary \(\d+ of \d+ requests failed/);
  });

  it("a healthy canary is promoted step by step to 100%", async () => {
    const r = await s.hecate("canary", "start", "good", "--to", "canary", "--weight", "10", "--step", "30", "--every", "1s", "--min-requests", "30");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const t = traffic("good.test");
    try {
      await eventually(async () => (await audit()).some((e) => e.target === "good" && e.action === "canary.promote"), 180_000, 500).catch((e: Error) => {
        throw new Error(`${e.message}; traffic seen ${JSON.stringify(t.seen)}; the reconcile loop said:\n${loop.output().slice(-4000)}`);
      });
    } finally {
      await t.stop();
    }
    const mine = (await audit()).filter((e) => e.target === "good" && e.action.startsWith("canary."));
    const steps = mine.filter((e) => e.action === "canary.step").map((e) => e.detail!.weight as number);
    // The audit lists newest first; each step was judged at the weight it had.
    assert.deepEqual(steps.reverse(), [10, 40], JSON.stringify(mine));
    assert.ok(mine.some((e) => e.action === "canary.promote" && e.detail!.weight === 70 && e.detail!.errors === 0), JSON.stringify(mine));
    assert.equal((await spec("good")).poolName, "canary");
    assert.deepEqual(await hammer(s.port, "good.test", 100), { good: 100 });
  });

  it("bypass-auth --for 2s lets an anonymous request through, identity headers still stripped, then stops with nobody acting", async () => {
    const before = await get(s.port, "admin.test");
    assert.notEqual(before.status, 200, "sign-in required");
    const r = await s.hecate("bypass-auth", "admin", "--for", "2s", "--reason", "authentik upgrade");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /SIGN-IN BYPASSED/);
    const open = await get(s.port, "admin.test", { headers: { "X-Authentik-Username": "akadmin", "X-Authentik_Groups": "admins" } });
    assert.equal(open.status, 200, open.body);
    const got = JSON.parse(open.body).headers as Record<string, string>;
    assert.ok(!Object.keys(got).some((h) => h.toLowerCase().startsWith("x-authentik")), `identity headers stripped: ${JSON.stringify(got)}`);
    await eventually(async () => (await get(s.port, "admin.test")).status !== 200, 30_000, 250);
    // The loop audits the expiry once its apply has ended, a moment after Caddy took it.
    await eventually(async () => (await audit()).some((e) => e.action === "bypass-auth.expire" && e.target === "admin"), 10_000, 100).catch(() => assert.fail("the loop ended it and audited that"));
    const a = await audit();
    assert.ok(a.some((e) => e.action === "bypass-auth" && e.target === "admin" && e.detail!.reason === "authentik upgrade"));
    assert.match((await s.hecate("history")).stdout, /sign-in required again on admin \(expired at/);
  });

  it("block --for 2s refuses the address, then the loop lifts it", async () => {
    assert.equal((await s.hecate("block", "127.0.0.5", "--for", "2s")).code, 0);
    assert.equal((await get(s.port, "good.test", { from: "127.0.0.5" })).status, 403);
    assert.equal((await get(s.port, "good.test", { from: "127.0.0.6" })).status, 200);
    await eventually(async () => (await get(s.port, "good.test", { from: "127.0.0.5" })).status === 200, 30_000, 250);
    // The loop audits the expiry once its apply has ended, a moment after Caddy took it.
    await eventually(async () => (await audit()).some((e) => e.action === "block.expire" && e.target === "127.0.0.5"), 10_000, 100).catch(() => assert.fail("the loop lifted the block and audited that"));
  });
});
