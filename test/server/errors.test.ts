// Every endpoint of /openapi.json, driven from the document itself: each one behind a token answers
// 401 without one and 403 to a token of too small a scope; each 400, 404, 409 and 412 an endpoint
// declares is provoked by a case below (a new endpoint, or a new status, without a case fails the
// coverage check at the end), and every answer is checked against /openapi.json (client.ts).
// The store holds examples/ (every kind, with references between them).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { tempDir } from "../helpers/proc.js";
import * as model from "../../src/model/index.js";
import type { Resource } from "../../src/model/schema.js";
import { NOUNS } from "../../src/cli/nouns/index.js";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite.js";
import { createToken } from "../../src/server/tokens.js";
import { jsonLogger, startServer, type RunningServer } from "../../src/server/serve.js";
import { ApiClient, type Answer } from "./client.js";

const dir = tempDir("hecate-api-errors-");
const key = randomBytes(32);
let store: SqliteStore;
let server: RunningServer;
let api: ApiClient;
const tokens: Record<"read" | "write" | "admin", string> = { read: "", write: "", admin: "" };
let doc: { paths: Record<string, Record<string, { description?: string; responses: Record<string, unknown> }>> };
let examples: Resource[] = [];

before(async () => {
  store = await openSqliteStore({ path: `${dir.path}/hecate.db`, secretKey: key });
  examples = (await model.loadPaths(["examples/"])).docs.map((d) => d.resource as Resource);
  await store.putRevision({ resources: examples, author: "operator", message: "examples", source: { type: "cli" }, expectedParent: 0 });
  for (const scope of ["read", "write", "admin"] as const) tokens[scope] = (await createToken(store, { name: `${scope}-bot`, scope, createdBy: "operator" })).token;
  server = await startServer({ store, listen: { type: "tcp", host: "127.0.0.1", port: 0 }, logger: jsonLogger(() => undefined), authLimit: { max: 10_000, windowMs: 60_000 } });
  api = new ApiClient(server.url, tokens.admin);
  doc = (await api.loadSpec(tokens.admin)) as typeof doc;
});

after(async () => {
  await server?.close();
  await store?.close();
  dir.cleanup();
});

/** Every operation of the document: "METHOD /path/{param}" and the scope its description names. */
function operations(): { key: string; method: string; path: string; scope?: "read" | "write" | "admin" }[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, o]) => ({ key: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), path, ...(/Needs a (\w+) token/.exec(o.description ?? "") ? { scope: /Needs a (\w+) token/.exec(o.description ?? "")![1] as "read" } : {}) })),
  );
}

const ghost = (path: string) => path.replace(/\{[^}]+\}/g, "ghost");
const example = (kind: string) => examples.find((r) => r.kind === kind)!;
/** A resource of that kind that others refer to (deleting it alone is refused), if examples/ has one. */
const referenced = (kind: string) => examples.find((r) => r.kind === kind && model.referrers(examples, r.kind as never, r.metadata.name).length > 0);

type Case = { op: string; status: number; why: string; run: () => Promise<Answer> };
const covered = new Set<string>();

/** The cases, built once the examples are loaded. */
function cases(): Case[] {
  const w = api.as(tokens.write), a = api.as(tokens.admin), r = api.as(tokens.read);
  const list: Case[] = [];
  for (const noun of NOUNS) {
    const base = `/v1/${noun.plural}`, one = `${base}/{name}`;
    const ex = example(noun.kind);
    const at = (name: string) => `${base}/${encodeURIComponent(name)}`;
    list.push(
      { op: `GET ${base}`, status: 400, why: "a selector without =", run: () => r.call("GET", `${base}?selector=env`, { pattern: base }) },
      { op: `GET ${one}`, status: 404, why: "no such name", run: () => r.call("GET", ghost(one), { pattern: one }) },
      { op: `POST ${base}`, status: 400, why: "a body of another kind", run: () => w.call("POST", base, { body: { ...ex, kind: noun.kind === "Route" ? "Upstream" : "Route" } }) },
      { op: `POST ${base}`, status: 409, why: "the name exists", run: () => w.call("POST", base, { body: ex }) },
      { op: `PUT ${one}`, status: 400, why: "an unknown field", run: () => w.call("PUT", at(ex.metadata.name), { body: { ...ex, spec: { ...(ex.spec as object), bogus: 1 } }, pattern: one }) },
      { op: `PUT ${one}`, status: 404, why: "no such name", run: () => w.call("PUT", ghost(one), { body: ex, pattern: one }) },
      { op: `PUT ${one}`, status: 412, why: "a stale ETag", run: () => w.call("PUT", at(ex.metadata.name), { body: ex, headers: { "if-match": '"0123"' }, pattern: one }) },
      { op: `DELETE ${one}`, status: 400, why: "cascade that is not true or false", run: () => w.call("DELETE", `${at(ex.metadata.name)}?cascade=maybe`, { pattern: one }) },
      { op: `DELETE ${one}`, status: 404, why: "no such name", run: () => w.call("DELETE", ghost(one), { pattern: one }) },
      { op: `DELETE ${one}`, status: 412, why: "a stale ETag", run: () => w.call("DELETE", at(ex.metadata.name), { headers: { "if-match": '"0123"' }, pattern: one }) },
    );
    const ref = referenced(noun.kind);
    if (ref) list.push({ op: `DELETE ${one}`, status: 409, why: "others refer to it", run: () => w.call("DELETE", at(ref.metadata.name), { pattern: one }) });
  }
  list.push(
    { op: "POST /v1/validate", status: 400, why: "resources is not a list", run: () => r.call("POST", "/v1/validate", { body: { resources: 1 } }) },
    { op: "POST /v1/plan", status: 400, why: "an unknown field", run: () => r.call("POST", "/v1/plan", { body: { revison: "head" } }) },
    { op: "POST /v1/plan", status: 404, why: "no such revision", run: () => r.call("POST", "/v1/plan", { body: { revision: "#99" } }) },
    { op: "POST /v1/apply", status: 400, why: "an unknown system", run: () => w.call("POST", "/v1/apply", { body: { systems: ["ftp"] } }) },
    { op: "POST /v1/apply", status: 404, why: "no such revision", run: () => w.call("POST", "/v1/apply", { body: { revision: "#99" } }) },
    { op: "GET /v1/drift", status: 400, why: "an unknown system", run: () => r.call("GET", "/v1/drift?systems=ftp", { pattern: "/v1/drift" }) },
    { op: "GET /v1/history", status: 400, why: "limit 0", run: () => r.call("GET", "/v1/history?limit=0", { pattern: "/v1/history" }) },
    { op: "GET /v1/revisions/{ref}", status: 404, why: "no such revision", run: () => r.call("GET", "/v1/revisions/99", { pattern: "/v1/revisions/{ref}" }) },
    { op: "POST /v1/revisions", status: 400, why: "parent missing", run: () => w.call("POST", "/v1/revisions", { body: { resources: [], message: "m" } }) },
    { op: "POST /v1/revisions", status: 409, why: "parent is not the head", run: () => w.call("POST", "/v1/revisions", { body: { parent: 0, resources: examples, message: "stale" } }) },
    { op: "POST /v1/rollback", status: 400, why: "to missing", run: () => w.call("POST", "/v1/rollback", { body: {} }) },
    { op: "POST /v1/rollback", status: 404, why: "no such revision", run: () => w.call("POST", "/v1/rollback", { body: { to: "#99" } }) },
    { op: "POST /v1/tokens", status: 400, why: "an unknown scope", run: () => a.call("POST", "/v1/tokens", { body: { name: "x", scope: "root" } }) },
    { op: "POST /v1/tokens", status: 409, why: "the name is taken", run: () => a.call("POST", "/v1/tokens", { body: { name: "read-bot", scope: "read" } }) },
    { op: "DELETE /v1/tokens/{name}", status: 404, why: "no such token", run: () => a.call("DELETE", "/v1/tokens/ghost", { pattern: "/v1/tokens/{name}" }) },
    { op: "POST /v1/tokens/{name}/rotate", status: 400, why: "a grace that is not a duration", run: () => a.call("POST", "/v1/tokens/read-bot/rotate", { body: { grace: "soon" }, pattern: "/v1/tokens/{name}/rotate" }) },
    { op: "POST /v1/tokens/{name}/rotate", status: 404, why: "no such token", run: () => a.call("POST", "/v1/tokens/ghost/rotate", { body: {}, pattern: "/v1/tokens/{name}/rotate" }) },
    { op: "POST /v1/tokens/{name}/rotate", status: 409, why: "a revoked token", run: async () => {
      await a.call("POST", "/v1/tokens", { body: { name: "gone-bot", scope: "read" } });
      await a.call("DELETE", "/v1/tokens/gone-bot", { pattern: "/v1/tokens/{name}" });
      return a.call("POST", "/v1/tokens/gone-bot/rotate", { body: {}, pattern: "/v1/tokens/{name}/rotate" });
    } },
    { op: "GET /v1/audit", status: 400, why: "limit 0", run: () => a.call("GET", "/v1/audit?limit=0", { pattern: "/v1/audit" }) },
    { op: "POST /v1/webhooks", status: 400, why: "not a URL", run: () => a.call("POST", "/v1/webhooks", { body: { url: "nowhere", events: ["*"] } }) },
    { op: "DELETE /v1/webhooks/{id}", status: 404, why: "no such webhook", run: () => a.call("DELETE", "/v1/webhooks/ghost", { pattern: "/v1/webhooks/{id}" }) },
    { op: "GET /v1/webhooks/{id}/deliveries", status: 404, why: "no such webhook", run: () => a.call("GET", "/v1/webhooks/ghost/deliveries", { pattern: "/v1/webhooks/{id}/deliveries" }) },
    { op: "POST /v1/webhooks/{id}/rotate-secret", status: 400, why: "a grace that is not a duration", run: () => a.call("POST", "/v1/webhooks/ghost/rotate-secret", { body: { grace: "soon" }, pattern: "/v1/webhooks/{id}/rotate-secret" }) },
    { op: "POST /v1/webhooks/{id}/rotate-secret", status: 404, why: "no such webhook", run: () => a.call("POST", "/v1/webhooks/ghost/rotate-secret", { body: {}, pattern: "/v1/webhooks/{id}/rotate-secret" }) },
    { op: "POST /v1/webhooks/{id}/deliveries/{delivery}/redeliver", status: 404, why: "no such webhook", run: () => a.call("POST", "/v1/webhooks/ghost/deliveries/ghost/redeliver", { pattern: "/v1/webhooks/{id}/deliveries/{delivery}/redeliver" }) },
    { op: "GET /v1/backup", status: 400, why: "an empty name", run: () => a.call("GET", "/v1/backup?name=", { pattern: "/v1/backup" }) },
    { op: "POST /v1/restore", status: 400, why: "not a backup archive", run: () => a.call("POST", "/v1/restore?dryRun=true", { raw: { bytes: Buffer.from("not gzip"), type: "application/gzip" }, pattern: "/v1/restore" }) },
    { op: "GET /v1/dns/zones/{zone}", status: 400, why: "a name under a zone", run: () => r.call("GET", "/v1/dns/zones/app.example.com", { pattern: "/v1/dns/zones/{zone}" }) },
    { op: "GET /v1/dns/zones/{zone}/zonefile", status: 400, why: "not a zone", run: () => r.call("GET", "/v1/dns/zones/com/zonefile", { pattern: "/v1/dns/zones/{zone}/zonefile" }) },
    { op: "POST /v1/dns/zones/{zone}/adopt", status: 400, why: "survey missing", run: () => w.call("POST", "/v1/dns/zones/example.com/adopt", { body: { rrsets: [] }, pattern: "/v1/dns/zones/{zone}/adopt" }) },
    { op: "GET /v1/dns/check/{host}", status: 400, why: "not a host name", run: () => r.call("GET", "/v1/dns/check/not%20a%20host", { pattern: "/v1/dns/check/{host}" }) },
    { op: "POST /v1/certs/{name}/revoke", status: 400, why: "an unknown reason", run: () => w.call("POST", "/v1/certs/www/revoke", { body: { reason: "boredom" }, pattern: "/v1/certs/{name}/revoke" }) },
    { op: "POST /v1/certs/{name}/revoke", status: 404, why: "no such Certificate", run: () => w.call("POST", "/v1/certs/ghost/revoke", { body: { reason: "superseded" }, pattern: "/v1/certs/{name}/revoke" }) },
    { op: "POST /v1/certs/{name}/validate", status: 400, why: "an empty CA bundle", run: () => r.call("POST", "/v1/certs/legacy/validate", { body: { caBundle: { pem: "", from: "x" } }, pattern: "/v1/certs/{name}/validate" }) },
    { op: "POST /v1/certs/{name}/validate", status: 404, why: "no such Certificate", run: () => r.call("POST", "/v1/certs/ghost/validate", { body: {}, pattern: "/v1/certs/{name}/validate" }) },
    { op: "GET /v1/secret-validation", status: 400, why: "expiry is not true or false", run: () => r.call("GET", "/v1/secret-validation?expiry=yes", { pattern: "/v1/secret-validation" }) },
    { op: "GET /v1/health", status: 400, why: "an unknown system", run: () => r.call("GET", "/v1/health?systems=ftp", { pattern: "/v1/health" }) },
    { op: "GET /v1/debug/auth/{route}", status: 400, why: "an empty user", run: () => r.call("GET", "/v1/debug/auth/app?user=", { pattern: "/v1/debug/auth/{route}" }) },
    { op: "GET /v1/debug/auth/{route}", status: 404, why: "no such route", run: () => r.call("GET", "/v1/debug/auth/ghost", { pattern: "/v1/debug/auth/{route}" }) },
    { op: "GET /v1/applies", status: 400, why: "an unknown status", run: () => r.call("GET", "/v1/applies?status=finished", { pattern: "/v1/applies" }) },
    { op: "GET /v1/locks/{name}", status: 404, why: "the lock is free", run: () => r.call("GET", "/v1/locks/apply", { pattern: "/v1/locks/{name}" }) },
    { op: "DELETE /v1/locks/{name}", status: 404, why: "the lock is free", run: () => a.call("DELETE", "/v1/locks/apply", { pattern: "/v1/locks/{name}" }) },
    { op: "PUT /v1/secrets/{name}/value", status: 400, why: "an empty value", run: () => w.call("PUT", "/v1/secrets/grafana-oidc/value", { body: { value: "" }, pattern: "/v1/secrets/{name}/value" }) },
    { op: "PUT /v1/secrets/{name}/value", status: 400, why: "a webhook key's name", run: () => w.call("PUT", "/v1/secrets/webhook.abc/value", { body: { value: "x" }, pattern: "/v1/secrets/{name}/value" }) },
    { op: "POST /v1/secrets/{name}/rotate", status: 400, why: "a store Secret without its new value", run: () => w.call("POST", "/v1/secrets/grafana-oidc/rotate", { body: {}, pattern: "/v1/secrets/{name}/rotate" }) },
    { op: "POST /v1/secrets/{name}/rotate", status: 404, why: "no such Secret", run: () => w.call("POST", "/v1/secrets/ghost/rotate", { body: { value: "x" }, pattern: "/v1/secrets/{name}/rotate" }) },
    { op: "PUT /v1/reconcile", status: 400, why: "suspended is not a boolean", run: () => w.call("PUT", "/v1/reconcile", { body: { suspended: "yes" } }) },
    { op: "POST /v1/reconcile", status: 400, why: "an unknown system", run: () => w.call("POST", "/v1/reconcile", { body: { systems: ["ftp"] } }) },
    { op: "POST /v1/reconcile", status: 404, why: "nothing applied yet", run: () => w.call("POST", "/v1/reconcile", { body: { dryRun: true } }) },
    { op: "POST /v1/delivery", status: 400, why: "a block without its address", run: () => w.call("POST", "/v1/delivery", { body: { action: "block", reason: "x" } }) },
    { op: "POST /v1/delivery", status: 400, why: "an unknown action", run: () => w.call("POST", "/v1/delivery", { body: { action: "explode", route: "app" } }) },
    { op: "POST /v1/delivery", status: 404, why: "no such route", run: () => w.call("POST", "/v1/delivery", { body: { action: "canary.promote", route: "ghost" } }) },
    { op: "POST /v1/delivery", status: 409, why: "enabling a route that is not disabled", run: () => w.call("POST", "/v1/delivery", { body: { action: "route.enable", route: "app" } }) },
    { op: "GET /v1/canaries", status: 400, why: "an empty route", run: () => r.call("GET", "/v1/canaries?route=", { pattern: "/v1/canaries" }) },
    { op: "GET /v1/canaries", status: 404, why: "no such route", run: () => r.call("GET", "/v1/canaries?route=ghost", { pattern: "/v1/canaries" }) },
    { op: "POST /v1/certs/{name}/renew", status: 400, why: "force is not true or false", run: () => w.call("POST", "/v1/certs/www/renew?force=maybe", { pattern: "/v1/certs/{name}/renew" }) },
    { op: "POST /v1/certs/{name}/renew", status: 404, why: "no such Certificate", run: () => w.call("POST", "/v1/certs/ghost/renew", { pattern: "/v1/certs/{name}/renew" }) },
    { op: "GET /v1/revisions/{ref}", status: 409, why: "a hash prefix two revisions share", run: async () => {
      // Two states whose hashes begin alike (found by hashing, stored as revisions).
      const { layout } = await import("../../src/store/content.js");
      const seen = new Map<string, Resource[]>();
      for (let i = 0; ; i++) {
        const state = [{ ...examples[0]!, metadata: { ...examples[0]!.metadata, labels: { n: String(i) } } }] as Resource[];
        const prefix = layout(state).hash.slice(0, 4);
        const other = seen.get(prefix);
        if (other) {
          for (const s of [other, state]) await store.putRevision({ resources: s, author: "operator", message: "prefix", source: { type: "cli" }, expectedParent: (await store.head())!.seq });
          await store.putRevision({ resources: examples, author: "operator", message: "examples again", source: { type: "cli" }, expectedParent: (await store.head())!.seq });
          return r.call("GET", `/v1/revisions/${prefix}`, { pattern: "/v1/revisions/{ref}" });
        }
        seen.set(prefix, state);
      }
    } },
    { op: "POST /v1/restore", status: 409, why: "it would remove revisions, without yes", run: async () => {
      const backup = await a.call("GET", "/v1/backup", { pattern: "/v1/backup" });
      assert.equal(backup.status, 200);
      // A revision made after the backup: restoring the backup removes it.
      await store.putRevision({ resources: examples, author: "operator", message: "after the backup", source: { type: "cli" }, expectedParent: (await store.head())!.seq });
      return a.call("POST", "/v1/restore", { raw: { bytes: backup.bytes, type: "application/gzip" }, pattern: "/v1/restore" });
    } },
  );
  return list;
}

/** Declared error statuses not provoked here, with why (the coverage check accepts only these). */
const UNREACHABLE: Record<string, string> = {
  ...Object.fromEntries(
    NOUNS.filter((n) => !["AuthPolicy", "Certificate", "Middleware", "Secret", "Upstream"].includes(n.kind)).map((n) => [`DELETE /v1/${n.plural}/{name} 409`, `nothing in examples/ refers to a ${n.kind}`]),
  ),
  // These need a plan, so a real system (no Caddy runs here): api.test.ts provokes them against one.
  "POST /v1/apply 409": "api.test.ts: a plan that deletes, without yes",
  "POST /v1/rollback 409": "api.test.ts: a rollback that deletes, without yes",
  "POST /v1/reconcile 409": "api.test.ts: a reconcile that deletes a route added in Caddy by hand, without yes",
  "GET /v1/canaries 409": "examples/ has no host that two routes serve",
  "POST /v1/certs/{name}/revoke 409": "a certificate already revoked needs pebble: test/certs/cli.test.ts provokes it through the same engine call (hecate cert revoke, twice)",
  // The DNS provider's own 404 (a zone it does not hold): no Hetzner answers here; remote.test.ts runs these endpoints against the Hetzner sandbox.
  "GET /v1/dns/zones/{zone} 404": "the DNS provider's answer for a zone it does not hold",
  "GET /v1/dns/zones/{zone}/zonefile 404": "the DNS provider's answer for a zone it does not hold",
  "POST /v1/dns/zones/{zone}/adopt 404": "the DNS provider's answer for a zone it does not hold",
};

describe("every endpoint's errors, as /openapi.json declares them", () => {
  it("401 without a token and 403 with a token of too small a scope, on every endpoint behind a token", async () => {
    const lower = { write: "read", admin: "write" } as const;
    for (const o of operations()) {
      if (!o.scope) continue;
      const none = await api.as(undefined).call(o.method, ghost(o.path), { pattern: o.path });
      assert.equal(none.status, 401, `${o.key} without a token`);
      assert.equal(none.body.error.code, "unauthorized");
      covered.add(`${o.key} 401`);
      if (o.scope === "read") continue;
      const small = await api.as(tokens[lower[o.scope]]).call(o.method, ghost(o.path), { pattern: o.path, ...(o.method === "GET" || o.method === "DELETE" ? {} : { body: {} }) });
      assert.equal(small.status, 403, `${o.key} with a ${lower[o.scope]} token: ${small.text.slice(0, 200)}`);
      assert.equal(small.body.error.code, "forbidden");
      assert.match(small.body.error.message, new RegExp(`this needs a ${o.scope} token`));
      covered.add(`${o.key} 403`);
    }
  });

  it("each 400, 404, 409 and 412 an endpoint declares, with the code and a message a person can act on", async () => {
    for (const c of cases()) {
      const res = await c.run();
      assert.equal(res.status, c.status, `${c.op} (${c.why}): ${res.text.slice(0, 300)}`);
      assert.equal(typeof res.body.error?.code, "string", `${c.op}: an error body`);
      assert.ok(res.body.error.message.length > 10, `${c.op}: a message`);
      if (c.status === 400) assert.ok(res.body.error.diagnostics.length > 0 && res.body.error.diagnostics.every((d: { message: string }) => d.message), `${c.op}: 400 names each problem`);
      if (c.status === 412) assert.equal(res.body.error.code, "precondition-failed");
      covered.add(`${c.op} ${c.status}`);
    }
  });

  it("400s name the field: a bad Route body, at spec.hosts and spec.publik", async () => {
    const res = await api.as(tokens.write).call("POST", "/v1/routes", { body: { apiVersion: "hecate.io/v1", kind: "Route", metadata: { name: "x" }, spec: { hosts: "x.test", publik: true } } });
    assert.equal(res.status, 400);
    const fields = res.body.error.diagnostics.map((d: { field?: string }) => d.field);
    assert.ok(fields.includes("spec.hosts") && fields.includes("spec.publik"), JSON.stringify(fields));
  });

  it("covers every declared 401, 403, 400, 404, 409 and 412 (a new endpoint needs its cases)", () => {
    const missing: string[] = [];
    for (const o of operations()) {
      for (const status of Object.keys(doc.paths[o.path]![o.method.toLowerCase()]!.responses).map(Number)) {
        if (![400, 401, 403, 404, 409, 412].includes(status)) continue;
        if (status === 403 && o.scope === "read") continue; // every token is at least read
        const k = `${o.key} ${status}`;
        if (!covered.has(k) && !UNREACHABLE[k]) missing.push(k);
      }
    }
    assert.deepEqual(missing, [], "declared statuses no test provokes");
  });
});
