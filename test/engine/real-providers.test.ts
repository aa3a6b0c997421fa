// The engine with the real Caddy and nginx providers against real Caddy 2.6 and nginx: no phantom
// diffs, failures at each step (error before/after the change, timeout, SIGKILL) end at the old
// revision with real traffic proving it, and drift from a hand edit is found and put back.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createEngine, type Engine } from "../../src/engine/index.js";
import type { Resource } from "../../src/model/schema.js";
import { providersFor } from "../../src/providers/index.js";
import type { Provider, SystemName } from "../../src/providers/provider.js";
import { openSqliteStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/store.js";
import { get } from "../caddy-provider/caddy.js";
import { freePort, tempDir } from "../helpers/proc.js";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { startTcpEcho, tcpRequest, type TcpEcho } from "../nginx/helpers.js";
import { startRealSystems, type RealSystems } from "./real-setup.js";
import { KEY, route, runUntilKilled, stream } from "./setup.js";

type Mode = "before" | "after" | "hang";

/** Wraps a real provider so its apply fails: before touching anything, after the change landed, or by hanging. */
function faulty(p: Provider, mode: Mode): Provider {
  const w = Object.create(p) as Provider;
  let fired = false; // one shot: the undo that follows uses the real apply
  w.apply = async (batch, ctx) => {
    if (fired) return p.apply(batch, ctx);
    fired = true;
    if (mode === "before") throw new Error(`${p.system} refused (injected)`);
    if (mode === "hang") {
      await new Promise<void>((_, reject) => ctx.signal?.addEventListener("abort", () => reject(new Error("aborted")), { once: true }));
    }
    await p.apply(batch, ctx);
    throw new Error(`${p.system} failed after the change landed (injected)`);
  };
  return w;
}

describe("engine with real Caddy and nginx", () => {
  let sys: RealSystems;
  let store: Store;
  let engine: Engine;
  let dir: ReturnType<typeof tempDir>;
  const ups: Upstream[] = [];
  const echoes: TcpEcho[] = [];
  let fault: { system: SystemName; mode: Mode } | undefined;
  let rev1: Resource[];
  let rev2: Resource[];
  let streamPort: number;

  before(async () => {
    sys = await startRealSystems();
    dir = tempDir("hecate-engine-real-");
    store = await openSqliteStore({ path: join(dir.path, "store.db"), secretKey: KEY });
    engine = createEngine({
      store,
      actor: "alice",
      stepTimeoutMs: 4000,
      providers: (state, o) => providersFor(state, o).providers.map((p) => (fault && fault.system === p.system ? faulty(p, fault.mode) : p)),
    });
    ups.push(await startUpstream("A"), await startUpstream("B"));
    echoes.push(await startTcpEcho("one"), await startTcpEcho("two"));
    streamPort = await freePort();
    rev1 = [sys.settings, route("app", ups[0]!.address), route("api", ups[0]!.address), stream("pg", streamPort, echoes[0]!.address)];
    rev2 = [sys.settings, route("app", ups[1]!.address), route("web", ups[1]!.address), stream("pg", streamPort, echoes[1]!.address)];
  });

  after(async () => {
    await sys?.stop();
    for (const u of ups) await u.close();
    for (const e of echoes) await e.close();
    await store?.close();
    dir?.cleanup();
  });

  /** What a user sees: which upstream answers each route, which echo answers the stream. */
  async function observe() {
    const who = async (host: string) => {
      const r = await get(sys.httpPort, host).catch(() => ({ status: 0, headers: {} as Record<string, unknown> }));
      return r.status === 200 ? String(r.headers["x-upstream"]) : `status ${r.status}`;
    };
    return {
      app: await who("app.example.com"),
      api: await who("api.example.com"),
      web: await who("web.example.com"),
      pg: await tcpRequest(streamPort, "hi").catch((e: Error) => e.message),
    };
  }
  const OLD = { app: "A", api: "A", web: "status 404", pg: "one:hi" };
  const NEW = { app: "B", api: "status 404", web: "B", pg: "two:hi" };

  it("applies, then plans nothing, repeatedly (no phantom diffs)", async () => {
    const one = (await engine.commit(rev1, { message: "one" })).revision;
    const res = await engine.apply();
    assert.equal(res.status, "succeeded", JSON.stringify(res.steps));
    const seen = await observe();
    assert.equal(seen.app, "A");
    assert.equal(seen.pg, "one:hi");
    for (let i = 0; i < 3; i++) {
      const plan = await engine.plan();
      assert.deepEqual(plan.steps, [], `phantom diff on round ${i}: ${JSON.stringify(plan.steps).slice(0, 500)}`);
      assert.equal((await engine.apply()).status, "no-op");
    }
    assert.equal((await store.lastApplied())?.hash, one.hash);
    // the web route 404s because Caddy has no such host yet
    assert.equal(seen.web, "status 404");
    OLD.web = seen.web;
  });

  for (const system of ["caddy", "nginx"] as const) {
    for (const mode of ["before", "after", "hang"] as const) {
      it(`${system} ${mode === "hang" ? "times out" : `fails ${mode} its change`}: old revision everywhere`, async () => {
        await engine.commit(rev2, { message: `two (${system} ${mode})` });
        fault = { system, mode };
        const res = await engine.apply();
        fault = undefined;
        assert.equal(res.status, "rolled-back", JSON.stringify(res.steps));
        assert.deepEqual(await observe(), OLD);
        const back = await engine.plan({ revision: (await store.lastApplied())!.hash });
        assert.deepEqual(back.steps, [], "reality is exactly the old revision");
        const journal = await store.readJournal(res.applyId);
        assert.deepEqual(
          journal.filter((e) => e.event === "restore.done").map((e) => e.system),
          journal.filter((e) => e.event === "step.start").map((e) => e.system).reverse(),
        );
      });
    }
  }

  for (const killAt of ["step.done:caddy", "step.start:nginx", "step.done:nginx"]) {
    it(`an apply SIGKILLed at ${killAt} is undone by the next run`, async () => {
      await engine.commit(rev2, { message: `two (kill at ${killAt})` });
      await runUntilKilled(new URL("./crash-child-real.ts", import.meta.url), [join(dir.path, "store.db"), killAt], killAt);
      const mixed = await observe();
      assert.notDeepEqual(mixed, OLD, "the kill left the new revision at least partly live");
      const plan = await engine.plan();
      assert.deepEqual(await observe(), OLD);
      assert.ok(plan.steps.length > 0);
      const [last] = await store.listApplies({ limit: 1 });
      assert.equal(last?.status, "rolled-back");
      assert.equal((await store.listApplies({ status: "running" })).length, 0);
    });
  }

  it("applies the new revision fully once nothing fails", async () => {
    const res = await engine.apply();
    assert.equal(res.status, "succeeded", JSON.stringify(res.steps));
    assert.deepEqual(await observe(), NEW);
    assert.deepEqual((await engine.plan()).steps, []);
  });

  it("renders exactly the config the systems run: Caddy's JSON document, nginx's stream file; empty for systems the state does not use", async () => {
    // Runs after the head revision was applied, so the rendered text must be what is live.
    const caddyText = await engine.render("caddy");
    const rendered: unknown = JSON.parse(caddyText);
    assert.ok(rendered && typeof rendered === "object" && !Array.isArray(rendered), `caddy renders a JSON object, not ${typeof rendered}`);
    assert.equal(caddyText.trimEnd(), JSON.stringify(rendered, null, 2), "caddy renders plain pretty-printed JSON, not an escaped string");
    const live = (await adminJson(sys.caddy.admin, "GET", "/config/")) as Record<string, unknown>;
    assert.deepEqual(rendered, pick(live, Object.keys(rendered as object)), "rendered Caddy JSON is the live config");
    const dials = JSON.stringify(rendered).match(/"dial":"[^"]*"/g) ?? [];
    assert.deepEqual([...new Set(dials)], [`"dial":"${ups[1]!.address}"`], "the head revision's one upstream, and nothing else");

    const nginxText = await engine.render("nginx");
    assert.equal(nginxText, readFileSync((sys.settings.spec as { nginx: { streamFile: string } }).nginx.streamFile, "utf8"), "rendered nginx text is byte for byte the stream file nginx runs");
    assert.match(nginxText, new RegExp(`^\\s*listen ${streamPort};$`, "m"));
    assert.match(nginxText, new RegExp(`^\\s*server ${echoes[1]!.address.replace(/\./g, "\\.")}\\b[^;\\n]*;$`, "m"));
    assert.doesNotMatch(nginxText, /\\n|\\"/, "no JSON escapes in the nginx text");
    assert.match(await engine.render("dns"), /^; no DNS record sets/, "no DnsRecord and no route with dns: nothing for DNS, said so");
    assert.match(await engine.render("authentik"), /^entries: \[\]$/m, "no auth policy: an empty authentik blueprint");
  });

  it("drift lists a hand edit made through Caddy's admin API and reconcile puts it back", async () => {
    // Someone points the app route at upstream A by hand.
    const cfg = await adminJson(sys.caddy.admin, "GET", "/config/");
    const text = JSON.stringify(cfg).split(ups[1]!.address).join(ups[0]!.address);
    await adminJson(sys.caddy.admin, "POST", "/load", text);
    assert.equal((await observe()).app, "A");
    const d = await engine.drift();
    assert.equal(d.drifted, true);
    const caddy = d.systems.find((s) => s.system === "caddy")!;
    assert.ok(caddy.changes.length >= 1);
    assert.ok(caddy.changes.every((c) => c.action === "update"), JSON.stringify(caddy.changes.map((c) => c.id)));
    assert.equal(d.systems.find((s) => s.system === "nginx")!.changes.length, 0);
    const res = await engine.reconcile();
    assert.equal(res.status, "succeeded");
    assert.deepEqual(await observe(), NEW);
    assert.equal((await engine.drift()).drifted, false);
  });
});

/** The keys of `o` named in `keys` (the part of the live config Hecate rendered). */
function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, o[k]]));
}

function adminJson(admin: string, method: string, path: string, body?: string): Promise<unknown> {
  const u = new URL(admin);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method, headers: { "content-type": "application/json" } }, (res) => {
      let s = "";
      res.on("data", (c) => (s += c));
      res.on("end", () => ((res.statusCode ?? 500) >= 400 ? reject(new Error(`${method} ${path}: ${res.statusCode} ${s}`)) : resolve(s ? JSON.parse(s) : undefined)));
    });
    req.on("error", reject);
    req.end(body);
  });
}
