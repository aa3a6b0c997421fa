// drift through the CLI against a real Caddy: what reality did, in its words; an outage is an error, never drift.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { startCaddy, type Caddy } from "../caddy-provider/caddy.js";
import { caddyConf, publicRoute, sandbox, type Sandbox } from "./helpers.js";

let sb: Sandbox;
let caddy: Caddy;
let conf: string;

/** One call to Caddy's admin API (the hand edit an operator makes behind Hecate's back). */
async function admin(method: string, path: string, body?: unknown): Promise<void> {
  const res = await fetch(`${caddy.admin}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }) });
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${await res.text()}`);
}

before(async () => {
  sb = sandbox();
  caddy = await startCaddy();
  conf = `${sb.dir}/conf`;
  await caddyConf(conf, caddy.admin);
  writeFileSync(`${conf}/gone.yaml`, publicRoute("gone", "127.0.0.1:18001"));
  writeFileSync(`${conf}/edited.yaml`, publicRoute("edited", "127.0.0.1:18002"));
  const a = await sb.hecate(["apply", conf, "--yes"]);
  assert.equal(a.code, 0, a.stdout + a.stderr);
});
after(async () => {
  await caddy?.stop();
  sb?.cleanup();
});

describe("drift", () => {
  it("says what happened outside Hecate, field by field, then what reconcile would do", async () => {
    await admin("DELETE", "/id/hecate-route-gone");
    const cfg = (await (await fetch(`${caddy.admin}/id/hecate-route-edited`)).json()) as { handle: unknown[] };
    const dialPath = findDial(cfg, "127.0.0.1:18002");
    assert.ok(dialPath, JSON.stringify(cfg));
    await admin("PATCH", `/id/hecate-route-edited/${dialPath}`, "127.0.0.1:18999");

    const d = await sb.hecate(["drift", "--detailed-exitcode"]);
    assert.equal(d.code, 2, d.stdout + d.stderr);
    assert.match(d.stdout, /caddy: \d+ changes made outside Hecate/);
    assert.match(d.stdout, /route hecate-route-gone \(Route\/gone\) deleted outside Hecate; reconcile would create it again/);
    assert.match(d.stdout, /route hecate-route-edited \(Route\/edited\) edited outside Hecate; reconcile would change it back/);
    assert.match(d.stdout, /\.dial: applied "127\.0\.0\.1:18002", now "127\.0\.0\.1:18999"/);
    assert.doesNotMatch(d.stdout, /create route/);
    assert.match(d.stdout, /run `hecate reconcile`/);
  });

  it("an unreachable Caddy is an error (exit 1), not drift, and reconcile is not suggested", async () => {
    await caddy.stop();
    for (const args of [["drift"], ["drift", "--detailed-exitcode"]]) {
      const d = await sb.hecate(args);
      assert.equal(d.code, 1, d.stdout + d.stderr);
      assert.match(d.stderr, /^error: cannot read caddy: /m);
      assert.doesNotMatch(d.stdout + d.stderr, /reconcile/);
      assert.doesNotMatch(d.stdout + d.stderr, /at .*\.ts:\d+/, "no stack trace");
    }
    const j = await sb.hecate(["drift", "-o", "json"]);
    assert.equal(j.code, 1);
    assert.equal(JSON.parse(j.stdout).drifted, false);
    assert.equal(JSON.parse(j.stderr).error.code, "read-failed");
  });
});

/** The admin API path (below the route) of the string `dial` inside `v`. */
function findDial(v: unknown, dial: string, path = ""): string | undefined {
  if (v === dial) return path;
  if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      const p = findDial(x, dial, path ? `${path}/${k}` : k);
      if (p) return p;
    }
  }
  return undefined;
}
