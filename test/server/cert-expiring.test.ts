// Expiry warnings from the server's reconcile loop, against real Caddy: an imported certificate 5
// days from its end crosses the 7-day threshold, `cert.expiring` reaches a webhook once (not every
// round), and /metrics carries its not-after for alerting.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startCaddy, type Caddy } from "../caddy-provider/caddy.js";
import { eventually, tempDir } from "../helpers/proc.js";
import type { SqliteStore } from "../../src/store/sqlite.js";
import { startReceiver, storeWithCaddy } from "./setup.js";
import { createEngine } from "../../src/engine/index.js";
import { createToken } from "../../src/server/tokens.js";
import { jsonLogger, startServer, type RunningServer } from "../../src/server/serve.js";
import { Webhooks } from "../../src/server/webhooks.js";
import type { Resource } from "../../src/model/schema.js";

const dir = tempDir("hecate-expiring-");
let store: SqliteStore;
let caddy: Caddy;
let token = "";
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let server: RunningServer | undefined;
const events = () => receiver.events;
let notAfter = "";

before(async () => {
  const cert = `${dir.path}/legacy.crt`, key = `${dir.path}/legacy.key`;
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", "5", "-subj", "/CN=legacy", "-addext", "subjectAltName=DNS:legacy.example.test"], { stdio: "ignore" });
  notAfter = new Date(new X509Certificate(readFileSync(cert)).validTo).toISOString();
  caddy = await startCaddy();
  const secret = (name: string) => ({ apiVersion: "hecate.io/v1", kind: "Secret", metadata: { name }, spec: { from: "store" } }) as Resource;
  const certificate = { apiVersion: "hecate.io/v1", kind: "Certificate", metadata: { name: "legacy" }, spec: { hosts: ["legacy.example.test"], issuer: "imported", certificate: "secret:legacy-certificate", key: "secret:legacy-key" } } as Resource;
  ({ store } = await storeWithCaddy(`${dir.path}/hecate.db`, randomBytes(32), caddy, [secret("legacy-certificate"), secret("legacy-key"), certificate]));
  await store.putSecret("legacy-certificate", readFileSync(cert, "utf8"));
  await store.putSecret("legacy-key", readFileSync(key, "utf8"));
  const applied = await createEngine({ store, actor: "operator" }).apply({});
  assert.equal(applied.status, "succeeded", JSON.stringify(applied.steps));
  token = (await createToken(store, { name: "ops", scope: "admin", createdBy: "operator" })).token;
  receiver = await startReceiver();
});

after(async () => {
  await server?.close();
  await store?.close();
  await caddy?.stop();
  await receiver?.close();
  dir.cleanup();
});

describe("cert.expiring from the reconcile loop", () => {
  it("is sent once per certificate and threshold; the metric carries the not-after", async () => {
    // The webhook exists before the loop's first round: the warning is sent once, and a round that
    // ran before a webhook was registered would have sent it to nobody.
    await new Webhooks(store, jsonLogger(() => undefined)).create({ url: receiver.url, events: ["cert.expiring"] }, "operator");
    server = await startServer({ store, listen: { type: "tcp", host: "127.0.0.1", port: 0 }, logger: jsonLogger(() => undefined), reconcile: { intervalMs: 300, leaseMs: 1500 } });
    assert.match(await (await fetch(`${server.url}/v1/webhooks`, { headers: { authorization: `Bearer ${token}` } })).text(), /cert\.expiring/);
    const ev = (await eventually(() => events().find((e) => e.type === "cert.expiring"), 20_000))!;
    assert.equal(ev.data.certificate, "legacy");
    assert.equal(ev.data.thresholdDays, 7);
    assert.ok([4, 5].includes(ev.data.daysLeft as number), String(ev.data.daysLeft));
    assert.equal(ev.data.notAfter, notAfter);
    assert.deepEqual(ev.data.hosts, ["legacy.example.test"]);
    const rounds = async () => {
      const text = await (await fetch(`${server!.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
      return { text, ok: Number(text.split("\n").find((l) => l.startsWith('hecate_reconcile_rounds_total{status="ok"}'))?.split(" ").pop() ?? 0) };
    };
    const seen = (await rounds()).ok;
    // Three more rounds that went through (300 ms apart); should they not come, say what the rounds did instead.
    await eventually(async () => (await rounds()).ok >= seen + 3, 45_000).catch(async (e: Error) => {
      const counters = (await rounds()).text.split("\n").filter((l) => l.startsWith("hecate_reconcile_rounds_total"));
      throw new Error(`${e.message}; rounds so far: ${counters.join(", ")}; ok before: ${seen}`);
    });
    await sleep(300);
    assert.equal(events().filter((e) => e.type === "cert.expiring").length, 1, "once, not every round");
    const { text } = await rounds();
    const line = text.split("\n").find((l) => l.startsWith('hecate_certificate_expiry_timestamp_seconds{certificate="legacy"}'));
    assert.equal(Number(line?.split(" ").pop()), Math.floor(Date.parse(notAfter) / 1000));
    const audit = JSON.stringify(await store.listAudit({ limit: 100 }));
    assert.ok(!audit.includes("PRIVATE KEY"));
  });
});
