// The command forms eos users type today, through eos-hecate: each runs the hecate command that
// does the same (create/delete a route, apply, render, apply of some systems), with clear usage errors.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { eosToHecate } from "../../src/cli/eos.js";
import { startAuthentikSandbox, type AuthentikSandbox } from "../../src/sandbox/authentik/index.js";
import { startCaddy, type Caddy } from "../caddy-provider/caddy.js";
import { send } from "../caddy-traffic/harness.js";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { freePorts } from "../helpers/proc.js";
import { caddySettingsYaml, sandbox, type Sandbox } from "../cli/helpers.js";

describe("eos-hecate: the tool's own command forms", () => {
  let sb: Sandbox;
  before(() => (sb = sandbox()));
  after(() => sb.cleanup());

  it("translates each form", () => {
    assert.deepEqual(eosToHecate(["update", "hecate", "--add", "wiki", "-d", "wiki.example.com", "-u", "10.0.0.7:3000", "--dry-run"]), ["create", "route", "wiki", "--host", "wiki.example.com", "--upstream", "10.0.0.7:3000", "--public", "--dry-run"]);
    assert.deepEqual(eosToHecate(["update", "hecate", "--add", "wiki", "--dns", "wiki.example.com", "--upstream", "10.0.0.7", "--sso", "--sso-provider", "authentik", "--admin-group", "admins"]), ["create", "route", "wiki", "--host", "wiki.example.com", "--upstream", "10.0.0.7", "--auth-policy", "admins"]);
    assert.deepEqual(eosToHecate(["update", "hecate", "--remove", "wiki"]), ["delete", "route", "wiki"]);
    assert.deepEqual(eosToHecate(["update", "hecate", "--refresh", "--yes"]), ["apply", "--yes"]);
    assert.deepEqual(eosToHecate(["update", "hecate", "--export"]), ["render", "caddy"]);
    assert.deepEqual(eosToHecate(["list", "hecate-routes"]), ["list", "routes"]);
    assert.deepEqual(eosToHecate(["delete", "hecate-route", "wiki.example.com"]), ["delete", "route", "wiki.example.com"]);
    assert.deepEqual(eosToHecate(["update", "hecate", "reconcile", "--component", "routes"]), ["apply", "--system", "caddy"]);
    assert.deepEqual(eosToHecate(["update", "hecate", "reconcile", "--component", "all", "--source", "git", "--git", "https://git.example/cfg.git"]), ["apply", "--git", "https://git.example/cfg.git"]);
    assert.deepEqual(eosToHecate(["create", "hecate", "-c", "config.yaml", "--out", "x"]), ["import", "eos", "-c", "config.yaml", "--out", "x"]);
    assert.deepEqual(eosToHecate(["read", "hecate", "health", "-o", "json"]), ["health", "-o", "json"]);
    assert.deepEqual(eosToHecate(["read", "hecate", "metrics"]), ["metrics"]);
    assert.deepEqual(eosToHecate(["debug", "hecate", "--caddy"]), ["debug", "system", "caddy"]);
    assert.deepEqual(eosToHecate(["debug", "hecate", "--authentik", "--timeout", "5s"]), ["debug", "system", "authentik", "--timeout", "5s"]);
    assert.deepEqual(eosToHecate(["debug", "hecate", "auth", "app"]), ["debug", "auth", "app"]);
    assert.throws(() => eosToHecate(["update", "hecate", "--add", "wiki", "--dns", "w.example.com"]), /needs --dns HOST and --upstream/);
    assert.throws(() => eosToHecate(["update", "hecate", "--add", "w", "-d", "w.example.com", "-u", "a:1", "--sso", "--sso-provider", "keycloak"]), /authentik only/);
    assert.throws(() => eosToHecate(["update", "hecate", "reconcile", "--component", "dns"]), /expected routes, auth, upstreams or all/);
    assert.throws(() => eosToHecate(["update", "hecate", "reconcile", "--component", "routes", "--source", "git"]), /--git URL/);
  });

  it("adds, lists and really removes a route (the removal shows what changes)", async () => {
    const added = await sb.eos(["update", "hecate", "--add", "wiki", "--dns", "wiki.example.com", "--upstream", "10.0.0.7:3000"]);
    assert.equal(added.code, 0, added.stderr);
    const listed = await sb.eos(["list", "hecate-routes"]);
    assert.match(listed.stdout, /wiki +wiki\.example\.com/);
    const dry = await sb.eos(["update", "hecate", "--remove", "wiki", "--dry-run"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /-  name: wiki|--- a\/Route\/wiki/);
    const removed = await sb.eos(["delete", "hecate-route", "wiki.example.com"]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.doesNotMatch((await sb.eos(["list", "hecate-routes"])).stdout, /wiki/);
  });

  it("reconciles components from git, and reads health, metrics and each system live", async () => {
    const TOKEN = "eos-forms-token-0123456789";
    process.env["HECATE_TEST_EOS_AK_TOKEN"] = TOKEN;
    let ak: AuthentikSandbox | undefined, caddy: Caddy | undefined, up: Upstream | undefined;
    try {
      [ak, caddy, up] = await Promise.all([startAuthentikSandbox({ token: TOKEN, seed: { groups: [{ name: "staff", parents: [], is_superuser: false }], users: [] } }), startCaddy(), startUpstream("app")]);
      const [http, https] = (await freePorts(2)) as [number, number];
      // The desired state in a git repository, as `--source git` reads it.
      const repo = join(sb.dir, "repo");
      mkdirSync(repo);
      writeFileSync(join(repo, "settings.yaml"), caddySettingsYaml(caddy.admin, { httpPort: http, httpsPort: https }, `  authentik:\n    url: ${ak.url}\n    token: env:HECATE_TEST_EOS_AK_TOKEN\n    outpost: ${new URL(ak.url).host}\n`));
      writeFileSync(
        join(repo, "routes.yaml"),
        `apiVersion: hecate.io/v1\nkind: AuthPolicy\nmetadata: {name: staff}\nspec: {groups: [staff]}\n---\napiVersion: hecate.io/v1\nkind: Route\nmetadata: {name: app}\nspec: {hosts: [app.test], upstreams: [{address: "${up.address}"}], public: true, tls: {mode: "off"}}\n---\napiVersion: hecate.io/v1\nkind: Route\nmetadata: {name: desk}\nspec: {hosts: [desk.test], upstreams: [{address: "${up.address}"}], authPolicy: staff, tls: {mode: "off"}}\n`,
      );
      const git = (...args: string[]) => execFileSync("git", ["-C", repo, ...args], { stdio: "pipe", env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" } });
      git("init", "-q");
      git("add", ".");
      git("commit", "-qm", "desired state");

      const routes = await sb.eos(["update", "hecate", "reconcile", "--component", "routes", "--source", "git", "--git", repo]);
      assert.equal(routes.code, 0, routes.stdout + routes.stderr);
      assert.equal((await send(http, "app.test", "/")).status, 200, "routes reconciled into Caddy");
      const akBefore = await sb.eos(["debug", "hecate", "--authentik"]);
      assert.equal(akBefore.code, 0, akBefore.stdout + akBefore.stderr);
      assert.match(akBefore.stdout, /authentik: [^,\n]+, read in \d+ ms\n.*version \S+\n.*Hecate owns 0 proxy/s, `--component routes leaves authentik alone:\n${akBefore.stdout}`);
      assert.match(akBefore.stdout, /provider hecate-desk/, "the provider --component auth will create is named");

      const auth = await sb.eos(["update", "hecate", "reconcile", "--component", "auth", "--source", "git", "--git", repo]);
      assert.equal(auth.code, 0, auth.stdout + auth.stderr);
      const akAfter = await sb.eos(["debug", "hecate", "--authentik"]);
      assert.match(akAfter.stdout, /authentik: ok, read in \d+ ms\n.*Hecate owns 1 proxy, 0 OAuth2 and 0 SAML provider\(s\), 1 application\(s\)/s);
      const all = await sb.eos(["update", "hecate", "reconcile", "--component", "all", "--source", "git", "--git", repo]);
      assert.equal(all.code, 0, all.stdout + all.stderr);
      assert.match(all.stdout, /No changes\./);

      const health = await sb.eos(["read", "hecate", "health"]);
      assert.equal(health.code, 0, health.stdout + health.stderr);
      assert.match(health.stdout, /authentik +ok +\d+ ms/);
      assert.match(health.stdout, /caddy +ok +\d+ ms +admin http:\/\/127\.0\.0\.1:\d+: 1 node\(s\) answered/);
      const metrics = await sb.eos(["read", "hecate", "metrics"]);
      assert.equal(metrics.code, 0, metrics.stderr);
      assert.match(metrics.stdout, /^hecate_system_up\{system="caddy"\} 1$/m);
      assert.match(metrics.stdout, /^hecate_drift_changes\{system="authentik"\} 0$/m);
      assert.match(metrics.stdout, /^hecate_routes\{state="applied"\} 2$/m);
      const debugCaddy = await sb.eos(["debug", "hecate", "--caddy"]);
      assert.equal(debugCaddy.code, 0, debugCaddy.stdout + debugCaddy.stderr);
      assert.match(debugCaddy.stdout, /caddy: ok, read in \d+ ms\n +admin http:\S+: 1 node\(s\) answered\n +server \S+: \d+ route object\(s\) Hecate owns/);

      // Caddy gone: health says DOWN and exits 1; the Caddy debug names why.
      await caddy.stop();
      caddy = undefined;
      const down = await sb.eos(["read", "hecate", "health"]);
      assert.equal(down.code, 1, down.stdout + down.stderr);
      assert.match(down.stdout, /caddy +DOWN +\d+ ms +cannot read caddy: /);
      assert.match((await sb.eos(["read", "hecate", "metrics"])).stdout, /^hecate_system_up\{system="caddy"\} 0$/m);
      const broken = await sb.eos(["debug", "hecate", "--caddy"]);
      assert.equal(broken.code, 1);
      assert.match(broken.stderr, /cannot read caddy: /);
    } finally {
      await Promise.all([caddy?.stop(), ak?.close(), up?.close()]);
    }
  });
});
