// The command forms eos users type today, through eos-hecate: each runs the hecate command that
// does the same (create/delete a route, apply, render, apply of some systems), with clear usage errors.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { eosToHecate } from "../../src/cli/eos.js";
import { sandbox, type Sandbox } from "../cli/helpers.js";

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
});
