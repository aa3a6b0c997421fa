// A write that times out against a slow admin API (a proxy holding it, then forwarding it to a
// real Caddy): the client waits for its answer and says what Caddy did, or says the outcome is
// unknown and refuses reads until the write is answered, so nobody reports a state not read back.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { CaddyClient } from "../../src/providers/caddy/client.js";
import { createServer, type Socket } from "node:net";
import { eventually, freePort } from "../helpers/proc.js";
import { rejectsWith as rejects } from "../helpers/errors.js";
import { startCaddy, type Caddy } from "./caddy.js";
import { startSlowAdmin, type SlowAdmin } from "./slow-admin.js";


const servers = (n: number) => ({ apps: { http: { servers: { [`hecate-${n}`]: { listen: [`127.0.0.1:${40000 + n}`], routes: [] } } } } });
const appsOf = (c: unknown) => (c as { apps?: unknown }).apps;

describe("caddy admin client against a slow admin API", () => {
  let caddy: Caddy;
  let slow: SlowAdmin;
  let direct: CaddyClient;
  before(async () => {
    caddy = await startCaddy();
    slow = await startSlowAdmin(caddy.admin);
    direct = new CaddyClient(caddy.admin);
  });
  after(async () => {
    await slow?.close();
    await caddy?.stop();
  });

  it("a write answered after the timeout: waits for the answer and says Caddy took it", async () => {
    const live = await direct.getConfig();
    slow.delayNext(600);
    const c = new CaddyClient(slow.url, { timeoutMs: 150, settleMs: 5000 });
    const next = { ...(live.config as object), ...servers(1) };
    await rejects(c.putConfig(next), "caddy-timeout", new RegExp(`${slow.url.replace(/\./g, "\\.")}.*did not answer within 150 ms.*answered \\d+ ms after it was sent: Caddy took it`));
    // Answered means landed: what a read says now stays true.
    assert.deepEqual(appsOf((await direct.getConfig()).config), servers(1).apps);
  });

  it("a write still unanswered after the extra wait: outcome unknown, and reads refuse until it is answered", async () => {
    const live = await direct.getConfig();
    slow.delayNext(1500);
    const c = new CaddyClient(slow.url, { timeoutMs: 150, settleMs: 200 });
    await rejects(c.putConfig({ ...(live.config as object), ...servers(2) }), "caddy-outcome-unknown", new RegExp(`${slow.url.replace(/\./g, "\\.")}.*POST /config/ was sent \\d+ ms ago.*unknown`));
    // Caddy itself still has the old config; a read through the same endpoint must not say so.
    assert.deepEqual(appsOf((await direct.getConfig()).config), appsOf(live.config));
    await rejects(new CaddyClient(slow.url, { settleMs: 200 }).getConfig(), "caddy-outcome-unknown", /still unanswered/);
    await slow.landed();
    // Once answered, reads go on and show what really happened: the write landed late. (Caddy may
    // reset the connection as it replaces its admin listener, before its reload is done: on a busy
    // machine the first read after that can still see the old config, so the read is retried.)
    const after = await eventually(async () => {
      const read = await new CaddyClient(slow.url, { settleMs: 200 }).getConfig();
      assert.deepEqual(appsOf(read.config), servers(2).apps);
      return read;
    }, 5000, 20);
    assert.deepEqual(appsOf(after.config), servers(2).apps);
  });

  it("a write that could not be sent whole changed nothing, and says so without waiting", async () => {
    // A listener that never reads: a 32 MiB body cannot leave the kernel's buffers.
    const port = await freePort();
    const sockets: Socket[] = [];
    const sink = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => sink.listen(port, "127.0.0.1", r));
    try {
      const c = new CaddyClient(`http://127.0.0.1:${port}`, { timeoutMs: 200, settleMs: 60_000 });
      const started = Date.now();
      await rejects(c.putConfigText(" ".repeat(32 << 20)), "caddy-timeout", new RegExp(`^POST /config/ was not completely sent to Caddy admin at http://127\\.0\\.0\\.1:${port} \\(it did not answer within 200 ms\\): nothing was changed`));
      assert.ok(Date.now() - started < 5000, "no settle wait for a write Caddy never had");
      assert.equal(c.pendingWrites(), 0);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => sink.close(r));
    }
  });

  it("an aborted write that was sent is waited for like a timed-out one", async () => {
    const live = await direct.getConfig();
    slow.delayNext(400);
    const ac = new AbortController();
    const c = new CaddyClient(slow.url, { timeoutMs: 10_000, settleMs: 5000, signal: ac.signal });
    setTimeout(() => ac.abort(new Error("apply of caddy did not finish within 100 ms")), 100);
    await rejects(c.putConfig({ ...(live.config as object), ...servers(3) }), "caddy-timeout", /was abandoned \(apply of caddy did not finish within 100 ms\).*Caddy took it/);
    assert.deepEqual(appsOf((await direct.getConfig()).config), servers(3).apps);
  });
});
