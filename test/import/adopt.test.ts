// `hecate import caddy --admin URL --adopt`: a live Caddy running a Caddyfile is taken over in
// place. Without --adopt the plan is the rewrite into Hecate's layout (shown, nothing written);
// with it the imported servers are replaced in one load, the sites answer as before, and the
// next plan is empty.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { freePorts, startProcess, tempDir, waitForPort, type Proc } from "../helpers/proc.js";
import { send } from "../caddy-traffic/harness.js";
import { caddySettingsYaml, sandbox, type Sandbox } from "../cli/helpers.js";

describe("import caddy --adopt", () => {
  let a: Upstream, sb: Sandbox, caddy: Proc | undefined;
  const t = tempDir("hecate-import-adopt-");
  before(async () => {
    a = await startUpstream("a");
    sb = sandbox();
  });
  after(async () => {
    await caddy?.stop();
    await a?.close();
    sb?.cleanup();
    t.cleanup();
  });

  it("takes the live Caddy over in place: same answers, then an empty plan", async () => {
    const [http, https, admin] = (await freePorts(3)) as [number, number, number];
    const file = join(t.path, "Caddyfile");
    writeFileSync(
      file,
      `{\n\tadmin 127.0.0.1:${admin}\n}\nhttp://app.test:${http} {\n\theader X-App one\n\treverse_proxy ${a.address}\n}\nhttp://old.test:${http} {\n\tredir https://new.test{uri} 301\n}\n`,
    );
    caddy = startProcess("caddy", ["run", "--config", file, "--adapter", "caddyfile"], { env: { ...process.env, HOME: t.path, XDG_DATA_HOME: t.path, XDG_CONFIG_HOME: t.path } });
    await waitForPort(http);
    const probe = async () => {
      const app = await send(http, "app.test", "/x");
      const old = await send(http, "old.test", "/a?b=c");
      return { app: [app.status, app.headers["x-app"], JSON.parse(app.body).name], old: [old.status, old.headers.location] };
    };
    const before = await probe();
    assert.deepEqual(before, { app: [200, "one", "a"], old: [301, "https://new.test/a?b=c"] });

    // Settings that point Hecate at this Caddy, on its ports, stored (a plan --out records them).
    const url = `http://127.0.0.1:${admin}`;
    const settingsDir = join(t.path, "settings");
    mkdirSync(settingsDir);
    writeFileSync(join(settingsDir, "settings.yaml"), caddySettingsYaml(url, { httpPort: http, httpsPort: https }));
    const stored = await sb.hecate(["plan", settingsDir, "--system", "caddy", "--out", join(t.path, "settings.plan")]);
    assert.equal(stored.code, 0, stored.stdout + stored.stderr);

    // Without --adopt: the plan is the rewrite, shown in full, and nothing is written.
    const out = join(t.path, "imported");
    assert.equal((await sb.hecate(["import", "caddy", "--admin", url, "--out", out])).code, 0);
    writeFileSync(join(out, "settings.yaml"), caddySettingsYaml(url, { httpPort: http, httpsPort: https }));
    const rewrite = await sb.hecate(["plan", out, "--system", "caddy", "-v"]);
    assert.equal(rewrite.code, 0, rewrite.stdout + rewrite.stderr);
    assert.match(rewrite.stdout, /\+ create route hecate-route-app\.test/);
    assert.match(rewrite.stdout, /\+ create route hecate-route-old\.test/);
    assert.deepEqual(await probe(), before, "a plan writes nothing");

    // A server with a site the import refuses (no host) is not taken over: nothing stored or changed.
    const partial = join(t.path, "Partial");
    writeFileSync(partial, `http://app.test:${http} {\n\treverse_proxy ${a.address}\n}\n:${http} {\n\trespond "catch-all"\n}\n`);
    const refused = await sb.hecate(["import", "caddy", "--caddyfile", partial, "--admin", url, "--adopt"]);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /not adopted, nothing stored or changed: server srv0 holds sites or options the import refused/);
    assert.doesNotMatch((await sb.hecate(["history"])).stdout, /#2/);
    assert.deepEqual(await probe(), before);

    const adopted = await sb.hecate(["import", "caddy", "--admin", url, "--adopt", "-m", "adopt the live Caddy"]);
    assert.equal(adopted.code, 0, adopted.stdout + adopted.stderr);
    assert.match(adopted.stdout, /adopted: Caddy at .*\(server srv0 replaced in one load\)/);
    assert.match(adopted.stdout, /No changes\./, "the plan printed after adopting is empty");
    assert.deepEqual(await probe(), before);
    const plan = await sb.hecate(["plan", "--system", "caddy", "--detailed-exitcode"]);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    const apply = await sb.hecate(["apply", "--yes", "--system", "caddy"]);
    assert.match(apply.stdout, /^No changes\. Reality matches revision/);
  });

  it("--adopt needs the Caddy it takes over (--admin), and stores: no --out, no --dry-run", async () => {
    const r = await sb.hecate(["import", "caddy", "--json", join(t.path, "nope.json"), "--adopt"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--adopt takes over the Caddy at --admin URL/);
  });

  it("--adopt is refused, with why and what to do, where the live objects are in a proxy Hecate does not run", async () => {
    for (const [args, why] of [
      [["npm", "--db", "database.sqlite"], /Nginx Proxy Manager's hosts and streams are served by its own nginx.*Instead: import with --out DIR/],
      [["traefik", "--file", "dynamic.yml"], /Traefik's routers are served by Traefik itself.*then move the ports over \(stop Traefik first\)/],
      [["eos", "-c", "config.yaml"], /--adopt is not for the eos apps file.*hecate import caddy --admin URL --adopt/],
    ] as const) {
      const r = await sb.hecate(["import", ...args, "--adopt"]);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, why);
    }
  });
});
