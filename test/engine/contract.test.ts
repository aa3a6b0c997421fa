// Provider contract v2 with a REST system (server-assigned ids, one call per object) in the same
// transaction as real Caddy and nginx: the order of real calls, a failure at change k of n for
// every k, and SIGKILL of the applying process between changes. Every time, the objects created
// are undone by their ids, and reality ends exactly as it was.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createEngine, type Engine } from "../../src/engine/index.js";
import type { Resource } from "../../src/model/schema.js";
import type { Provider } from "../../src/providers/provider.js";
import { openSqliteStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/store.js";
import { get } from "../caddy-provider/caddy.js";
import { freePort, tempDir } from "../helpers/proc.js";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { startTcpEcho, tcpRequest, type TcpEcho } from "../nginx/helpers.js";
import { startRealSystems, type RealSystems } from "./real-setup.js";
import { startRestSystem, tick, withRest, type RestSystem } from "./rest-double.js";
import { KEY, route, stream } from "./setup.js";

const policy = (outpost: string): Resource =>
  ({ apiVersion: "hecate.io/v1", kind: "AuthPolicy", metadata: { name: "staff" }, spec: { groups: ["staff"], outpost } }) as Resource;

function protectedRoute(name: string, upstream: string): Resource {
  return {
    apiVersion: "hecate.io/v1",
    kind: "Route",
    metadata: { name },
    spec: { hosts: [`${name}.example.com`], upstreams: [{ address: upstream }], authPolicy: "staff", tls: { mode: "off" } },
  } as Resource;
}

describe("provider contract v2: a REST system with real Caddy and nginx", () => {
  let sys: RealSystems;
  let rest: RestSystem;
  let store: Store;
  let engine: Engine;
  let dir: ReturnType<typeof tempDir>;
  let up: Upstream;
  let echo: TcpEcho;
  let streamPort: number;
  let streamPort2: number;
  let outpost: string;
  /** Caddy and nginx reports, on the REST system's clock. */
  const loads: { system: string; at: number }[] = [];
  let failNginx = false;

  const watch = (p: Provider): Provider => {
    if (p.system === "authentik") return p;
    const w = Object.create(p) as Provider;
    w.apply = async (batch, ctx) => {
      if (p.system === "nginx" && failNginx) {
        failNginx = false;
        throw new Error("nginx refused (injected)");
      }
      await p.apply(batch, { ...ctx, report: async (r) => (loads.push({ system: p.system, at: tick() }), ctx.report(r)) });
    };
    return w;
  };

  before(async () => {
    sys = await startRealSystems();
    rest = await startRestSystem();
    dir = tempDir("hecate-contract-");
    store = await openSqliteStore({ path: join(dir.path, "store.db"), secretKey: KEY });
    engine = createEngine({ store, actor: "alice", stepTimeoutMs: 5000, providers: withRest(rest.url, watch) });
    up = await startUpstream("A");
    echo = await startTcpEcho("one");
    streamPort = await freePort();
    streamPort2 = await freePort();
    outpost = `127.0.0.1:${await freePort()}`;
  });

  after(async () => {
    await sys?.stop();
    await rest?.close();
    await up?.close();
    await echo?.close();
    await store?.close();
    dir?.cleanup();
  });

  const base = () => [sys.settings, policy(outpost), route("blog", up.address), stream("pg", streamPort, echo.address)];
  const wide = () => [...base(), protectedRoute("app", up.address), protectedRoute("web", up.address), stream("pg2", streamPort2, echo.address)];

  /** What users and operators see: HTTP through Caddy, TCP through nginx, the REST system's objects. */
  async function observe() {
    const status = async (host: string) => (await get(sys.httpPort, host).catch(() => ({ status: 0 }))).status;
    return { blog: await status("blog.example.com"), app: await status("app.example.com"), pg: await tcpRequest(streamPort, "hi").catch((e: Error) => e.message), rest: rest.view() };
  }

  async function applied(resources: Resource[], message: string) {
    await engine.commit(resources, { message });
    const res = await engine.apply({}, { maxDeletes: 100 });
    assert.equal(res.status, "succeeded", JSON.stringify(res.steps));
    assert.deepEqual((await engine.plan()).steps, [], "nothing left to do after apply");
  }

  /** pks the REST system created since call index `from`, and pks deleted since. */
  function createdAndDeleted(from: number) {
    const since = rest.calls.slice(from);
    return {
      created: since.filter((c) => c.method === "POST" && c.pk !== undefined).map((c) => c.pk!).sort(),
      deleted: since.filter((c) => c.method === "DELETE" && c.status === 204).map((c) => c.pk!).sort(),
    };
  }

  it("orders real calls by dependency: authentik objects before Caddy on create, after Caddy on delete", async () => {
    await applied(base(), "base");
    const from = rest.calls.length;
    loads.length = 0;
    await applied([...base(), protectedRoute("app", up.address)], "protect app");
    const writes = rest.calls.slice(from).filter((c) => c.method !== "GET");
    const caddyAt = loads.find((l) => l.system === "caddy")!.at;
    assert.deepEqual(writes.map((c) => c.method), ["POST", "POST"]);
    const [prov, app] = writes;
    assert.equal(rest.objects.get(prov!.pk!)?.kind, "provider", "the provider first: the application names it");
    assert.equal(rest.objects.get(app!.pk!)?.kind, "application");
    assert.ok(app!.at < caddyAt, "Caddy sends users to the outpost only once the application exists");

    const from2 = rest.calls.length;
    loads.length = 0;
    await applied(base(), "unprotect app");
    const deletes = rest.calls.slice(from2).filter((c) => c.method === "DELETE");
    const caddyAt2 = loads.find((l) => l.system === "caddy")!.at;
    assert.deepEqual(deletes.map((c) => c.pk), [app!.pk, prov!.pk], "prunes in exactly the reverse order");
    assert.ok(caddyAt2 < deletes[0]!.at, "Caddy stops sending users there before the application goes");
    const journal = await store.readJournal((await store.listApplies({ limit: 1 }))[0]!.applyId);
    assert.deepEqual(
      journal.filter((e) => e.event === "step.start").map((e) => `${e.system}:${(e.data as { phase: string }).phase}`),
      ["caddy:all", "authentik:prune"],
    );
  });

  const N = 4; // two protected routes: a provider and an application each

  for (let k = 1; k <= N + 1; k++) {
    it(k <= N ? `a failure at REST change ${k} of ${N} undoes exactly the objects created, by id` : "a failure in nginx after every REST change and Caddy undoes all of them", async () => {
      await engine.commit(base(), { message: "base" });
      await engine.apply({}, { maxDeletes: 100 });
      const before = await observe();
      const from = rest.calls.length;
      await engine.commit(wide(), { message: `wide, failing at ${k}` });
      if (k <= N) rest.arm({ at: k, mode: "fail" });
      else failNginx = true;
      const res = await engine.apply({}, { maxDeletes: 100 });
      assert.equal(res.status, "rolled-back", JSON.stringify(res.steps));
      const { created, deleted } = createdAndDeleted(from);
      assert.equal(created.length, Math.min(k - 1, N), "the changes before k landed");
      assert.deepEqual(deleted, created, "and exactly those were undone, by their ids");
      assert.deepEqual(await observe(), before, "users see the old revision everywhere");
      const journal = await store.readJournal(res.applyId);
      assert.equal(journal.filter((e) => e.event === "change.done" && e.system === "authentik").length, created.length, "each change journaled as it completed");
      assert.deepEqual((await engine.drift()).drifted, false);
    });
  }

  for (const [k, mode] of [[1, "stall-before"], [2, "stall-before"], [3, "stall-before"], [4, "stall-before"], [2, "stall-after"], [4, "stall-after"]] as const) {
    it(`SIGKILL ${mode === "stall-before" ? "before" : "after"} REST write ${k} lands: the next run undoes exactly what was created`, async () => {
      await engine.commit(base(), { message: "base" });
      await engine.apply({}, { maxDeletes: 100 });
      const before = await observe();
      await engine.commit(wide(), { message: `wide, killed at ${k}` });
      const from = rest.calls.length;
      // Armed before the child starts: the k-th write from now is the child's k-th.
      let kill = () => undefined as unknown;
      rest.arm({ at: k, mode, onStall: () => kill() });
      const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./rest-crash-child.ts", import.meta.url)), join(dir.path, "store.db"), rest.url], {
        env: { ...process.env, HECATE_TEST_KEY: KEY.toString("hex") },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout.on("data", (c: Buffer) => (out += String(c)));
      child.stderr.on("data", (c: Buffer) => (out += String(c)));
      const exited = new Promise<NodeJS.Signals | null>((r) => child.on("exit", (_code, signal) => r(signal)));
      kill = () => child.kill("SIGKILL");
      assert.equal(await exited, "SIGKILL", `the child was killed mid-apply, not: ${out}`);
      const { created } = createdAndDeleted(from);
      assert.equal(created.length, mode === "stall-after" ? k : k - 1);

      const recoverFrom = rest.calls.length;
      await engine.plan(); // recovers the abandoned apply first
      const undone = createdAndDeleted(recoverFrom).deleted;
      assert.deepEqual(undone, created, "exactly the created objects were deleted, by their ids");
      assert.deepEqual(await observe(), before);
      assert.equal((await engine.drift()).drifted, false, "reality is the last applied revision");
      const rec = (await store.listAudit({ limit: 5 })).find((a) => a.action === "apply.recover");
      assert.equal((rec?.detail as { status?: string })?.status, "rolled-back");
      // And the revision applies fully afterwards.
      const res = await engine.apply({}, { maxDeletes: 100 });
      assert.equal(res.status, "succeeded", JSON.stringify(res.steps));
      assert.deepEqual((await engine.plan()).steps, []);
      assert.equal(Object.keys(rest.view()).length, N);
    });
  }
});
