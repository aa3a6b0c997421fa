// --timeout through the CLI against a slow Caddy admin API (a proxy holding the write, then
// forwarding it to a real Caddy): the flag reaches the admin client, the write that lands late is
// undone against what is really there, and the report says so.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { CaddyClient } from "../../src/providers/caddy/client.js";
import { canonical } from "../../src/providers/caddy/owned.js";
import { startCaddy, type Caddy } from "../caddy-provider/caddy.js";
import { startSlowAdmin, type SlowAdmin } from "../caddy-provider/slow-admin.js";
import { freePort } from "../helpers/proc.js";
import { caddySettingsYaml, sandbox, type Sandbox } from "./helpers.js";

describe("--timeout", () => {
  let sb: Sandbox;
  let caddy: Caddy;
  let slow: SlowAdmin;
  let conf: string;

  before(async () => {
    sb = sandbox();
    caddy = await startCaddy();
    slow = await startSlowAdmin(caddy.admin);
    const [httpPort, httpsPort] = [await freePort(), await freePort()];
    conf = `${sb.dir}/conf`;
    mkdirSync(conf);
    writeFileSync(`${conf}/settings.yaml`, caddySettingsYaml(slow.url, { httpPort, httpsPort }, "    settleTimeout: 5s\n"));
  });
  after(async () => {
    await slow?.close();
    await caddy?.stop();
    sb?.cleanup();
  });

  it("is a duration", async () => {
    const r = await sb.hecate(["plan", conf, "--timeout", "soon"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--timeout expects a duration like 30s, 5m or 1h, got "soon"/);
  });

  it("reaches Caddy's admin client: a write answered late is undone and reported as such", async () => {
    const route = (name: string) =>
      writeFileSync(`${conf}/${name}.yaml`, `apiVersion: hecate.io/v1\nkind: Route\nmetadata:\n  name: ${name}\nspec:\n  hosts: [${name}.test]\n  upstreams:\n    - address: 127.0.0.1:9\n  public: true\n  tls:\n    mode: "off"\n`);
    route("app");
    const first = await sb.hecate(["apply", conf, "--timeout", "5s", "--yes"]);
    assert.equal(first.code, 0, first.stderr);
    route("web");
    const before = canonical((await new CaddyClient(caddy.admin).getConfig()).config);
    slow.delayNext(1200);
    const r = await sb.hecate(["apply", conf, "--timeout", "400ms", "--yes"]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /apply rolled-back \(every system is back where it was\): caddy: .*did not finish within 400 ms.*POST \/config\/ was answered \d+ ms after it was sent: Caddy took it/);
    await slow.landed();
    assert.equal(canonical((await new CaddyClient(caddy.admin).getConfig()).config), before);
  });
});
