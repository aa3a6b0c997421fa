// `hecate secret rotate` on a route's basic-auth password through real Caddy: during the grace
// window the old and the new password both pass, after it only the new one; the loop's upkeep
// then removes the old value from the store (audited without any value).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startCaddy, type Caddy } from "../caddy-provider/caddy.js";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { caddyHash, send } from "../caddy-traffic/harness.js";
import { resolveState } from "../../src/model/index.js";
import { caddyConf, sandbox, type Sandbox } from "../cli/helpers.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import { upkeep } from "../../src/secrets/upkeep.js";
import { previousName } from "../../src/secret.js";

let sb: Sandbox;
let caddy: Caddy;
let up: Upstream;
let httpPort: number;
let conf: string;

const ROUTE = `apiVersion: hecate.io/v1
kind: Secret
metadata: { name: ops-hash }
spec: { from: store }
---
apiVersion: hecate.io/v1
kind: Middleware
metadata: { name: ops-login }
spec:
  type: basic-auth
  realm: ops
  users:
    - { username: ops, passwordHash: "secret:ops-hash" }
---
apiVersion: hecate.io/v1
kind: Route
metadata: { name: ops }
spec:
  hosts: [ops.test]
  upstreams: [{ address: UPSTREAM }]
  public: true
  middleware: [ops-login]
  tls: { mode: "off" }
`;

const basic = (pw: string) => ({ authorization: `Basic ${Buffer.from(`ops:${pw}`).toString("base64")}` });

before(async () => {
  sb = sandbox();
  caddy = await startCaddy();
  up = await startUpstream("ops-backend");
  conf = `${sb.dir}/conf`;
  httpPort = await caddyConf(conf, caddy.admin);
  writeFileSync(`${conf}/ops.yaml`, ROUTE.replace("UPSTREAM", up.address));
});
after(async () => {
  await caddy?.stop();
  await up?.close();
  sb?.cleanup();
});

describe("basic-auth password rotation with a grace window, through real Caddy", () => {
  const oldHash = caddyHash("old-password-1");
  const newHash = caddyHash("new-password-2");

  it("before: only the old password passes", async () => {
    assert.equal((await sb.hecate(["create", "secret", "ops-hash", "--value-from-stdin"], { stdin: oldHash })).code, 0);
    const a = await sb.hecate(["apply", conf, "--yes"]);
    assert.equal(a.code, 0, a.stderr + a.stdout);
    assert.equal((await send(httpPort, "ops.test", "/", { headers: basic("old-password-1") })).status, 200);
    assert.equal((await send(httpPort, "ops.test", "/", { headers: basic("new-password-2") })).status, 401);
    const none = await send(httpPort, "ops.test", "/");
    assert.equal(none.status, 401);
    assert.equal(none.headers["www-authenticate"], 'Basic realm="ops"', "browsers still get the prompt");
  });

  it("during the grace window both pass (and a wrong one does not); after it only the new one", async () => {
    const r = await sb.hecate(["secret", "rotate", "ops-hash", "--value-from-stdin", "--grace", "4s"], { stdin: newHash });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr + r.stdout, /Secret\/ops-hash rotated; the old value is accepted until 20\d\d-/);
    assert.match(r.stderr + r.stdout, /the systems now take the new value/);
    const until = Date.now() + 4000;
    for (const [pw, want] of [["new-password-2", 200], ["old-password-1", 200], ["wrong", 401]] as const) {
      const res = await send(httpPort, "ops.test", "/x", { headers: basic(pw) });
      assert.equal(res.status, want, `${pw}: ${res.status} ${res.body.slice(0, 100)}`);
      if (want === 200) assert.equal(JSON.parse(res.body).name, "ops-backend");
    }
    assert.equal((await send(httpPort, "ops.test", "/")).status, 401, "no credentials: still refused");
    // Plans show markers, never a hash.
    const plan = await sb.hecate(["plan", "-v"]);
    assert.ok(!plan.stdout.includes(oldHash) && !plan.stdout.includes(newHash));

    await sleep(Math.max(0, until - Date.now()) + 200);
    // The loop's upkeep: the window closed, the old value removed, audited; its apply then loads Caddy without it.
    const store = await openSqliteStore({ path: sb.store });
    try {
      const applied = (await store.lastApplied())!;
      const { createSecretResolver } = await import("../../src/store/secrets.js");
      const report = await upkeep({ store, actor: "hecate-serve", resources: applied.resources, state: resolveState(applied.resources).state!, secrets: createSecretResolver(store, applied.resources) });
      assert.deepEqual(report.gracesEnded, ["ops-hash"]);
      assert.equal(await store.getSecret(previousName("ops-hash")), undefined);
      const audit = await store.listAudit({ limit: 10 });
      assert.ok(audit.some((e) => e.action === "secret.grace-end" && e.target === "Secret/ops-hash"));
      assert.ok(audit.some((e) => e.action === "secret.rotate" && e.target === "Secret/ops-hash"));
      assert.ok(!JSON.stringify(audit).includes(oldHash) && !JSON.stringify(audit).includes(newHash));
    } finally {
      await store.close();
    }
    const rec = await sb.hecate(["reconcile", "--yes"]);
    assert.equal(rec.code, 0, rec.stderr + rec.stdout);
    assert.equal((await send(httpPort, "ops.test", "/", { headers: basic("new-password-2") })).status, 200);
    assert.equal((await send(httpPort, "ops.test", "/", { headers: basic("old-password-1") })).status, 401);
  });

  it("refuses what it cannot rotate, saying why", async () => {
    writeFileSync(`${conf}/env-secret.yaml`, "apiVersion: hecate.io/v1\nkind: Secret\nmetadata: { name: from-env }\nspec: { from: env:SOME_VAR }\n");
    assert.equal((await sb.hecate(["apply", conf, "--yes"])).code, 0);
    const r = await sb.hecate(["secret", "rotate", "from-env", "--generate"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Secret\/from-env takes its value from env:SOME_VAR: rotate it there/);
    const none = await sb.hecate(["secret", "rotate", "nope", "--generate"]);
    assert.match(none.stderr, /no Secret named "nope"/);
    const two = await sb.hecate(["secret", "rotate", "ops-hash"]);
    assert.match(two.stderr, /needs one of --value-from SOURCE, --value-from-stdin or --generate/);
    const bad = await sb.hecate(["secret", "rotate", "ops-hash", "--generate", "--grace", "soon"]);
    assert.match(bad.stderr, /--grace expects a duration like 10m, 24h or 7d, got "soon"/);
  });
});
