// plan/apply/drift/rollback/render through the CLI against a real Caddy and a real upstream.
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { get, startCaddy, type Caddy } from "../caddy-provider/caddy.js";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { caddyConf, publicRoute, sandbox, type Sandbox } from "./helpers.js";

let sb: Sandbox;
let caddy: Caddy;
let up: Upstream;
let httpPort: number;
let conf: string;

before(async () => {
  sb = sandbox();
  caddy = await startCaddy();
  up = await startUpstream("app-backend");
  conf = `${sb.dir}/conf`;
  httpPort = await caddyConf(conf, caddy.admin);
  writeFileSync(`${conf}/app.yaml`, publicRoute("app", up.address));
});
after(async () => {
  await caddy?.stop();
  await up?.close();
  sb?.cleanup();
});

describe("apply through the CLI", () => {
  it("plan shows the change and stores nothing; apply makes traffic flow", async () => {
    const p = await sb.hecate(["plan", conf, "--detailed-exitcode"]);
    assert.equal(p.code, 2, p.stderr);
    assert.match(p.stdout, /caddy:\n/);
    assert.match(p.stdout, /Plan: \d+ to create, 0 to update, 0 to delete\./);
    assert.match((await sb.hecate(["history"])).stdout, /no revisions yet/);

    const dry = await sb.hecate(["apply", conf, "--dry-run"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /dry run: nothing applied, nothing stored/);
    assert.match((await sb.hecate(["history"])).stdout, /no revisions yet/);

    const a = await sb.hecate(["apply", conf]);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /applied revision [0-9a-f]{12} \(caddy\)/);
    const res = await get(httpPort, "app.test", "/hello");
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).name, "app-backend");

    const again = await sb.hecate(["plan", "--detailed-exitcode"]);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /No changes/);
    // Nothing to do is said once, by the plan.
    const noop = await sb.hecate(["apply", "--yes"]);
    assert.equal(noop.code, 0, noop.stderr);
    assert.equal(noop.stdout, `No changes. Reality matches revision ${/revision ([0-9a-f]{12})/.exec(a.stdout)![1]}.\n`);
    const d = await sb.hecate(["drift", "--detailed-exitcode"]);
    assert.equal(d.code, 0, d.stdout + d.stderr);
    assert.match(d.stdout, /caddy: in sync/);
  });

  it("a destructive apply without a terminal and without --yes is refused; with --yes it goes", async () => {
    rmSync(`${conf}/app.yaml`);
    const revs = JSON.parse((await sb.hecate(["history", "-o", "json"])).stdout).length;
    const refused = await sb.hecate(["apply", conf]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /deletes \d+ objects? and there is no terminal to confirm it.*--yes/);
    assert.equal(JSON.parse((await sb.hecate(["history", "-o", "json"])).stdout).length, revs, "nothing stored");
    assert.equal((await get(httpPort, "app.test", "/")).status, 200, "still served");

    const ok = await sb.hecate(["apply", conf, "--yes"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.notEqual((await get(httpPort, "app.test", "/").catch(() => ({ status: 0 }))).status, 200);
  });

  it("rollback --to the first revision brings the route back; render shows the Caddy config", async () => {
    const r = await sb.hecate(["rollback", "--to", "1", "--yes"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\+\+\+ b\/Route\/app/);
    assert.match(r.stdout, /revision #3 [0-9a-f]{12} restores #1/);
    assert.equal((await get(httpPort, "app.test", "/")).status, 200);
    const h = await sb.hecate(["history"]);
    assert.match(h.stdout, /\*3\s+[0-9a-f]{12}.*rollback:[0-9a-f]{12}\s+rollback to #1/, "the source names the target's short hash");
    assert.equal(h.stdout.split("\n").filter((l) => l.startsWith("*")).length, 1, `one revision is the last applied, though #1 has the same content:\n${h.stdout}`);

    const caddyJson = await sb.hecate(["render", "caddy"]);
    assert.equal(caddyJson.code, 0, caddyJson.stderr);
    assert.ok(caddyJson.stdout.includes(up.address));
    const auth = await sb.hecate(["render", "authentik"]);
    assert.equal(auth.code, 0, auth.stderr);
    assert.match(auth.stdout, /^version: 1$/m, "an authentik blueprint");
    assert.match(auth.stdout, /^entries: \[\]$/m, "no auth policy, so nothing for authentik");
  });

  it("on a terminal, a destructive plan asks first: 'n' changes nothing, 'y' applies", async () => {
    // The rollback above brought app back; conf/ (without app.yaml) now deletes it.
    const revs = JSON.parse((await sb.hecate(["history", "-o", "json"])).stdout).length;
    const no = await sb.hecate(["apply", conf], { isTTY: true, stdin: "n\n" });
    assert.equal(no.code, 1, no.stdout + no.stderr);
    assert.match(no.stdout + no.stderr, /- delete/);
    assert.equal(JSON.parse((await sb.hecate(["history", "-o", "json"])).stdout).length, revs, "nothing stored");
    assert.equal((await get(httpPort, "app.test", "/")).status, 200, "still served after 'n'");

    const yes = await sb.hecate(["apply", conf], { isTTY: true, stdin: "y\n" });
    assert.equal(yes.code, 0, yes.stdout + yes.stderr);
    assert.notEqual((await get(httpPort, "app.test", "/").catch(() => ({ status: 0 }))).status, 200, "gone after 'y'");
  });
});
