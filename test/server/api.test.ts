// The API over real HTTP, against a server on a free loopback port, a real store and a real Caddy:
// auth (401, 403, revoked, limited), CRUD with ETags and If-Match (412), bad bodies (400 with the
// field and the CLI's own reason), plan and apply changing Caddy, drift, history, rollback, the
// audit log (actor, address, chain verify catching a hand edit), /metrics and /openapi.json.
// Every answer is checked against /openapi.json (client.ts).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { request } from "node:http";
import { writeFileSync } from "node:fs";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { get, startCaddy, type Caddy } from "../caddy-provider/caddy.js";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { freePorts, tempDir } from "../helpers/proc.js";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite.js";
import { createToken } from "../../src/server/tokens.js";
import { jsonLogger, startServer, type RunningServer } from "../../src/server/serve.js";
import { run } from "../../src/cli/run.js";
import type { Resource } from "../../src/model/schema.js";
import { ApiClient } from "./client.js";

const dir = tempDir("hecate-api-");
const key = randomBytes(32);
let store: SqliteStore;
let caddy: Caddy;
let up: Upstream;
let server: RunningServer;
let httpPort: number;
let api: ApiClient;
const tokens: Record<"read" | "write" | "admin", string> = { read: "", write: "", admin: "" };
const logLines: string[] = [];

const route = (name: string, extra: Record<string, unknown> = {}): Resource =>
  ({ apiVersion: "hecate.io/v1", kind: "Route", metadata: { name }, spec: { hosts: [`${name}.test`], upstreams: [{ address: up.address }], public: true, tls: { mode: "off" }, ...extra } }) as Resource;

before(async () => {
  process.env.HECATE_SECRET_KEY = key.toString("base64");
  store = await openSqliteStore({ path: `${dir.path}/hecate.db`, secretKey: key });
  caddy = await startCaddy();
  up = await startUpstream("api-backend");
  const [http, https] = (await freePorts(2)) as [number, number];
  httpPort = http;
  // Settings are not an API kind: the operator records them first, as with `hecate apply DIR`.
  const settings = { apiVersion: "hecate.io/v1", kind: "Settings", metadata: { name: "settings" }, spec: { caddy: { admin: [caddy.admin], listen: [`127.0.0.1:${https}`], httpPort: http, httpsPort: https } } } as Resource;
  await store.putRevision({ resources: [settings], author: "operator", message: "settings", source: { type: "cli" }, expectedParent: 0 });
  for (const scope of ["read", "write", "admin"] as const) tokens[scope] = (await createToken(store, { name: `${scope}-bot`, scope, createdBy: "operator" })).token;
  server = await startServer({ store, listen: { type: "tcp", host: "127.0.0.1", port: 0 }, logger: jsonLogger((l) => void logLines.push(l)) });
  api = new ApiClient(server.url, tokens.write);
  await api.loadSpec(tokens.admin);
});

after(async () => {
  await server?.close();
  await store?.close();
  await caddy?.stop();
  await up?.close();
  dir.cleanup();
});

describe("the API", () => {
  it("/healthz needs no token; everything else does (401), with a scope (403); a revoked token is refused", async () => {
    const anon = api.as(undefined);
    assert.equal((await anon.call("GET", "/healthz")).status, 200);
    const none = await anon.call("GET", "/v1/routes");
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, "unauthorized");
    assert.equal(none.headers.get("www-authenticate"), 'Bearer realm="hecate"');
    assert.equal((await anon.call("GET", "/metrics")).status, 401);
    assert.equal((await api.as("hct_not_a_token").call("GET", "/v1/routes")).status, 401);

    const reader = api.as(tokens.read);
    assert.equal((await reader.call("GET", "/v1/routes")).status, 200);
    const denied = await reader.call("POST", "/v1/routes", { body: route("nope") });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.code, "forbidden");
    assert.match(denied.body.error.message, /needs a write token; the token "read-bot" has scope read/);
    assert.equal((await api.call("GET", "/v1/tokens")).status, 403, "write is not admin");

    const admin = api.as(tokens.admin);
    const made = await admin.call("POST", "/v1/tokens", { body: { name: "short-lived", scope: "read" } });
    assert.equal(made.status, 201);
    assert.match(made.body.token, /^hct_/);
    assert.equal(made.body.record.hash, undefined, "the hash is never shown");
    const temp = api.as(made.body.token);
    assert.equal((await temp.call("GET", "/v1/history")).status, 200);
    assert.equal((await admin.call("DELETE", "/v1/tokens/short-lived", { pattern: "/v1/tokens/{name}" })).status, 200);
    const revoked = await temp.call("GET", "/v1/history");
    assert.equal(revoked.status, 401);
    assert.match(revoked.body.error.message, /revoked/);
  });

  it("refuses an address after too many bad tokens (429 with Retry-After), before looking at its token", async () => {
    const small = await startServer({ store, listen: { type: "tcp", host: "127.0.0.1", port: 0 }, logger: jsonLogger(() => undefined), authLimit: { max: 3, windowMs: 60_000 } });
    try {
      const bad = new ApiClient(small.url, "hct_AAAAAAAAAAAA_" + "A".repeat(43));
      for (let i = 0; i < 3; i++) assert.equal((await bad.call("GET", "/v1/routes")).status, 401);
      const limited = await bad.call("GET", "/v1/routes");
      assert.equal(limited.status, 429);
      assert.equal(limited.body.error.code, "too-many-failures");
      assert.ok(Number(limited.headers.get("retry-after")) > 0);
      // Even a good token from that address waits: the guessing is slowed, not the guess checked.
      assert.equal((await bad.as(tokens.read).call("GET", "/v1/routes")).status, 429);
    } finally {
      await small.close();
    }
  });

  it("CRUD with ETags: create 201, read, replace with If-Match, 412 on a stale ETag, 409 on a duplicate, 404", async () => {
    const created = await api.call("POST", "/v1/routes", { body: route("app") });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.headers.get("location"), "/v1/routes/app");
    assert.deepEqual(created.body.changed, ["Route/app"]);
    const etag1 = created.headers.get("etag")!;
    assert.match(etag1, /^"[0-9a-f]{32}"$/);

    const read = await api.as(tokens.read).call("GET", "/v1/routes/app", { pattern: "/v1/routes/{name}" });
    assert.equal(read.status, 200);
    assert.equal(read.headers.get("etag"), etag1);
    assert.deepEqual(read.body.spec.hosts, ["app.test"]);
    // A route also answers to one of its hosts, as in the CLI.
    assert.equal((await api.call("GET", "/v1/routes/app.test", { pattern: "/v1/routes/{name}" })).headers.get("etag"), etag1);

    const dup = await api.call("POST", "/v1/routes", { body: route("app") });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.code, "exists");

    const v2 = route("app", { paths: ["/v2"] });
    const replaced = await api.call("PUT", "/v1/routes/app", { body: v2, headers: { "if-match": etag1 }, pattern: "/v1/routes/{name}" });
    assert.equal(replaced.status, 200, replaced.text);
    const etag2 = replaced.headers.get("etag")!;
    assert.notEqual(etag2, etag1);

    const stale = await api.call("PUT", "/v1/routes/app", { body: route("app"), headers: { "if-match": etag1 }, pattern: "/v1/routes/{name}" });
    assert.equal(stale.status, 412);
    assert.equal(stale.body.error.code, "precondition-failed");
    const staleDelete = await api.call("DELETE", "/v1/routes/app", { headers: { "if-match": etag1 }, pattern: "/v1/routes/{name}" });
    assert.equal(staleDelete.status, 412);
    assert.deepEqual((await api.call("GET", "/v1/routes/app", { pattern: "/v1/routes/{name}" })).body.spec.paths, ["/v2"], "the stale writes changed nothing");

    const back = await api.call("PUT", "/v1/routes/app", { body: route("app"), headers: { "if-match": etag2 }, pattern: "/v1/routes/{name}" });
    assert.equal(back.status, 200);
    assert.equal(back.headers.get("etag"), etag1, "the ETag is the content's");

    const renamed = await api.call("PUT", "/v1/routes/app", { body: route("other"), pattern: "/v1/routes/{name}" });
    assert.equal(renamed.status, 400);
    assert.equal(renamed.body.error.diagnostics[0].field, "metadata.name");

    const missing = await api.call("GET", "/v1/upstreams/ghost", { pattern: "/v1/upstreams/{name}" });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, "not-found");
    assert.equal(missing.body.error.message, 'upstream "ghost" does not exist (see `hecate list upstream`)');

    const list = await api.call("GET", "/v1/routes");
    assert.deepEqual(list.body.items.map((r: Resource) => r.metadata.name), ["app"]);
  });

  it("answers a bad body 400 with each field and the reason the CLI gives for the same document", async () => {
    const bad = { apiVersion: "hecate.io/v1", kind: "Route", metadata: { name: "bad" }, spec: { hosts: "bad.test", upstreams: [{ address: up.address, weight: 500 }], publik: true } };
    const res = await api.call("POST", "/v1/routes", { body: bad });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, "invalid");
    const fields = res.body.error.diagnostics.map((d: { field: string }) => d.field).sort();
    assert.deepEqual(fields, ["spec.hosts", "spec.publik", "spec.upstreams[0].weight"]);

    // The CLI on the same document as YAML: the same messages (it adds file:line:col).
    const file = `${dir.path}/bad.yaml`;
    writeFileSync(file, JSON.stringify(bad));
    let stderr = "";
    const code = await run(["create", "route", "-f", file, "-o", "json"], {
      stdout: { write: () => true },
      stderr: { write: (s: string) => ((stderr += s), true) },
      stdin: Readable.from([]),
      isTTY: false,
      env: { ...process.env, HECATE_STORE: `${dir.path}/cli.db` },
    });
    assert.equal(code, 1);
    const cli = JSON.parse(stderr).error.diagnostics.map((d: { message: string }) => d.message).sort();
    assert.deepEqual(res.body.error.diagnostics.map((d: { message: string }) => d.message).sort(), cli);

    const wrongKind = await api.call("POST", "/v1/upstreams", { body: route("x") });
    assert.equal(wrongKind.status, 400);
    assert.match(wrongKind.body.error.diagnostics[0].message, /expected kind Upstream here \(this is `upstream`\), found Route/);
    const notJson = await api.call("POST", "/v1/routes", { body: "{nope" });
    assert.equal(notJson.status, 400);
    const badQuery = await api.call("GET", "/v1/history?limit=zero");
    assert.equal(badQuery.status, 400);
    assert.equal(badQuery.body.error.diagnostics[0].field, "limit");
  });

  it("plan and apply through the API change Caddy; drift sees none; a destructive plan needs yes", async () => {
    const plan = await api.call("POST", "/v1/plan", { body: {} });
    assert.equal(plan.status, 200, plan.text);
    assert.match(plan.body.text, /caddy/);
    assert.equal(plan.body.plan.format, "hecate-plan/1");

    const applied = await api.call("POST", "/v1/apply", { body: {} });
    assert.equal(applied.status, 200, applied.text);
    assert.equal(applied.body.status, "succeeded");
    const res = await get(httpPort, "app.test", "/hello");
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).name, "api-backend");

    const again = await api.call("POST", "/v1/apply", { body: {} });
    assert.equal(again.body.status, "no-op");
    const drift = await api.as(tokens.read).call("GET", "/v1/drift");
    assert.equal(drift.status, 200, drift.text);
    assert.equal(drift.body.drifted, false);

    assert.equal((await api.call("DELETE", "/v1/routes/app", { pattern: "/v1/routes/{name}" })).status, 200);
    const refused = await api.call("POST", "/v1/apply", { body: {} });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, "confirmation-required");
    const gone = await api.call("POST", "/v1/apply", { body: { yes: true } });
    assert.equal(gone.body.status, "succeeded");
    // The last route gone, Caddy has no HTTP server left to answer: refused, or not the app.
    const after = await get(httpPort, "app.test", "/hello").catch((e: NodeJS.ErrnoException) => ({ status: e.code }));
    assert.notEqual(after.status, 200);

    const history = await api.as(tokens.read).call("GET", "/v1/history?limit=3");
    assert.equal(history.body.items[0].applied, true);
    const seqWithApp = history.body.items.find((r: { message: string }) => r.message === "update route app").seq;
    const rev = await api.call("GET", `/v1/revisions/%23${seqWithApp}`, { pattern: "/v1/revisions/{ref}" });
    assert.equal(rev.status, 200);
    assert.ok(rev.body.resources.some((r: Resource) => r.metadata.name === "app"));

    const rb = await api.call("POST", "/v1/rollback", { body: { to: String(seqWithApp), yes: true } });
    assert.equal(rb.status, 200, rb.text);
    assert.equal(rb.body.result.status, "succeeded");
    assert.equal((await get(httpPort, "app.test", "/hello")).status, 200, "the rollback brought the route back");

    // Rolling back to the revision without the app deletes it from Caddy: not without yes.
    const without = history.body.items.find((r: { message: string }) => r.message === "delete route app").seq;
    const unconfirmed = await api.call("POST", "/v1/rollback", { body: { to: String(without) } });
    assert.equal(unconfirmed.status, 409, unconfirmed.text);
    assert.equal(unconfirmed.body.error.code, "confirmation-required");
    assert.equal((await get(httpPort, "app.test", "/hello")).status, 200, "nothing was rolled back");
  });

  it("reconcile puts back what was changed behind Hecate's back; one that deletes needs yes", async () => {
    // A route with Hecate's @id added in Caddy by hand: the applied revision does not have it.
    const servers = (await (await fetch(`${caddy.admin}/config/apps/http/servers`)).json()) as Record<string, unknown>;
    const name = Object.keys(servers)[0]!;
    const ghost = { "@id": "hecate-route-ghost", match: [{ host: ["ghost.test"] }], handle: [{ handler: "static_response", body: "ghost" }], terminal: true };
    const added = await fetch(`${caddy.admin}/config/apps/http/servers/${name}/routes/0`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(ghost) });
    assert.equal(added.status, 200, await added.text());
    assert.equal((await get(httpPort, "ghost.test", "/")).body, "ghost");

    const refused = await api.call("POST", "/v1/reconcile", { body: {} });
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.body.error.code, "confirmation-required");
    assert.equal((await get(httpPort, "ghost.test", "/")).body, "ghost", "nothing reconciled");
    const dry = await api.call("POST", "/v1/reconcile", { body: { dryRun: true } });
    assert.equal(dry.status, 200, dry.text);
    assert.equal(dry.body.result.status, "dry-run");
    assert.match(dry.body.plan.text, /- delete route hecate-route-ghost/);
    const done = await api.call("POST", "/v1/reconcile", { body: { yes: true } });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.result.status, "succeeded");
    assert.notEqual((await get(httpPort, "ghost.test", "/").catch(() => ({ body: "refused" }))).body, "ghost", "the hand-made route is gone");
    assert.equal((await get(httpPort, "app.test", "/hello")).status, 200, "the applied route still answers");
  });

  it("a one-route apply after another plans from what that one left (every request's engine shares one memory)", async () => {
    const other = await startUpstream("api-backend-2");
    try {
      const names = ["w1", "w2", "w3"];
      for (const n of names) assert.equal((await api.call("POST", "/v1/routes", { body: route(n) })).status, 201);
      assert.equal((await api.call("POST", "/v1/apply", { body: {} })).body.status, "succeeded");
      /** Move one route to the other upstream through the API and apply: the plan's Caddy fingerprint. */
      const move = async (n: string): Promise<string> => {
        const put = await api.call("PUT", `/v1/routes/${n}`, { body: route(n, { upstreams: [{ address: other.address }] }), pattern: "/v1/routes/{name}" });
        assert.equal(put.status, 200, put.text);
        const r = await api.call("POST", "/v1/apply", { body: {} });
        assert.equal(r.body.status, "succeeded", r.text);
        assert.deepEqual(r.body.plan.plan.steps.flatMap((s: { changes: { resource: string }[] }) => s.changes.map((c) => c.resource)), [`Route/${n}`]);
        return String(r.body.plan.plan.fingerprints.caddy);
      };
      assert.doesNotMatch(await move("w1"), /^assumed/, "the first PATCH rests on a real read");
      // A new engine for this request: only a memory shared with the last one knows what it left.
      assert.match(await move("w2"), /^assumed/, "the second rests on what the first request's apply left");
      for (const n of ["w1", "w2"]) assert.equal(JSON.parse((await get(httpPort, `${n}.test`, "/")).body).name, "api-backend-2", n);
      assert.equal(JSON.parse((await get(httpPort, "w3.test", "/")).body).name, "api-backend");
      assert.equal((await api.as(tokens.read).call("GET", "/v1/drift")).body.drifted, false);
      for (const n of names) assert.equal((await api.call("DELETE", `/v1/routes/${n}`, { pattern: "/v1/routes/{name}" })).status, 200);
      assert.equal((await api.call("POST", "/v1/apply", { body: { yes: true } })).body.status, "succeeded");
    } finally {
      await other.close();
    }
  });

  it("audits every change with the token's name and the client's address; verify finds a hand edit", async () => {
    const admin = api.as(tokens.admin);
    const log = await admin.call("GET", "/v1/audit?limit=100");
    assert.equal(log.status, 200);
    const byApi = log.body.items.filter((e: { actor: string }) => e.actor === "write-bot");
    const actions = new Set(byApi.map((e: { action: string }) => e.action));
    for (const a of ["revision.create", "apply", "rollback"]) assert.ok(actions.has(a), `${a} audited: ${[...actions].join(", ")}`);
    assert.ok(byApi.every((e: { address?: string }) => e.address === "127.0.0.1"), "each API entry names the client address");
    assert.deepEqual((await admin.call("GET", "/v1/audit/verify")).body.ok, true);

    const raw = new Database(store.path);
    try {
      raw.exec("DROP TRIGGER audit_append_only_u");
      raw.prepare("UPDATE audit SET actor = 'someone-else' WHERE action = 'apply'").run();
    } finally {
      raw.close();
    }
    const v = await admin.call("GET", "/v1/audit/verify");
    assert.equal(v.body.ok, false);
    assert.match(v.body.problems[0].message, /does not match its hash/);

    let out = "";
    const code = await run(["audit", "verify"], {
      stdout: { write: (s: string) => ((out += s), true) },
      stderr: { write: (s: string) => ((out += s), true) },
      stdin: Readable.from([]),
      isTTY: false,
      env: { ...process.env, HECATE_STORE: store.path },
    });
    assert.equal(code, 1, out);
    assert.match(out, /the audit log was changed outside Hecate: entry #\d+ does not match its hash/);
  });

  it("a secret's value is stored sealed, and is in no answer, log line or audit entry", async () => {
    const value = `s3cret-${randomBytes(8).toString("hex")}`, next = `n3xt-${randomBytes(8).toString("hex")}`;
    const put = await api.call("PUT", "/v1/secrets/db-pass/value", { body: { value }, pattern: "/v1/secrets/{name}/value" });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(put.body, { name: "db-pass", stored: true });
    assert.equal(await store.getSecret("db-pass"), value);
    const created = await api.call("POST", "/v1/secrets", { body: { apiVersion: "hecate.io/v1", kind: "Secret", metadata: { name: "db-pass" }, spec: { from: "store" } } });
    assert.equal(created.status, 201, created.text);
    const rotated = await api.call("POST", "/v1/secrets/db-pass/rotate", { body: { value: next, grace: "1m" }, pattern: "/v1/secrets/{name}/rotate" });
    assert.equal(rotated.status, 200, rotated.text);
    assert.ok(rotated.body.graceUntil, "the old value is accepted for a while");
    assert.equal(await store.getSecret("db-pass"), next);
    const audit = await api.as(tokens.admin).call("GET", "/v1/audit?limit=20");
    const entries = audit.body.items.filter((e: { target?: string }) => e.target === "Secret/db-pass").map((e: { action: string }) => e.action);
    assert.deepEqual(entries.sort(), ["secret.rotate", "secret.set"]);
    const seen = [put.text, created.text, rotated.text, audit.text, logLines.join("\n")].join("\n");
    for (const v of [value, next]) assert.ok(!seen.includes(v), "the value is in no answer, audit entry or log line");
  });

  it("/metrics is Prometheus text with request, plan, apply and route-state series", async () => {
    const m = await api.as(tokens.read).call("GET", "/metrics");
    assert.equal(m.status, 200);
    assert.match(m.headers.get("content-type")!, /^text\/plain; version=0.0.4/);
    const samples = m.text.split("\n").filter((l) => l && !l.startsWith("#"));
    // name{labels} value: the exposition format's sample line (label values hold no newline).
    for (const l of samples) assert.match(l, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^{}]*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/, l);
    const value = (series: string) => Number(samples.find((l) => l.startsWith(series + " "))?.split(" ").pop());
    assert.ok(value('hecate_applies_total{status="succeeded"}') >= 3);
    assert.ok(value("hecate_plan_duration_seconds_count") >= 3);
    assert.equal(value('hecate_routes{state="applied"}'), 1);
    assert.ok(value('hecate_provider_steps_total{system="caddy"}') >= 3);
    assert.ok(value('hecate_http_requests_total{method="GET",route="/v1/routes/:name",status="200"}') >= 1);
    assert.ok(value('hecate_auth_failures_total{reason="missing"}') >= 1);
  });

  it("YAML files sent as multipart/form-data (as curl -F sends them) are planned and applied; diagnostics name each file", async () => {
    // Encoded by the platform's FormData (undici), not by Hecate's own encoder.
    const form = async (options: Record<string, unknown>, files: Record<string, string>) => {
      const fd = new FormData();
      fd.append("options", JSON.stringify(options));
      for (const [name, text] of Object.entries(files)) fd.append("file", new Blob([text]), name);
      const req = new Request("http://form.invalid/", { method: "POST", body: fd });
      return { bytes: new Uint8Array(await req.arrayBuffer()), type: req.headers.get("content-type")! };
    };
    // Settings cannot change through the API: the files carry them as the head has them (JSON is YAML).
    const head = (await api.call("GET", "/v1/revisions/head", { pattern: "/v1/revisions/{ref}" })).body as { resources: Resource[] };
    const settings = JSON.stringify(head.resources.find((r) => r.kind === "Settings"));
    const yaml = (name: string, extra = "") => `apiVersion: hecate.io/v1\nkind: Route\nmetadata:\n  name: ${name}\nspec:\n  hosts: [${name}.test]\n  upstreams: [{address: "${up.address}"}]\n  public: true\n  tls: {mode: "off"}\n${extra}`;
    const others = head.resources.filter((r) => r.kind !== "Settings").map((r) => JSON.stringify(r)).join("\n---\n");

    const broken = await api.call("POST", "/v1/plan", { raw: await form({}, { "conf/settings.yaml": settings, "conf/others.yaml": others, "conf/form.yaml": yaml("form", "  colour: red\n") }) });
    assert.equal(broken.status, 400, broken.text);
    const unknown = (broken.body.error.diagnostics as { message: string; pos?: { file: string; line: number } }[]).find((d) => /colour/.test(d.message));
    assert.deepEqual([unknown?.pos?.file, unknown?.pos?.line], ["conf/form.yaml", 10], JSON.stringify(broken.body.error));

    const files = { "conf/settings.yaml": settings, "conf/others.yaml": others, "conf/form.yaml": yaml("form") };
    const plan = await api.call("POST", "/v1/plan", { raw: await form({ systems: ["caddy"] }, files) });
    assert.equal(plan.status, 200, plan.text);
    assert.match(plan.body.text, /\+ create route hecate-route-form/);
    const applied = await api.call("POST", "/v1/apply", { raw: await form({ yes: true, message: "sent by curl" }, files) });
    assert.equal(applied.status, 200, applied.text);
    assert.equal(applied.body.status, "succeeded", applied.text);
    assert.equal((await get(httpPort, "form.test", "/hello")).status, 200, "the route sent as a file part serves");
    const history = await api.as(tokens.read).call("GET", "/v1/history?limit=1");
    assert.equal(history.body.items[0].message, "sent by curl");

    const { bytes, type } = await form({ yes: true }, files);
    const cut = await api.call("POST", "/v1/apply", { raw: { bytes: bytes.subarray(0, bytes.length - 40), type } });
    assert.equal(cut.status, 400, cut.text);
    assert.equal(cut.body.error.code, "bad-request");
    assert.match(cut.body.error.message, /multipart body: the body ends inside a part/);
    const stray = await api.call("POST", "/v1/apply", { raw: await form({ yes: true, files: [] }, files) });
    assert.equal(stray.status, 400);
    assert.match(stray.body.error.message, /files are sent as file parts, not in options/);
    // Over the limit: refused from its Content-Length, before the body is read.
    const big = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${api.url}/v1/apply`, { method: "POST", headers: { authorization: `Bearer ${api.token}`, "content-type": type, "content-length": String(64 * 1024 * 1024 + 1) } }, (res) => {
        let b = "";
        res.on("data", (c: Buffer) => (b += String(c)));
        res.on("end", () => resolve({ status: res.statusCode!, body: b }));
      });
      req.on("error", reject);
      req.write(bytes.subarray(0, 100));
    });
    assert.equal(big.status, 413, big.body);
    assert.match(big.body, /"code":"too-large".*larger than 64 MiB/);
  });

  it("/openapi.json is OpenAPI 3.1 with every path; logs carry request ids and never a token", async () => {
    const doc = (await api.as(tokens.read).call("GET", "/openapi.json")).body;
    assert.equal(doc.openapi, "3.1.0");
    for (const p of ["/v1/routes", "/v1/routes/{name}", "/v1/upstreams/{name}", "/v1/auth-policies", "/v1/plan", "/v1/apply", "/v1/drift", "/v1/history", "/v1/rollback", "/v1/tokens", "/v1/audit/verify", "/healthz", "/readyz", "/metrics"]) {
      assert.ok(doc.paths[p], `${p} in /openapi.json`);
    }
    assert.deepEqual(doc.paths["/healthz"].get.security, []);
    assert.ok(doc.components.schemas.Route && doc.components.schemas.Error);
    assert.deepEqual(Object.keys(doc.paths["/v1/routes/{name}"]).sort(), ["delete", "get", "put"]);

    const withId = await api.call("GET", "/readyz", { headers: { "x-request-id": "trace-123" } });
    assert.equal(withId.headers.get("x-request-id"), "trace-123");
    const line = logLines.map((l) => JSON.parse(l)).find((l) => l.requestId === "trace-123");
    assert.equal(line?.status, 200);
    assert.equal(line?.actor, "write-bot");
    const all = logLines.join("");
    for (const t of Object.values(tokens)) assert.ok(!all.includes(t.slice(4)), "no token in the log");
  });
});
