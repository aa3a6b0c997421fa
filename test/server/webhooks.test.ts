// Webhooks against a real HTTP receiver that checks every signature (HMAC-SHA256 over
// "timestamp.body" with the secret shown once) and fails the first attempts: retried with
// backoff until it answers 2xx, every attempt in the delivery log, redelivery with the same event
// id, a receiver that never answers marked failed, bad registrations refused by field, and the
// secret kept encrypted (not in the store file in clear). Answers checked against /openapi.json.
import assert from "node:assert/strict";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { eventually, freePort, tempDir } from "../helpers/proc.js";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite.js";
import { createToken } from "../../src/server/tokens.js";
import { jsonLogger, startServer, type RunningServer } from "../../src/server/serve.js";
import type { Resource } from "../../src/model/schema.js";
import { ApiClient } from "./client.js";

const dir = tempDir("hecate-webhooks-");
let store: SqliteStore;
let server: RunningServer;
let api: ApiClient;
let admin: ApiClient;
let receiver: HttpServer;
let receiverUrl: string;
let secret = "";
/** Requests the receiver got: verified or not, and what it answered. */
const got: { verified: boolean; answered: number; event: string; body: { id: string; type: string; data: Record<string, unknown> } }[] = [];
let failFirst = 2;

/** What a receiver does: the timestamp is recent and the HMAC of "t.body" matches, in constant time. */
function verify(header: string | undefined, body: string, key: string, now = Date.now() / 1000): boolean {
  const parts = Object.fromEntries((header ?? "").split(",").map((p) => p.split("=") as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(now - t) > 300 || !parts.v1) return false;
  const want = createHmac("sha256", key).update(`${t}.${body}`).digest();
  const given = Buffer.from(parts.v1, "hex");
  return given.length === want.length && timingSafeEqual(given, want);
}

before(async () => {
  const key = randomBytes(32);
  store = await openSqliteStore({ path: `${dir.path}/hecate.db`, secretKey: key });
  // Caddy's admin address points at a port nothing listens on: applies fail (apply.failed).
  const settings = { apiVersion: "hecate.io/v1", kind: "Settings", metadata: { name: "settings" }, spec: { caddy: { admin: [`127.0.0.1:${await freePort()}`] } } } as Resource;
  await store.putRevision({ resources: [settings], author: "operator", message: "settings", source: { type: "cli" }, expectedParent: 0 });
  const write = (await createToken(store, { name: "ci", scope: "write", createdBy: "operator" })).token;
  const adminToken = (await createToken(store, { name: "ops", scope: "admin", createdBy: "operator" })).token;
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const verified = verify(req.headers["hecate-signature"] as string | undefined, body, secret);
      const answered = !verified ? 400 : failFirst-- > 0 ? 503 : 204;
      got.push({ verified, answered, event: String(req.headers["hecate-event"]), body: JSON.parse(body) });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/hecate`;
  server = await startServer({ store, listen: { type: "tcp", host: "127.0.0.1", port: 0 }, logger: jsonLogger(() => undefined), webhookRetry: { baseMs: 100, attempts: 4, timeoutMs: 2000 } });
  api = new ApiClient(server.url, write);
  await api.loadSpec(adminToken);
  admin = api.as(adminToken);
});

after(async () => {
  await server?.close();
  await store?.close();
  await new Promise((r) => receiver?.close(r));
  dir.cleanup();
});

describe("webhooks", () => {
  let hook: string;

  it("registers a URL (admin only); the secret is shown once and kept encrypted; bad input is refused by field", async () => {
    assert.equal((await api.call("POST", "/v1/webhooks", { body: { url: receiverUrl, events: ["*"] } })).status, 403, "write is not admin");
    const bad = await admin.call("POST", "/v1/webhooks", { body: { url: "ftp://example.com/x", events: ["route.created", "route.renamed"] } });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.error.diagnostics.map((d: { field: string }) => d.field), ["url", "events[1]"]);
    assert.match(bad.body.error.diagnostics[1].message, /unknown event "route.renamed"/);

    const made = await admin.call("POST", "/v1/webhooks", { body: { url: receiverUrl, events: ["route.created", "route.deleted", "apply.succeeded", "apply.failed", "drift.detected"], description: "chat" } });
    assert.equal(made.status, 201, made.text);
    secret = made.body.secret;
    assert.match(secret, /^whsec_[A-Za-z0-9_-]{43}$/);
    hook = made.body.webhook.id;
    const list = await admin.call("GET", "/v1/webhooks");
    assert.equal(list.body.items.length, 1);
    assert.ok(!list.text.includes(secret), "never listed");
    assert.ok(!readFileSync(store.path).includes(secret), "not in the store file in clear");
  });

  it("signs each delivery; retries with backoff until the receiver answers 2xx; logs every attempt", async () => {
    const created = await api.call("POST", "/v1/routes", { body: { apiVersion: "hecate.io/v1", kind: "Route", metadata: { name: "shop" }, spec: { hosts: ["shop.test"], upstreams: [{ address: "127.0.0.1:9" }], public: true, tls: { mode: "off" } } } });
    assert.equal(created.status, 201);
    await eventually(() => got.some((g) => g.answered === 204), 20_000);
    const tries = got.filter((g) => g.event === "route.created");
    assert.deepEqual(tries.map((g) => [g.verified, g.answered]), [[true, 503], [true, 503], [true, 204]], "two failures, then delivered");
    assert.equal(new Set(tries.map((g) => g.body.id)).size, 1, "one event, three attempts");
    assert.equal(tries[0]!.body.type, "route.created");
    assert.equal(tries[0]!.body.data.route, "shop");
    assert.equal(tries[0]!.body.data.actor, "ci");

    const log = await admin.call("GET", `/v1/webhooks/${hook}/deliveries`, { pattern: "/v1/webhooks/{id}/deliveries" });
    assert.equal(log.status, 200);
    const d = log.body.items.find((x: { event: string }) => x.event === "route.created");
    assert.equal(d.status, "succeeded");
    assert.deepEqual(d.attempts.map((a: { status: number }) => a.status), [503, 503, 204]);
    const gaps = d.attempts.slice(1).map((a: { at: string }, i: number) => Date.parse(a.at) - Date.parse(d.attempts[i].at));
    assert.ok(gaps[0] >= 80 && gaps[1] >= 160, `waits double: ${gaps.join(", ")} ms`);

    // A forged or replayed body fails the receiver's check.
    const body = JSON.stringify(tries[0]!.body);
    const t = Math.floor(Date.now() / 1000);
    assert.equal(verify(`t=${t},v1=${createHmac("sha256", "whsec_wrong").update(`${t}.${body}`).digest("hex")}`, body, secret), false);
    assert.equal(verify(`t=${t - 3600},v1=${createHmac("sha256", secret).update(`${t - 3600}.${body}`).digest("hex")}`, body, secret), false);
  });

  it("tells of a failed apply, and sends a delivery again on request (same event id, new signature)", async () => {
    const applied = await api.call("POST", "/v1/apply", { body: {} });
    assert.equal(applied.status, 502);
    await eventually(() => got.some((g) => g.event === "apply.failed" && g.answered === 204), 20_000);
    const failed = got.find((g) => g.event === "apply.failed")!;
    assert.equal(failed.body.data.actor, "ci");
    assert.match(JSON.stringify(failed.body.data), /caddy/);

    const log = await admin.call("GET", `/v1/webhooks/${hook}/deliveries`, { pattern: "/v1/webhooks/{id}/deliveries" });
    const first = log.body.items.find((x: { event: string }) => x.event === "route.created");
    const again = await admin.call("POST", `/v1/webhooks/${hook}/deliveries/${first.id}/redeliver`, { pattern: "/v1/webhooks/{id}/deliveries/{delivery}/redeliver" });
    assert.equal(again.status, 202, again.text);
    assert.equal(again.body.redeliveryOf, first.id);
    await eventually(() => got.filter((g) => g.body.id === first.eventId && g.answered === 204).length === 2, 20_000);
    const missing = await admin.call("POST", `/v1/webhooks/${hook}/deliveries/dlv_nope/redeliver`, { pattern: "/v1/webhooks/{id}/deliveries/{delivery}/redeliver" });
    assert.equal(missing.status, 404);
    const audit = await admin.call("GET", "/v1/audit?limit=20");
    assert.ok(audit.body.items.some((e: { action: string }) => e.action === "webhook.redeliver"));
  });

  it("marks a delivery failed after the last attempt; removing a webhook stops it", async () => {
    const closed = `http://127.0.0.1:${await freePort()}/nobody`;
    const made = await admin.call("POST", "/v1/webhooks", { body: { url: closed, events: ["route.deleted"] } });
    const id = made.body.webhook.id;
    assert.equal((await api.call("DELETE", "/v1/routes/shop", { pattern: "/v1/routes/{name}" })).status, 200);
    const final = await eventually(async () => {
      const items = (await admin.call("GET", `/v1/webhooks/${id}/deliveries`, { pattern: "/v1/webhooks/{id}/deliveries" })).body.items;
      return items[0]?.status === "failed" ? items[0] : undefined;
    }, 20_000);
    assert.equal(final.attempts.length, 4);
    assert.match(final.attempts[0].error, /ECONNREFUSED/);
    assert.equal((await admin.call("DELETE", `/v1/webhooks/${id}`, { pattern: "/v1/webhooks/{id}" })).status, 200);
    assert.equal((await admin.call("GET", `/v1/webhooks/${id}/deliveries`, { pattern: "/v1/webhooks/{id}/deliveries" })).status, 404);
  });
});
