// The DNS provider through the engine against the Hetzner sandbox over real HTTP, with answers
// checked by real DNS queries to the sandbox's nameserver: records from routes, ownership by label,
// frugal reads and writes, rate limits, retries, loud errors, and undo of a failed apply.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { createEngine, type Engine } from "../../src/engine/index.js";
import type { Resource } from "../../src/model/schema.js";
import { query } from "../../src/providers/dns/query.js";
import { startHetznerSandbox, type HetznerSandbox } from "../../src/sandbox/hetzner/index.js";
import { openSqliteStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/store.js";
import { tempDir } from "../helpers/proc.js";
import { KEY, runUntilKilled } from "../engine/setup.js";

const TOKEN = "sandbox-token-for-dns-tests";
/** Routes also go to Caddy; these tests are about DNS alone. */
const DNS = { systems: ["dns"] };
process.env["HECATE_TEST_HETZNER_TOKEN"] = TOKEN;

const settings = (url: string, target = "203.0.113.10"): Resource =>
  ({ apiVersion: "hecate.io/v1", kind: "Settings", metadata: { name: "s" }, spec: { hetzner: { token: "env:HECATE_TEST_HETZNER_TOKEN", endpoint: url }, dns: { target } } }) as Resource;
const route = (name: string, hosts: string[]): Resource =>
  ({ apiVersion: "hecate.io/v1", kind: "Route", metadata: { name }, spec: { hosts, upstreams: [{ address: "127.0.0.1:9" }], public: true, dns: {} } }) as Resource;
const record = (name: string, fqdn: string, type: string, values: string[], ttl?: number): Resource =>
  ({ apiVersion: "hecate.io/v1", kind: "DnsRecord", metadata: { name }, spec: { name: fqdn, type, values, ...(ttl ? { ttl } : {}) } }) as Resource;

describe("DNS through the Hetzner sandbox", () => {
  let hz: HetznerSandbox;
  let store: Store;
  let engine: Engine;
  const dir = tempDir("hecate-dns-");

  before(async () => {
    hz = await startHetznerSandbox({
      token: TOKEN,
      actionDelayMs: 5,
      rateLimit: { limit: 100_000, refillPerSecond: 1000 },
      zones: [
        { name: "example.com", rrsets: [{ name: "legacy", type: "A", records: ["198.51.100.7"] }] },
        { name: "example.net.au" },
      ],
    });
    store = await openSqliteStore({ path: join(dir.path, "s.db"), secretKey: KEY });
    engine = createEngine({ store, actor: "t", stepTimeoutMs: 60_000 });
  });
  after(async () => {
    await store?.close();
    await hz?.close();
    dir.cleanup();
  });
  afterEach(() => hz.clearRequests());

  const apply = async (resources: Resource[]) => {
    await engine.commit(resources, { message: "t" });
    const r = await engine.apply(DNS, { maxDeletes: 10_000, systems: ["dns"] });
    assert.ok(["succeeded", "no-op"].includes(r.status), JSON.stringify(r.steps));
    return r;
  };
  const ask = (name: string, type = "A") => query(hz.dns, name, type);
  const writes = () => hz.requests().filter((r) => r.write);

  it("a route with dns gets its rrsets, labelled; the nameserver answers them; a second plan is empty and writes nothing", async () => {
    const r = await apply([settings(hz.url), route("app", ["app.example.com", "shop.example.net.au"]), record("mx", "example.com", "MX", ["10 mail.example.com"])]);
    assert.equal(r.status, "succeeded");
    const app = hz.rrsets("example.com").find((s) => s.name === "app" && s.type === "A");
    assert.deepEqual(app?.records.map((x) => x.value), ["203.0.113.10"]);
    assert.equal(app?.labels["hecate.io/managed-by"], "hecate");
    assert.ok(hz.rrsets("example.net.au").some((s) => s.name === "shop"), "app in .net.au lands in zone example.net.au, not net.au");
    assert.deepEqual((await ask("app.example.com")).values, ["203.0.113.10"]);
    assert.deepEqual((await ask("shop.example.net.au")).values, ["203.0.113.10"]);
    assert.deepEqual((await ask("example.com", "MX")).values, ["10 mail.example.com."]);
    assert.ok(r.usage?.["dns"] && r.usage["dns"].writes >= 3, JSON.stringify(r.usage));

    hz.clearRequests();
    const plan = await engine.plan(DNS);
    assert.deepEqual(plan.steps, []);
    assert.deepEqual(writes(), [], "a no-op plan makes no writes");
    const again = await engine.apply(DNS, DNS);
    assert.equal(again.status, "no-op");
    assert.deepEqual(writes(), []);
  });

  it("changing the proxy address updates each rrset with one write", async () => {
    await apply([settings(hz.url), route("app", ["app.example.com", "shop.example.net.au"]), record("mx", "example.com", "MX", ["10 mail.example.com"])]);
    hz.clearRequests();
    const r = await apply([settings(hz.url, "203.0.113.20"), route("app", ["app.example.com", "shop.example.net.au"]), record("mx", "example.com", "MX", ["10 mail.example.com"])]);
    assert.equal(r.plan!.summary.update, 2);
    assert.equal(writes().length, 2, writes().map((w) => `${w.method} ${w.path}`).join("\n"));
    assert.ok(writes().every((w) => w.path.endsWith("/actions/set_records")));
    assert.deepEqual((await ask("app.example.com")).values, ["203.0.113.20"]);
  });

  it("an rrset without Hecate's label is never changed, the plan says so, and deleting the route removes only Hecate's", async () => {
    const plan = await (async () => {
      await engine.commit([settings(hz.url, "203.0.113.20"), route("app", ["app.example.com"]), route("old", ["legacy.example.com"])], { message: "t" });
      return engine.plan(DNS);
    })();
    const warn = plan.diagnostics.find((d) => d.code === "dns-not-owned");
    assert.match(warn?.message ?? "", /legacy\.example\.com A exists at Hetzner without Hecate's label hecate\.io\/managed-by=hecate, so Hecate leaves it alone \(it holds 198\.51\.100\.7/);
    assert.ok(!plan.steps.some((s) => s.changes.some((c) => c.id.includes("legacy"))), "no change to the foreign rrset");
    await engine.apply(DNS, { ...DNS, maxDeletes: 100 });
    assert.deepEqual((await ask("legacy.example.com")).values, ["198.51.100.7"]);

    const before = hz.rrsets("example.com").map((s) => `${s.name}/${s.type}`).sort();
    const r = await apply([settings(hz.url, "203.0.113.20")]);
    assert.equal(r.status, "succeeded");
    const left = hz.rrsets("example.com").map((s) => `${s.name}/${s.type}`).sort();
    assert.deepEqual(before.filter((k) => !left.includes(k)).sort(), ["app/A"], "exactly Hecate's rrsets went");
    assert.ok(left.includes("legacy/A"));
    assert.equal((await ask("app.example.com")).rcode, "NXDOMAIN");
  });

  it("an owned rrset edited at Hetzner is drift, and reconcile puts it back with one write", async () => {
    await apply([settings(hz.url), record("d", "drifty.example.com", "A", ["192.0.2.50"])]);
    // Someone edits it by hand through the API, keeping Hecate's label.
    const res = await fetch(`${hz.url}/zones/example.com/rrsets/drifty/A/actions/set_records`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ records: [{ value: "192.0.2.99" }] }),
    });
    assert.equal(res.status, 201, await res.text());
    await new Promise((r) => setTimeout(r, 50)); // the action finishes
    const drift = await engine.drift(DNS);
    const dns = drift.systems.find((x) => x.system === "dns");
    assert.deepEqual(dns?.changes.map((c) => `${c.action} ${c.id} ${JSON.stringify(c.fields?.map((f) => [f.path, f.before, f.after]))}`), [
      'update example.com/drifty/A [["records.0","192.0.2.99","192.0.2.50"]]',
    ]);
    hz.clearRequests();
    const r = await engine.reconcile({ ...DNS });
    assert.equal(r.status, "succeeded");
    assert.equal(writes().length, 1);
    assert.deepEqual((await ask("drifty.example.com")).values, ["192.0.2.50"]);
  });

  it("a record in a zone the project does not have is an error in the plan; nothing is written", async () => {
    await engine.commit([settings(hz.url), record("x", "x.example.org", "A", ["192.0.2.1"])], { message: "t" });
    const plan = await engine.plan(DNS);
    assert.match(plan.diagnostics.find((d) => d.severity === "error")?.message ?? "", /zone example\.org is not in this Hetzner project \(it has example\.com, example\.net\.au\)/);
    await assert.rejects(engine.apply(DNS, DNS), /the plan has errors/);
    assert.deepEqual(writes(), []);
  });

  it("a 423 and a 503 are retried; a 422 names the field; the failed apply is undone change by change", async () => {
    await apply([settings(hz.url)]);
    hz.failNext({ status: 423, code: "locked" });
    hz.failNext({ status: 503 });
    const r = await apply([settings(hz.url), record("a", "a.example.com", "A", ["192.0.2.1"])]);
    assert.equal(r.status, "succeeded");
    assert.ok(hz.requests().some((q) => q.status === 423) && hz.requests().some((q) => q.status === 503));

    // Three creates; the third write is refused with a field error: the two done are undone.
    const records = () => JSON.stringify(hz.rrsets("example.com").filter((s) => s.type !== "SOA")); // the serial counts every change
    const before = records();
    const wanted = [settings(hz.url), record("a", "a.example.com", "A", ["192.0.2.1"]), record("b", "b.example.com", "A", ["192.0.2.2"]), record("c", "c.example.com", "A", ["192.0.2.3"]), record("d", "d.example.com", "A", ["192.0.2.4"])];
    await engine.commit(wanted, { message: "t" });
    hz.clearRequests();
    let n = 0;
    const orig = globalThis.fetch;
    globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      // The third rrset create goes out with a value the API refuses.
      if (init?.method === "POST" && String(input).endsWith("/rrsets") && ++n === 3) {
        const b = JSON.parse(String(init.body));
        b.records = [{ value: "not-an-ip" }];
        init = { ...init, body: JSON.stringify(b) };
      }
      return orig(input, init);
    }) as typeof fetch;
    let res;
    try {
      res = await engine.apply(DNS, DNS);
    } finally {
      globalThis.fetch = orig;
    }
    assert.equal(res.status, "rolled-back");
    assert.match(res.steps.find((s) => s.error)?.error ?? "", /422 invalid_input: .*records/);
    assert.equal(records(), before, "every change undone: the zone is as it was");
    const plan = await engine.plan(DNS);
    assert.equal(plan.summary.create, 3, "the plan still wants them: nothing was half-applied");
  });

  it("an apply SIGKILLed after its second change is undone from the journal by the next run", async () => {
    await apply([settings(hz.url)]);
    const records = () => JSON.stringify(hz.rrsets("example.com").filter((s) => s.type !== "SOA"));
    const before = records();
    await engine.commit([settings(hz.url), record("k1", "k1.example.com", "A", ["192.0.2.1"]), record("k2", "k2.example.com", "A", ["192.0.2.2"]), record("k3", "k3.example.com", "A", ["192.0.2.3"])], { message: "t" });
    await store.close(); // the child opens the same file
    await runUntilKilled(new URL("./crash-child.ts", import.meta.url), [join(dir.path, "s.db"), "2"], "change:2");
    assert.equal(hz.rrsets("example.com").filter((s) => s.name.startsWith("k")).length, 2, "the child wrote two rrsets before it died");
    store = await openSqliteStore({ path: join(dir.path, "s.db"), secretKey: KEY });
    engine = createEngine({ store, actor: "t", stepTimeoutMs: 60_000 });
    const reports = await engine.recover({ lockTimeoutMs: 60_000 });
    assert.ok(reports.length > 0, "recovery found the interrupted apply");
    assert.equal(records(), before, "both journaled creates were undone by their ids");
    const plan = await engine.plan(DNS);
    assert.equal(plan.summary.create, 3);
  });

  it("a zone of 2,000 rrsets: a no-op plan reads 20 pages plus the zone list, and writes nothing", async () => {
    const big = Array.from({ length: 2000 }, (_, i) => record(`h${i}`, `h${i}.example.com`, "A", [`10.0.${i >> 8}.${i & 255}`]));
    const slow = await startHetznerSandbox({ token: TOKEN, actionDelayMs: 0, rateLimit: { limit: 100_000, refillPerSecond: 1000 }, zones: [{ name: "example.com" }] });
    const dir2 = tempDir("hecate-dns-big-");
    const s2 = await openSqliteStore({ path: join(dir2.path, "s.db"), secretKey: KEY });
    try {
      const e2 = createEngine({ store: s2, actor: "t", stepTimeoutMs: 60_000 });
      await e2.commit([settings(slow.url), ...big], { message: "big" });
      const r = await e2.apply();
      assert.equal(r.status, "succeeded");
      slow.clearRequests();
      const plan = await e2.plan();
      assert.deepEqual(plan.steps, []);
      const reqs = slow.requests();
      assert.equal(reqs.filter((q) => q.write).length, 0);
      const pages = reqs.filter((q) => /\/rrsets$/.test(q.path)).length;
      assert.ok(pages <= 21, `${pages} rrset page reads`); // 2,000 + the apex NS and SOA: 21 pages of 100
      assert.equal(reqs.filter((q) => q.path.endsWith("/zones")).length, 1, "one zone list");
      assert.equal(plan.usage?.["dns"]?.calls, reqs.length, "the plan counts its calls as the sandbox saw them");
    } finally {
      await s2.close();
      await slow.close();
      dir2.cleanup();
    }
  });

  it("with a budget of 100 requests, an apply of 300 records slows down and finishes without a failed request", async () => {
    const tight = await startHetznerSandbox({ token: TOKEN, actionDelayMs: 0, rateLimit: { limit: 100, refillPerSecond: 100 }, zones: [{ name: "example.com" }] });
    const dir3 = tempDir("hecate-dns-rate-");
    const s3 = await openSqliteStore({ path: join(dir3.path, "s.db"), secretKey: KEY });
    try {
      const e3 = createEngine({ store: s3, actor: "t", stepTimeoutMs: 60_000 });
      await e3.commit([settings(tight.url), ...Array.from({ length: 300 }, (_, i) => record(`r${i}`, `r${i}.example.com`, "A", ["192.0.2.1"]))], { message: "300" });
      const r = await e3.apply();
      assert.equal(r.status, "succeeded");
      assert.equal(tight.rrsets("example.com").filter((s) => s.labels["hecate.io/managed-by"] === "hecate").length, 300);
      const refused = tight.requests().filter((q) => q.status >= 400);
      assert.deepEqual(refused.map((q) => `${q.status} ${q.method} ${q.path}`), [], "pacing kept every request inside the budget");
      assert.ok((r.usage?.["dns"]?.calls ?? 0) > 100, "more calls than the budget: it had to wait");
    } finally {
      await s3.close();
      await tight.close();
      dir3.cleanup();
    }
  });
});
