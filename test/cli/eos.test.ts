// eos-hecate <verb> hecate <noun> ... runs exactly what hecate <verb> <noun> ... runs.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { eosToHecate } from "../../src/cli/eos.js";
import { sandbox, type Sandbox } from "./helpers.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
let sb: Sandbox;
before(() => (sb = sandbox()));
after(() => sb.cleanup());

function bin(name: string, args: string[]) {
  const r = spawnSync(process.execPath, [`${root}bin/${name}.js`, ...args], { encoding: "utf8", env: { ...process.env, ...sb.env, HECATE_FROM_SOURCE: "1" } as NodeJS.ProcessEnv, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("eos-hecate", () => {
  it("as real processes: same output and exit code as hecate", () => {
    const created = bin("eos-hecate", ["create", "hecate", "route", "app", "--host", "app.example.com", "--upstream", "10.0.0.5:8080", "--public"]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /create route app: revision #1/);
    for (const [eos, hecate] of [
      [["list", "hecate", "routes"], ["list", "routes"]],
      [["read", "hecate", "route", "app", "-o", "json"], ["read", "route", "app", "-o", "json"]],
      [["delete", "hecate", "route", "nope"], ["delete", "route", "nope"]],
    ] as const) {
      const a = bin("eos-hecate", [...eos]);
      const b = bin("hecate", [...hecate]);
      assert.deepEqual(a, b, eos.join(" "));
    }
    assert.equal(bin("hecate", ["delete", "route", "nope"]).code, 1);
    const usage = bin("eos-hecate", ["create", "route", "x"]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /the second word must be "hecate"/);
  });

  it("in-process: more commands give identical results", async () => {
    const pairs: [string[], string[]][] = [
      [["create", "hecate", "upstream", "pool", "--upstream", "10.1.0.1:80", "--dry-run"], ["create", "upstream", "pool", "--upstream", "10.1.0.1:80", "--dry-run"]],
      [["list", "hecate", "routes", "-o", "yaml"], ["list", "routes", "-o", "yaml"]],
      [["read", "hecate", "route", "app"], ["read", "route", "app"]],
      [["validate", "hecate", "config", `${sb.dir}/none`], ["validate", `${sb.dir}/none`]],
      // Seed 000: `eos apply hecate config --file production.yaml [--dry-run]`.
      [["apply", "hecate", "config", "--file", "examples/", "--dry-run"], ["apply", "examples/", "--dry-run"]],
      [["validate", "hecate", "config", "--file=examples/"], ["validate", "examples/"]],
      [["list", "hecate", "presets"], ["presets"]],
      [["update", "hecate", "reconcile", "--dry-run"], ["reconcile", "--dry-run"]],
      [["create", "hecate", "route", "x", "--bogus"], ["create", "route", "x", "--bogus"]],
    ];
    for (const [eos, hecate] of pairs) {
      const a = await sb.eos(eos);
      const b = await sb.hecate(hecate);
      assert.deepEqual(a, b, eos.join(" "));
    }
    const h1 = (await sb.eos(["history", "hecate"])).stdout;
    assert.match(h1, /create route app/);
  });

  it("--help speaks eos-hecate: its name, its word order, its examples; hecate --help is unchanged", async () => {
    const top = await sb.eos(["--help"]);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /^Usage: eos-hecate <verb> hecate \[<noun>\] \[args\] \[options\]\n/);
    assert.match(top.stdout, /\$ eos-hecate create hecate route app --host/);
    assert.doesNotMatch(top.stdout, /Usage: hecate|\$ hecate /);
    const sub = await sb.eos(["create", "hecate", "route", "--help"]);
    assert.match(sub.stdout, /^Usage: eos-hecate create hecate route \[options\] \[name\]\n/);
    assert.match(sub.stdout, /\$ eos-hecate create hecate route api -f route-api\.yaml --dry-run/);
    const verb = await sb.eos(["validate", "hecate", "--help"]);
    assert.match(verb.stdout, /^Usage: eos-hecate validate hecate \[options\] \[paths\.\.\.\]\n/);
    const own = await sb.hecate(["create", "route", "--help"]);
    assert.match(own.stdout, /^Usage: hecate create route \[options\] \[name\]\n/);
    assert.match(own.stdout, /\$ hecate create route api -f route-api\.yaml --dry-run/);
  });

  it("maps the eos word order, keeping global flags in front", () => {
    assert.deepEqual(eosToHecate(["create", "hecate", "route", "a", "--public"]), ["create", "route", "a", "--public"]);
    assert.deepEqual(eosToHecate(["--store", "/tmp/s.db", "list", "hecate", "routes"]), ["--store", "/tmp/s.db", "list", "routes"]);
    // Every global flag that takes a value (the list is hecate's own, src/cli/core/globals.ts).
    assert.deepEqual(eosToHecate(["--endpoint", "http://127.0.0.1:7380", "read", "hecate", "history"]), ["--endpoint", "http://127.0.0.1:7380", "history"]);
    assert.deepEqual(eosToHecate(["update", "hecate", "reconcile", "--dry-run"]), ["reconcile", "--dry-run"]);
    assert.deepEqual(eosToHecate(["backup", "hecate", "--out", "f"]), ["backup", "--out", "f"]);
    assert.deepEqual(eosToHecate(["restore", "hecate", "--from", "f"]), ["restore", "--from", "f"]);
    assert.throws(() => eosToHecate(["list", "routes"]), /second word must be "hecate"/);
    assert.throws(() => eosToHecate([]), /usage: eos-hecate/);
  });

  it("the seed's spellings: --name for NAME, a host name as a route's host, dns TYPE NAME, test dns", async () => {
    const p = await sb.eos(["create", "hecate", "auth-policy", "--name", "require-login", "--provider", "authentik", "--flow", "default-authentication", "--outpost", "127.0.0.1:9000"]);
    assert.equal(p.code, 0, p.stderr);
    assert.equal((await sb.eos(["update", "hecate", "auth-policy", "require-login", "--add-group", "admins"])).code, 0);
    const r = await sb.eos(["create", "hecate", "route", "--name", "api.example.com", "--upstream", "10.0.0.5:8080", "--auth-policy", "require-login"]);
    assert.equal(r.code, 0, r.stderr);
    const read = JSON.parse((await sb.hecate(["read", "route", "api.example.com", "-o", "json"])).stdout) as { spec: { hosts: string[]; authPolicy: string } };
    assert.deepEqual(read.spec.hosts, ["api.example.com"]);
    assert.equal(read.spec.authPolicy, "require-login");
    const both = await sb.eos(["create", "hecate", "route", "x", "--name", "y", "--host", "y.example.com", "--upstream", "10.0.0.5:1", "--public"]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /NAME "x" and --name "y" differ/);
    assert.deepEqual(eosToHecate(["create", "hecate", "dns", "A", "api.example.com", "--value", "1.2.3.4"]), ["create", "dns", "api.example.com", "--record", "api.example.com", "--type", "A", "--value", "1.2.3.4"]);
    assert.deepEqual(eosToHecate(["test", "hecate", "dns", "app.example.com"]), ["check", "dns", "app.example.com"]);
  });
});
