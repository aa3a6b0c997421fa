// Routes of one shape on a real Caddy 2.6.2: one Caddy route with a host → upstream map serves
// them all (protected ones through forward auth), a one-route change is that route's change and a
// PATCH of its map entry, drift names the route, and a route leaving the shape (a header, a second
// upstream, a health check) moves to its own route and back with no request failing meanwhile.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { CaddyClient } from "../../src/providers/caddy/client.js";
import { createCaddyProvider, type CaddyActual } from "../../src/providers/caddy/provider.js";
import type { Provider } from "../../src/providers/provider.js";
import type { CaddyOwned } from "../../src/compile/caddy/index.js";
import type { ResolvedRoute } from "../../src/model/resolved.js";
import { freePort } from "../helpers/proc.js";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { applyBatch } from "../helpers/apply.js";
import { findById, get, startCaddy, type Caddy } from "./caddy.js";
import { authPolicy, route, secrets, settings, state } from "./fixtures.js";

/** A stand-in outpost: a request carrying "x-test-login: yes" is alice, anything else is sent to log in. */
async function startOutpost(): Promise<{ address: string; checks: () => number; close: () => Promise<void> }> {
  const port = await freePort();
  let checks = 0;
  const server: Server = createServer((req, res) => {
    checks++;
    if (req.headers["x-test-login"] === "yes") res.writeHead(200, { "X-Authentik-Username": "alice" }).end();
    else res.writeHead(302, { Location: "http://auth.test/login" }).end();
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return { address: `127.0.0.1:${port}`, checks: () => checks, close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))) };
}

const send = (port: number, host: string, headers: Record<string, string> = {}) => get(port, host, "/", headers);

const N = 12;
const name = (i: number) => `app-${String(i).padStart(2, "0")}`;

describe("caddy shapes (host → upstream map) on a real Caddy", () => {
  let one: Upstream, two: Upstream;
  let outpost: Awaited<ReturnType<typeof startOutpost>>;
  let caddy: Caddy;
  let httpPort: number;
  let provider: Provider<CaddyOwned, CaddyActual>;
  const ctx = { secrets: secrets({}) };

  const routes = (edit?: (r: ResolvedRoute) => void): ResolvedRoute[] =>
    Array.from({ length: N }, (_, i) => {
      const r = route({ name: name(i), hosts: [`${name(i)}.test`], upstream: i % 2 ? two.address : one.address, ...(i % 3 ? { auth: authPolicy(outpost.address) } : {}) });
      if (i === 5) edit?.(r);
      return r;
    });
  const compile = (rs: ResolvedRoute[]) => {
    const { desired, diagnostics } = provider.compile(state(settings({ admin: [caddy.admin], httpPort }), rs));
    assert.deepEqual(diagnostics.filter((d) => d.severity === "error"), []);
    return desired;
  };
  const apply = async (rs: ResolvedRoute[]) => {
    const desired = compile(rs);
    const actual = await provider.read(ctx);
    const changes = provider.diff(desired, actual);
    const records = await applyBatch(provider, desired, actual, changes, ctx);
    assert.deepEqual(await provider.verify!(desired, records, ctx), []);
    return { changes, records, desired };
  };
  const shapeOf = async (routeName: string) => {
    const config = (await new CaddyClient(caddy.admin).getConfig()).config as { apps: { http: { servers: Record<string, { routes: { "@id": string; handle: { handler: string }[] }[] }> } } };
    const top = config.apps.http.servers["hecate-http"]!.routes;
    const entry = findById(config, `hecate-route-${routeName}`) as Record<string, unknown> | undefined;
    return { top, entry, mapped: !!entry && "input" in entry };
  };

  before(async () => {
    [one, two, outpost] = await Promise.all([startUpstream("one"), startUpstream("two"), startOutpost()]);
    httpPort = await freePort();
    caddy = await startCaddy();
    provider = createCaddyProvider(settings({ admin: [caddy.admin], httpPort }).caddy);
    await apply(routes());
  });
  after(async () => {
    await caddy?.stop();
    await Promise.all([one?.close(), two?.close(), outpost?.close()]);
  });

  it("serves every host from one shape route: public hosts answer, protected hosts authenticate first", async () => {
    const { top } = await shapeOf(name(0));
    const shapes = top.filter((r) => r["@id"].startsWith("hecate-http-shape-"));
    assert.equal(shapes.length, 1, top.map((r) => r["@id"]).join(", "));
    assert.ok(!top.some((r) => /bucket/.test(r["@id"])), "no route of its own is left");
    for (let i = 0; i < N; i++) {
      const host = `${name(i)}.test`;
      const want = i % 2 ? "two" : "one";
      if (i % 3) {
        const anon = await send(httpPort, host);
        assert.equal(anon.status, 302, `${host} without a login must be sent to sign in`);
        const forged = await send(httpPort, host, { "X-Authentik-Username": "mallory" });
        assert.equal(forged.status, 302, `${host}: a forged identity header does not pass`);
        const ok = await send(httpPort, host, { "x-test-login": "yes" });
        assert.equal(ok.status, 200, host);
        assert.equal(ok.headers["x-upstream"], want, host);
        assert.equal(JSON.parse(ok.body).headers["x-authentik-username"], "alice");
      } else {
        const ok = await send(httpPort, host);
        assert.equal(ok.status, 200, host);
        assert.equal(ok.headers["x-upstream"], want, host);
        assert.equal(JSON.parse(ok.body).headers["x-authentik-username"], undefined);
      }
    }
    // An upper-case Host would miss the exact (case-sensitive) host lists: refused before auth.
    assert.equal((await send(httpPort, "APP-01.test")).status, 421);
    assert.equal((await send(httpPort, "nobody.test")).status, 404);
  });

  it("a one-route upstream change is that route's change, applied as a PATCH of its map entry", async () => {
    const { changes, records } = await apply(routes((r) => (r.pool!.targets[0]!.address = one.address)));
    assert.deepEqual(changes.map((c) => [c.action, c.id, c.resource]), [["update", `hecate-route-${name(5)}`, `Route/${name(5)}`]]);
    assert.deepEqual(records.map((r) => (r.detail as { via?: string }).via), ["PATCH /id/"]);
    assert.equal((await send(httpPort, `${name(5)}.test`, { "x-test-login": "yes" })).headers["x-upstream"], "one");
    const back = await apply(routes());
    assert.deepEqual(back.changes.map((c) => c.resource), [`Route/${name(5)}`]);
    assert.equal((await send(httpPort, `${name(5)}.test`, { "x-test-login": "yes" })).headers["x-upstream"], "two");
  });

  it("a hand edit of one map entry shows as drift of that route, and applying puts it back", async () => {
    const client = new CaddyClient(caddy.admin);
    const res = await client.request("DELETE", `/id/hecate-route-${name(4)}`);
    assert.equal(res.status, 200, res.body);
    const actual = await provider.read(ctx);
    const drift = provider.diff(compile(routes()), actual);
    assert.ok(drift.some((c) => c.action === "create" && c.resource === `Route/${name(4)}`), JSON.stringify(drift.map((c) => [c.action, c.id])));
    assert.ok(drift.every((c) => c.resource === `Route/${name(4)}` || c.id.startsWith("hecate-http-shape-")), JSON.stringify(drift.map((c) => [c.action, c.id])));
    await apply(routes());
    assert.equal((await send(httpPort, `${name(4)}.test`, { "x-test-login": "yes" })).headers["x-upstream"], "one");
    assert.deepEqual(provider.diff(compile(routes()), await provider.read(ctx)), []);
  });

  const boundaries: [string, (r: ResolvedRoute) => void][] = [
    ["adds a header", (r) => (r.headers.response.set = { "X-Env": "prod" })],
    ["adds a second upstream", (r) => r.pool!.targets.push({ address: one.address, weight: 1 })],
    ["adds an active health check", (r) => (r.pool!.active = { path: "/health", interval: "30s", timeout: "5s" })],
    ["adds a passive health check", (r) => (r.pool!.passive = { failDuration: "30s", maxFails: 1 })],
  ];
  for (const [what, edit] of boundaries) {
    it(`a route that ${what} moves to its own route and back, no request failing meanwhile`, async () => {
      const failures: string[] = [];
      let sent = 0;
      let retried = 0;
      let running = true;
      const loop = (async () => {
        while (running) {
          for (const [host, headers] of [[`${name(5)}.test`, { "x-test-login": "yes" }], [`${name(6)}.test`, {}], [`${name(7)}.test`, { "x-test-login": "yes" }]] as const) {
            sent++;
            try {
              // Caddy 2.6.2 resets a connection that arrives while a reload swaps its servers,
              // before answering a byte on it (on every reload, whatever the layout): a client
              // retries such a GET once, as browsers do. Any answer other than 200 fails.
              const r = await send(httpPort, host, headers).catch((e: Error) => {
                if (!/ECONNRESET/.test(e.message)) throw e;
                retried++;
                return send(httpPort, host, headers);
              });
              if (r.status !== 200 || !["one", "two"].includes(String(r.headers["x-upstream"]))) failures.push(`${host}: ${r.status}`);
            } catch (e) {
              failures.push(`${host}: ${(e as Error).message}`);
            }
          }
        }
      })();
      try {
        const out = await apply(routes(edit));
        assert.ok(out.changes.every((c) => c.resource === `Route/${name(5)}` || !c.resource), JSON.stringify(out.changes.map((c) => [c.action, c.id, c.resource])));
        const own = await shapeOf(name(5));
        assert.equal(own.mapped, false, `${name(5)} ${what}: its own route now`);
        assert.ok(own.entry && "handle" in own.entry);
        if (what === "adds a header") assert.equal((await send(httpPort, `${name(5)}.test`, { "x-test-login": "yes" })).headers["x-env"], "prod");
        await apply(routes());
        assert.equal((await shapeOf(name(5))).mapped, true, `${name(5)} is back in the shape`);
      } finally {
        // Fast applies leave few requests in flight: keep the loop going for a few more rounds so
        // the route's last move is crossed by traffic too.
        const until = sent + 6;
        for (const end = Date.now() + 10_000; sent < until && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10));
        running = false;
        await loop;
      }
      assert.deepEqual(failures, [], `${failures.length} of ${sent} requests failed (${retried} connects retried)`);
      assert.ok(retried * 4 <= sent, `${retried} of ${sent} connections were reset`);
      assert.ok(sent >= 6, `only ${sent} requests were sent during the applies`);
    });
  }

  it("a dead upstream fails only its own host (no shared passive health state)", async () => {
    const dead = await freePort();
    await apply(routes((r) => (r.pool!.targets[0]!.address = `127.0.0.1:${dead}`)));
    assert.equal((await shapeOf(name(5))).mapped, true);
    assert.equal((await send(httpPort, `${name(5)}.test`, { "x-test-login": "yes" })).status, 502);
    for (const i of [4, 6, 7]) assert.equal((await send(httpPort, `${name(i)}.test`, { "x-test-login": "yes" })).status, 200, name(i));
    await apply(routes());
    assert.equal((await send(httpPort, `${name(5)}.test`, { "x-test-login": "yes" })).status, 200);
  });
});
