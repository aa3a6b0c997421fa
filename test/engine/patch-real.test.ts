// The engine with real Caddy over a one-route change, which the Caddy provider applies as a guarded
// PATCH /id/: the change is journaled as that route on that node, its undo (in process, and from
// the sealed journal record after a SIGKILL) puts back exactly the config there was.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { createEngine, type Engine } from "../../src/engine/index.js";
import type { Resource } from "../../src/model/schema.js";
import { providersFor } from "../../src/providers/index.js";
import type { Provider } from "../../src/providers/provider.js";
import { CaddyClient } from "../../src/providers/caddy/client.js";
import { openSqliteStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/store.js";
import { get } from "../caddy-provider/caddy.js";
import { tempDir } from "../helpers/proc.js";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { startRealSystems, type RealSystems } from "./real-setup.js";
import { KEY, route, runUntilKilled } from "./setup.js";

describe("engine, one-route change by PATCH /id/ on real Caddy", () => {
  let sys: RealSystems;
  let store: Store;
  let engine: Engine;
  let dir: ReturnType<typeof tempDir>;
  let client: CaddyClient;
  const ups: Upstream[] = [];
  let failAfter = false;
  let rev1: Resource[];
  let rev2: Resource[];
  let text1: string;

  before(async () => {
    sys = await startRealSystems();
    dir = tempDir("hecate-engine-patch-");
    store = await openSqliteStore({ path: join(dir.path, "store.db"), secretKey: KEY });
    // One shot: the Caddy apply lands, then fails, so the engine must undo what was reported.
    const faulty = (p: Provider): Provider => {
      const w = Object.create(p) as Provider;
      w.apply = async (batch, ctx) => {
        await p.apply(batch, ctx);
        if (failAfter) throw new Error("caddy failed after the change landed (injected)");
      };
      return w;
    };
    engine = createEngine({ store, actor: "alice", providers: (state, o) => providersFor(state, o).providers.map((p) => (p.system === "caddy" ? faulty(p) : p)) });
    client = new CaddyClient(sys.caddy.admin);
    ups.push(await startUpstream("A"), await startUpstream("B"));
    rev1 = [sys.settings, route("app", ups[0]!.address), route("api", ups[0]!.address)];
    rev2 = [sys.settings, route("app", ups[1]!.address), route("api", ups[0]!.address)];
    await engine.commit(rev1, { message: "one" });
    assert.equal((await engine.apply()).status, "succeeded");
    text1 = (await client.getConfigText()).text;
  });
  after(async () => {
    await sys?.stop();
    for (const u of ups) await u.close();
    await store?.close();
    dir?.cleanup();
  });

  const who = async (host: string) => String((await get(sys.httpPort, host)).headers["x-upstream"]);
  const changeRecords = async (applyId: string) =>
    (await store.readJournal(applyId)).filter((e) => e.event === "change.done").map((e) => (e.data as { record: { change: unknown; ids?: unknown; sealed?: string } }).record);

  it("a failure after the PATCH landed: undone through its journaled record, the config exactly as before", async () => {
    await engine.commit(rev2, { message: "two, failing" });
    failAfter = true;
    const res = await engine.apply();
    failAfter = false;
    assert.equal(res.status, "rolled-back", JSON.stringify(res.steps));
    const records = await changeRecords(res.applyId);
    assert.deepEqual(records.map((r) => [r.change, r.ids]), [[{ system: "caddy", action: "update", kind: "route", id: "hecate-route-app", resource: "Route/app" }, { endpoint: sys.caddy.admin }]]);
    assert.ok(records[0]!.sealed, "the previous route is sealed, not in the journal");
    const journal = await store.readJournal(res.applyId);
    assert.deepEqual(journal.filter((e) => e.event === "undo.done").map((e) => (e.data as { n: number }).n), [0], "undone by its record");
    assert.equal((await client.getConfigText()).text, text1);
    assert.equal(await who("app.example.com"), "A");
  });

  it("SIGKILLed after the PATCH was journaled: the next run undoes it from the sealed record", async () => {
    await runUntilKilled(new URL("./crash-child-real.ts", import.meta.url), [join(dir.path, "store.db"), "step.done:caddy"], "step.done:caddy");
    assert.equal(await who("app.example.com"), "B", "the PATCH had landed");
    await engine.plan(); // recovers the interrupted apply first
    const [last] = await store.listApplies({ limit: 1 });
    assert.equal(last?.status, "rolled-back");
    const journal = await store.readJournal(last!.applyId);
    assert.deepEqual((await changeRecords(last!.applyId)).map((r) => (r.change as { kind: string }).kind), ["route"]);
    assert.deepEqual(journal.filter((e) => e.event === "undo.done").map((e) => (e.data as { n: number }).n), [0], "undone by its record");
    assert.equal((await client.getConfigText()).text, text1);
    assert.equal(await who("app.example.com"), "A");
  });

  it("applies it once nothing fails: verified, and nothing left to plan", async () => {
    const res = await engine.apply();
    assert.equal(res.status, "succeeded", JSON.stringify(res.steps));
    assert.deepEqual((await changeRecords(res.applyId)).map((r) => (r.change as { id: string }).id), ["hecate-route-app"]);
    assert.equal(await who("app.example.com"), "B");
    assert.equal(await who("api.example.com"), "A");
    assert.deepEqual((await engine.plan()).steps, []);
  });
});
