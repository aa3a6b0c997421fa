// The reconcile loop inside the server, against real Caddy: a route removed from Caddy by hand
// is put back by the leading server within a few rounds, drift shows in /metrics and reaches a
// webhook as drift.detected; a second server on the same store follows until the leader stops,
// then takes over.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { get, startCaddy, type Caddy } from "../caddy-provider/caddy.js";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { eventually, tempDir } from "../helpers/proc.js";
import type { SqliteStore } from "../../src/store/sqlite.js";
import { storeWithCaddy } from "./setup.js";
import { createEngine } from "../../src/engine/index.js";
import { createToken } from "../../src/server/tokens.js";
import { jsonLogger, startServer, type RunningServer } from "../../src/server/serve.js";
import type { Resource } from "../../src/model/schema.js";

const dir = tempDir("hecate-reconcile-");
let store: SqliteStore;
let caddy: Caddy;
let up: Upstream;
let httpPort: number;
let token = "";
let receiver: HttpServer;
const events: { type: string; data: Record<string, unknown> }[] = [];
const servers: RunningServer[] = [];

const metric = async (url: string, series: string) => {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  return Number(text.split("\n").find((l) => l.startsWith(series + " "))?.split(" ").pop());
};

before(async () => {
  const key = randomBytes(32);
  caddy = await startCaddy();
  up = await startUpstream("kept");
  const route = { apiVersion: "hecate.io/v1", kind: "Route", metadata: { name: "kept" }, spec: { hosts: ["kept.test"], upstreams: [{ address: up.address }], public: true, tls: { mode: "off" } } } as Resource;
  ({ store, httpPort } = await storeWithCaddy(`${dir.path}/hecate.db`, key, caddy, [route]));
  const applied = await createEngine({ store, actor: "operator" }).apply({});
  assert.equal(applied.status, "succeeded");
  token = (await createToken(store, { name: "ops", scope: "admin", createdBy: "operator" })).token;
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      events.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
});

after(async () => {
  for (const s of servers) await s.close();
  await store?.close();
  await caddy?.stop();
  await up?.close();
  await new Promise((r) => receiver?.close(r));
  dir.cleanup();
});

describe("hecate serve --reconcile", () => {
  it("the leader puts a hand-deleted route back, counts it, and tells webhooks; a follower takes over when it stops", async () => {
    // A lease long enough that a round's apply in this same process (which also runs both
    // servers and Caddy's traffic checks) cannot outlast it on a loaded machine.
    const start = () => startServer({ store, listen: { type: "tcp", host: "127.0.0.1", port: 0 }, logger: jsonLogger(() => undefined), reconcile: { intervalMs: 300, leaseMs: 5000 } });
    const first = await start();
    servers.push(first);
    await eventually(async () => (await metric(first.url, "hecate_reconcile_leader")) === 1, 15_000);
    const second = await start();
    servers.push(second);
    const hook = await fetch(`${first.url}/v1/webhooks`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`, events: ["drift.detected"] }) });
    assert.equal(hook.status, 201);

    assert.equal((await get(httpPort, "kept.test", "/")).status, 200);
    const del = await fetch(`${caddy.admin}/id/hecate-route-kept`, { method: "DELETE" });
    assert.equal(del.status, 200, "removed by hand");
    assert.notEqual((await get(httpPort, "kept.test", "/").catch(() => ({ status: 0 }))).status, 200);

    await eventually(async () => (await get(httpPort, "kept.test", "/").catch(() => ({ status: 0 }))).status === 200, 20_000);
    const drift = (await eventually(() => events.find((e) => e.type === "drift.detected"), 20_000))!;
    assert.equal(drift.data.source, "reconcile");
    assert.equal(drift.data.repaired, true);
    assert.match(JSON.stringify(drift.data.systems), /caddy/);
    assert.ok((await metric(first.url, 'hecate_reconcile_rounds_total{status="ok"}')) >= 1);
    assert.equal(await metric(second.url, "hecate_reconcile_leader"), 0, "one leader per store");
    const audit = await store.listAudit({ limit: 50 });
    assert.ok(audit.some((e) => e.actor === "hecate-serve" && e.action === "apply"), "the repair is audited as the server");

    await first.close();
    servers.splice(servers.indexOf(first), 1);
    await eventually(async () => (await metric(second.url, "hecate_reconcile_leader")) === 1, 15_000);
  });
});
