// --probe: after Caddy takes the config, a request through the proxy per changed route; a route
// whose upstream does not answer fails the apply and everything is put back.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createEngine, type Engine } from "../../src/engine/index.js";
import { openSqliteStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/store.js";
import { get } from "../caddy-provider/caddy.js";
import { freePort, tempDir } from "../helpers/proc.js";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { startRealSystems, type RealSystems } from "./real-setup.js";
import { KEY, route } from "./setup.js";

describe("apply --probe", () => {
  let sys: RealSystems;
  let store: Store;
  let engine: Engine;
  let up: Upstream;
  const dir = tempDir("hecate-probe-");

  before(async () => {
    sys = await startRealSystems();
    up = await startUpstream("A");
    store = await openSqliteStore({ path: join(dir.path, "store.db"), secretKey: KEY });
    engine = createEngine({ store, actor: "alice", stepTimeoutMs: 8000 });
  });
  after(async () => {
    await sys?.stop();
    await up?.close();
    await store?.close();
    dir.cleanup();
  });

  it("passes for a reachable upstream and rolls back a route whose upstream is dead", async () => {
    await engine.commit([sys.settings, route("app", up.address)], { message: "good" });
    const ok = await engine.apply(undefined, { probe: true });
    assert.equal(ok.status, "succeeded", JSON.stringify(ok));
    assert.equal((await get(sys.httpPort, "app.example.com")).status, 200);

    const dead = `127.0.0.1:${await freePort()}`; // nothing listens there
    await engine.commit([sys.settings, route("app", up.address), route("broken", dead)], { message: "bad" });
    const bad = await engine.apply(undefined, { probe: true });
    assert.equal(bad.status, "rolled-back", JSON.stringify(bad));
    const caddy = bad.steps.find((s) => s.system === "caddy");
    assert.match(caddy?.error ?? "", /probe of http:\/\/broken\.example\.com\/ answered 502/);
    // Back at the old revision: the broken host is unknown again, the good one still serves.
    assert.equal((await get(sys.httpPort, "broken.example.com")).status, 404);
    assert.equal((await get(sys.httpPort, "app.example.com")).status, 200);
    const plan = await engine.plan({ revision: "#1" });
    assert.deepEqual(plan.steps, [], "reality is exactly the first revision");
  });
});
