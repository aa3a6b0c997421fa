// `hecate webhook rotate-secret` with a real receiver over loopback: during the grace window each
// delivery's Hecate-Signature carries a v1 signature made with the new secret and one made with the
// old (a receiver holding either accepts it); after the window only the new one, and the
// reconcile loop's upkeep removes the old secret from the store. Audited without a secret.
import assert from "node:assert/strict";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { cliEnv, runCli } from "../helpers/cli.js";
import { eventually, freePort, tempDir } from "../helpers/proc.js";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite.js";
import { createToken } from "../../src/server/tokens.js";
import { jsonLogger, startServer, type RunningServer } from "../../src/server/serve.js";
import type { Resource } from "../../src/model/schema.js";
import { ApiClient } from "./client.js";

const dir = tempDir("hecate-webhook-rotation-");
const key = randomBytes(32);
const env = cliEnv(dir.path, key);
let store: SqliteStore;
let server: RunningServer;
let writer: ApiClient;
let admin: ApiClient;
let receiver: HttpServer;
let receiverUrl: string;
/** Every delivery the receiver got: its signature header and exact body. */
const got: { route: string; header: string; body: string }[] = [];

const hecate = (args: string[], extra: Record<string, string> = {}) => runCli({ ...env, ...extra }, args);

/** A receiver's check: a recent timestamp and any v1 that is the HMAC of "t.body" with its secret, compared in constant time. */
function verify(header: string, body: string, secret: string): boolean {
  const parts = header.split(",").map((p) => [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)] as const);
  const t = Number(parts.find(([k]) => k === "t")?.[1]);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > 300) return false;
  const want = createHmac("sha256", secret).update(`${t}.${body}`).digest();
  return parts.filter(([k]) => k === "v1").some(([, v]) => {
    const given = Buffer.from(v, "hex");
    return given.length === want.length && timingSafeEqual(given, want);
  });
}
let writeToken = "";
let adminToken = "";
const v1s = (header: string) => header.split(",").filter((p) => p.startsWith("v1=")).length;

before(async () => {
  store = await openSqliteStore({ path: env.HECATE_STORE!, secretKey: key });
  const settings = { apiVersion: "hecate.io/v1", kind: "Settings", metadata: { name: "settings" }, spec: { caddy: { admin: [`127.0.0.1:${await freePort()}`] } } } as Resource;
  await store.putRevision({ resources: [settings], author: "ops", message: "settings", source: { type: "cli" }, expectedParent: 0 });
  writeToken = (await createToken(store, { name: "ci", scope: "write", createdBy: "ops" })).token;
  adminToken = (await createToken(store, { name: "ops", scope: "admin", createdBy: "ops" })).token;
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      got.push({ route: (JSON.parse(body) as { data: { route: string } }).data.route, header: String(req.headers["hecate-signature"]), body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  // A reconcile loop: nothing is applied (so it idles), but its upkeep closes ended grace windows.
  server = await startServer({ store, listen: { type: "tcp", host: "127.0.0.1", port: 0 }, logger: jsonLogger(() => undefined), webhookRetry: { baseMs: 100, attempts: 2, timeoutMs: 2000 }, reconcile: { intervalMs: 300, leaseMs: 5000 } });
  writer = new ApiClient(server.url, writeToken);
  await writer.loadSpec(adminToken);
  admin = writer.as(adminToken);
});

after(async () => {
  await server?.close();
  await store?.close();
  await new Promise((r) => receiver?.close(r));
  dir.cleanup();
});

/** Create a route through the API and wait for its route.created delivery. */
async function delivery(name: string): Promise<{ header: string; body: string }> {
  const created = await writer.call("POST", "/v1/routes", { body: { apiVersion: "hecate.io/v1", kind: "Route", metadata: { name }, spec: { hosts: [`${name}.test`], upstreams: [{ address: "127.0.0.1:9" }], public: true, tls: { mode: "off" } } } });
  assert.equal(created.status, 201, created.text);
  return (await eventually(() => got.find((g) => g.route === name), 15_000))!;
}

describe("webhook signing secret rotation", () => {
  it("signs with the new and the old secret during the window, then with the new one only", async () => {
    const made = await admin.call("POST", "/v1/webhooks", { body: { url: receiverUrl, events: ["route.created"] } });
    assert.equal(made.status, 201, made.text);
    const old: string = made.body.secret;
    const id: string = made.body.webhook.id;

    const before = await delivery("one");
    assert.equal(v1s(before.header), 1);
    assert.ok(verify(before.header, before.body, old));

    const r = await hecate(["webhook", "rotate-secret", id, "--grace", "5s"]);
    assert.equal(r.code, 0, r.stderr);
    const fresh = r.stdout.trim();
    assert.match(fresh, /^whsec_[A-Za-z0-9_-]{43}$/, "the new secret alone on stdout");
    assert.match(r.stderr, new RegExp(`webhook ${id} \\(${receiverUrl.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\) has a new signing secret: keep it now, it is not shown again; deliveries are signed with the old one too until (\\S+)\\n$`));
    const until = Date.parse(/until (\S+)\n$/.exec(r.stderr)![1]!);

    const during = await delivery("two");
    assert.ok(Date.now() < until, "delivered inside the window");
    assert.equal(v1s(during.header), 2, "two signatures, one per secret");
    assert.match(during.header, /^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    assert.ok(verify(during.header, during.body, old), "a receiver still on the old secret accepts it");
    assert.ok(verify(during.header, during.body, fresh), "a receiver already on the new secret accepts it");
    assert.ok(!verify(during.header, during.body, "whsec_someone-else"), "not any secret");

    await eventually(() => Date.now() > until + 100, 10_000);
    const afterwards = await delivery("three");
    assert.equal(v1s(afterwards.header), 1);
    assert.ok(verify(afterwards.header, afterwards.body, fresh), "the new secret");
    assert.ok(!verify(afterwards.header, afterwards.body, old), "the old secret no longer signs");
    // The loop's upkeep removed the old secret from the store.
    await eventually(async () => (await store.getSecret(`previous/webhook.${id}`)) === undefined, 10_000);

    const audit = await store.listAudit({ limit: 100 });
    assert.ok(audit.some((e) => e.action === "webhook.rotate-secret" && e.target === id && typeof (e.detail as { graceUntil?: string }).graceUntil === "string"));
    assert.ok(audit.some((e) => e.action === "secret.grace-end" && e.target === `Secret/webhook.${id}`));
    const text = JSON.stringify(audit);
    for (const s of [old, fresh]) assert.ok(!text.includes(s), "no secret in the audit log");
  });

  it("--grace 0 stops the old secret at once; an unknown webhook is refused clearly; remotely the server rotates it, for an admin token only", async () => {
    const id: string = (await admin.call("GET", "/v1/webhooks")).body.items[0].id;
    const r = await hecate(["webhook", "rotate-secret", id, "--grace", "0", "-o", "json"]);
    assert.equal(r.code, 0, r.stderr);
    const { secret } = JSON.parse(r.stdout) as { secret: string; graceUntil?: string };
    const d = await delivery("four");
    assert.equal(v1s(d.header), 1);
    assert.ok(verify(d.header, d.body, secret));
    const ghost = await hecate(["webhook", "rotate-secret", "wh_000000000000"]);
    assert.equal(ghost.code, 1);
    assert.match(ghost.stderr, /webhook "wh_000000000000" does not exist/);
    const remote = await hecate(["webhook", "rotate-secret", id, "--grace", "0"], { HECATE_API_ENDPOINT: server.url, HECATE_API_TOKEN: adminToken });
    assert.equal(remote.code, 0, remote.stderr);
    const d2 = await delivery("five");
    assert.equal(v1s(d2.header), 1);
    assert.ok(verify(d2.header, d2.body, remote.stdout.trim()), "deliveries are signed with the secret the server made");
    assert.ok(!verify(d2.header, d2.body, secret));
    assert.match(remote.stderr, new RegExp(`webhook ${id} \\(.*\\) has a new signing secret`));
    const notAdmin = await hecate(["webhook", "rotate-secret", id], { HECATE_API_ENDPOINT: server.url, HECATE_API_TOKEN: writeToken });
    assert.equal(notAdmin.code, 1);
    assert.match(notAdmin.stderr, /admin/);
    const badGrace = await hecate(["webhook", "rotate-secret", id, "--grace", "soon"], { HECATE_API_ENDPOINT: server.url, HECATE_API_TOKEN: adminToken });
    assert.equal(badGrace.code, 2, badGrace.stderr);
  });
});
