// Apply against a slow Caddy admin API (a loopback proxy holding the write, then forwarding it to a
// real Caddy): the report never says "rolled back" unless Caddy's config was read back as before,
// and what the report says is where Caddy ends up.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { canonical } from "../../src/providers/caddy/owned.js";
import { CaddyClient } from "../../src/providers/caddy/client.js";
import { createEngine } from "../../src/engine/index.js";
import type { Resource } from "../../src/model/schema.js";
import { openSqliteStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/store.js";
import { startCaddy, type Caddy } from "../caddy-provider/caddy.js";
import { startSlowAdmin, type SlowAdmin } from "../caddy-provider/slow-admin.js";
import { freePort, tempDir } from "../helpers/proc.js";
import { KEY, route } from "./setup.js";

describe("apply against a slow Caddy admin API", () => {
  let caddy: Caddy;
  let slow: SlowAdmin;
  let store: Store;
  let dir: ReturnType<typeof tempDir>;
  let ports: { httpPort: number; httpsPort: number };
  const direct = () => new CaddyClient(caddy.admin);
  const settings = (caddyExtra: Record<string, unknown>): Resource =>
    ({
      apiVersion: "hecate.io/v1",
      kind: "Settings",
      metadata: { name: "settings" },
      spec: { caddy: { admin: [slow.url], listen: [`127.0.0.1:${ports.httpsPort}`], ...ports, ...caddyExtra } },
    }) as Resource;

  before(async () => {
    caddy = await startCaddy();
    slow = await startSlowAdmin(caddy.admin);
    dir = tempDir("hecate-engine-slow-");
    store = await openSqliteStore({ path: join(dir.path, "store.db"), secretKey: KEY });
    ports = { httpPort: await freePort(), httpsPort: await freePort() };
  });
  after(async () => {
    await slow?.close();
    await caddy?.stop();
    await store?.close();
    dir?.cleanup();
  });

  /** Apply rev (which the proxy delays by `delay` ms); return the result and Caddy's config before. */
  async function applySlow(engineOpts: { stepTimeoutMs?: number }, caddyExtra: Record<string, unknown>, delay: number, name: string) {
    const engine = createEngine({ store, actor: "alice", ...engineOpts });
    await engine.commit([settings(caddyExtra), route("app", "127.0.0.1:9")], { message: "base" });
    const base = await engine.apply();
    assert.ok(base.status === "succeeded" || base.status === "no-op", JSON.stringify(base.steps));
    const before = (await direct().getConfig()).config;
    await engine.commit([settings(caddyExtra), route("app", "127.0.0.1:9"), route(name, "127.0.0.1:9")], { message: name });
    slow.delayNext(delay);
    const result = await engine.apply();
    return { result, before };
  }

  it("Caddy's timeout passes, the write lands later: undone against what is really there, and it stays undone", async () => {
    const { result, before } = await applySlow({}, { timeout: "400ms", settleTimeout: "5s" }, 1200, "late");
    const caddyStep = result.steps.find((s) => s.system === "caddy")!;
    assert.equal(result.status, "rolled-back", JSON.stringify(result.steps));
    assert.match(caddyStep.error ?? "", /did not answer within 400 ms.*Caddy took it/);
    await slow.landed();
    await new Promise((r) => setTimeout(r, 200));
    // Rolled back means Caddy runs the config it ran before, also after every write landed.
    assert.equal(canonical((await direct().getConfig()).config), canonical(before));
  });

  it("the engine's step timeout fires first: the sent write is still waited for before reading back", async () => {
    const { result, before } = await applySlow({ stepTimeoutMs: 400 }, { timeout: "30s", settleTimeout: "5s" }, 1200, "abandoned");
    assert.equal(result.status, "rolled-back", JSON.stringify(result.steps));
    await slow.landed();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(canonical((await direct().getConfig()).config), canonical(before));
  });

  it("the write is still unanswered after the extra wait: the apply says the outcome is unknown, not rolled back", async () => {
    const { result, before } = await applySlow({}, { timeout: "400ms", settleTimeout: "200ms" }, 1800, "unknown");
    const caddyStep = result.steps.find((s) => s.system === "caddy")!;
    assert.notEqual(result.status, "rolled-back", JSON.stringify(result.steps));
    assert.equal(caddyStep.status, "undo-failed");
    assert.match(caddyStep.error ?? "", new RegExp(`Caddy admin at ${slow.url.replace(/\./g, "\\.")}.*POST /config/ was sent .*unknown`));
    // Caddy still ran the old config when the report was made; the report did not claim it.
    await slow.landed();
    // The write landed, as "unknown (it may still land)" warned: Caddy is on the new config now.
    const now = (await direct().getConfig()).config;
    assert.notEqual(canonical(now), canonical(before));
    assert.match(JSON.stringify(now), /unknown\.example\.com/);
  });
});
