// create/read/list/update/delete, history/show/diff, dry runs and secrets, through the CLI as a user runs it.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { openStore } from "../../src/store/index.js";
import { sandbox, type Sandbox } from "./helpers.js";

let sb: Sandbox;
before(() => (sb = sandbox()));
after(() => sb.cleanup());

const ROUTE_YAML = `---
apiVersion: hecate.io/v1
kind: Route
metadata:
  name: app
  labels:
    env: prod
spec:
  hosts:
    - app.example.com
  upstreams:
    - address: 10.0.0.5:8080
      weight: 3
    - address: 10.0.0.6:8080
  headers:
    request:
      set:
        X-Team: ops
  public: true
`;

describe("resources", () => {
  it("create -f then read -o yaml reproduces the file exactly", async () => {
    const file = `${sb.dir}/app.yaml`;
    writeFileSync(file, ROUTE_YAML);
    const c = await sb.hecate(["create", "route", "-f", file]);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /create route app: revision #1 [0-9a-f]{12}/);
    const r = await sb.hecate(["read", "route", "app", "-o", "yaml"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, ROUTE_YAML);
  });

  it("create with flags builds the same resource the YAML describes", async () => {
    const c = await sb.hecate(["create", "route", "app2", "--host", "app2.example.com", "--upstream", "10.0.0.5:8080,3", "--upstream", "10.0.0.6:8080", "--header-set", "X-Team=ops", "--public", "--label", "env=prod"]);
    assert.equal(c.code, 0, c.stderr);
    const r = await sb.hecate(["read", "route", "app2"]);
    assert.equal(r.stdout, ROUTE_YAML.replace("name: app\n", "name: app2\n").replace("app.example.com", "app2.example.com"));
    const j = JSON.parse((await sb.hecate(["read", "route", "app2", "-o", "json"])).stdout);
    assert.deepEqual(j.spec.upstreams, [{ address: "10.0.0.5:8080", weight: 3 }, { address: "10.0.0.6:8080" }]);
  });

  it("list shows a table, JSON, and filters by label", async () => {
    await sb.hecate(["create", "route", "docs", "--host", "docs.example.com", "--upstream", "10.0.0.9:80", "--public", "--label", "env=dev"]);
    const t = await sb.hecate(["list", "routes"]);
    assert.equal(t.code, 0);
    const lines = t.stdout.trim().split("\n");
    assert.match(lines[0]!, /^NAME\s+HOSTS\s+PATHS\s+UPSTREAMS\s+AUTH/);
    assert.deepEqual(lines.slice(1).map((l) => l.split(/\s+/)[0]), ["app", "app2", "docs"]);
    assert.match(t.stdout, /app2\s+app2\.example\.com\s+\/\s+10\.0\.0\.5:8080\*3,10\.0\.0\.6:8080\s+public/);
    const j = JSON.parse((await sb.hecate(["list", "route", "--selector", "env=prod", "-o", "json"])).stdout);
    assert.deepEqual(j.map((r: { metadata: { name: string } }) => r.metadata.name), ["app", "app2"]);
  });

  it("history lists each revision with author, source and message", async () => {
    const h = await sb.hecate(["history"]);
    assert.equal(h.code, 0);
    const rows = h.stdout.trim().split("\n");
    assert.match(rows[0]!, /^SEQ\s+HASH\s+TIME\s+AUTHOR\s+SOURCE\s+MESSAGE$/);
    assert.match(rows[1]!, /^\s*3\s+[0-9a-f]{12}\s+\S+Z\s+alice\s+cli\s+create route docs$/);
    assert.match(rows[3]!, /^\s*1\s+[0-9a-f]{12}\s+\S+Z\s+alice\s+cli\s+create route app$/);
    const byFlag = await sb.hecate(["--author", "bob", "update", "route", "docs", "--path", "/api", "-m", "docs api only"]);
    assert.equal(byFlag.code, 0, byFlag.stderr);
    const j = JSON.parse((await sb.hecate(["history", "-o", "json", "-n", "1"])).stdout);
    assert.equal(j[0].author, "bob");
    assert.equal(j[0].message, "docs api only");
  });

  it("diff between two revisions shows exactly the change", async () => {
    const u = await sb.hecate(["update", "route", "app", "--upstream", "10.0.0.7:8080", "--add-middleware", "gzip"]);
    assert.equal(u.code, 1, "a dangling middleware reference is refused");
    assert.match(u.stderr, /Middleware "gzip" does not exist/);
    const ok = await sb.hecate(["update", "route", "app", "--upstream", "10.0.0.7:8080"]);
    assert.equal(ok.code, 0, ok.stderr);
    const seq = Number(/revision #(\d+)/.exec(ok.stdout)![1]);
    const d = await sb.hecate(["diff", String(seq - 1), String(seq)]);
    assert.equal(d.code, 0);
    assert.equal(
      d.stdout,
      [
        "--- a/Route/app",
        "+++ b/Route/app",
        "@@ -9,9 +9,7 @@",
        "   hosts:",
        "     - app.example.com",
        "   upstreams:",
        "-    - address: 10.0.0.5:8080",
        "-      weight: 3",
        "-    - address: 10.0.0.6:8080",
        "+    - address: 10.0.0.7:8080",
        "   headers:",
        "     request:",
        "       set:",
        "",
      ].join("\n"),
    );
    const show = await sb.hecate(["show", String(seq)]);
    assert.match(show.stdout, new RegExp(`^# revision #${seq} [0-9a-f]{64}\\n`));
    assert.match(show.stdout, /# message: update route app\n/);
    assert.match(show.stdout, /- address: 10\.0\.0\.7:8080/);
  });

  it("--dry-run prints the change and stores nothing", async () => {
    const before = JSON.parse((await sb.hecate(["history", "-o", "json"])).stdout).length;
    const c = await sb.hecate(["create", "upstream", "pool", "--upstream", "10.1.0.1:80", "--dry-run"]);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /\+\+\+ b\/Upstream\/pool\n/);
    assert.match(c.stdout, /dry run: nothing stored/);
    const d = await sb.hecate(["delete", "route", "docs", "--dry-run"]);
    assert.match(d.stdout, /--- a\/Route\/docs\n\+\+\+ \/dev\/null/);
    const u = await sb.hecate(["update", "route", "app", "--maintenance", "back soon", "--dry-run"]);
    assert.match(u.stdout, /\+  maintenance:/);
    assert.equal(JSON.parse((await sb.hecate(["history", "-o", "json"])).stdout).length, before);
    assert.equal((await sb.hecate(["read", "upstream", "pool"])).code, 1);
    assert.equal((await sb.hecate(["read", "route", "docs"])).code, 0);
  });

  it("delete refuses while referenced and names the referrer; --cascade takes both", async () => {
    assert.equal((await sb.hecate(["create", "upstream", "pool", "--upstream", "10.1.0.1:80,10.1.0.2:80"])).code, 0);
    assert.equal((await sb.hecate(["create", "route", "api", "--host", "api.example.com", "--upstream", "pool", "--public"])).code, 0);
    assert.equal(JSON.parse((await sb.hecate(["read", "route", "api", "-o", "json"])).stdout).spec.upstream, "pool");
    const refused = await sb.hecate(["delete", "upstream", "pool"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^error: upstream "pool" is referenced by Route\/api/);
    assert.doesNotMatch(refused.stderr, /\n\s+at /, "no stack trace");
    assert.equal((await sb.hecate(["read", "upstream", "pool"])).code, 0);
    const cascade = await sb.hecate(["delete", "upstream", "pool", "--cascade"]);
    assert.equal(cascade.code, 0, cascade.stderr);
    assert.match(cascade.stdout, /also deleting \(--cascade\): Route\/api/);
    assert.equal((await sb.hecate(["read", "upstream", "pool"])).code, 1);
    const gone = await sb.hecate(["read", "route", "api"]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /route "api" does not exist/);
  });

  it("update merges flags: --add/--remove edit lists, other fields stay", async () => {
    const c = await sb.hecate(["create", "auth-policy", "staff", "--group", "staff", "--outpost", "127.0.0.1:9000"]);
    assert.equal(c.code, 0, c.stderr);
    const u = await sb.hecate(["update", "auth-policy", "staff", "--add-group", "developers", "--require-mfa"]);
    assert.equal(u.code, 0, u.stderr);
    const p = JSON.parse((await sb.hecate(["read", "auth-policy", "staff", "-o", "json"])).stdout);
    assert.deepEqual(p.spec, { groups: ["staff", "developers"], requireMfa: true, outpost: "127.0.0.1:9000" });
    const same = await sb.hecate(["update", "auth-policy", "staff", "--add-group", "staff"]);
    assert.match(same.stdout, /no changes/);
    const r = await sb.hecate(["update", "route", "docs", "--auth-policy", "staff"]);
    assert.equal(r.code, 0, r.stderr);
    const route = JSON.parse((await sb.hecate(["read", "route", "docs", "-o", "json"])).stdout);
    assert.equal(route.spec.authPolicy, "staff");
    assert.equal(route.spec.public, undefined);
    assert.deepEqual(route.spec.paths, ["/api"]);
  });

  it("every noun can be created and listed", async () => {
    const cmds = [
      ["create", "middleware", "slow", "--type", "request-size", "--max-bytes", "1048576"],
      ["create", "stream", "pg", "--listen", "5432", "--upstream", "10.0.0.20:5432"],
      ["create", "dns", "www.example.com", "--type", "A", "--value", "203.0.113.10", "--ttl", "300"],
      ["create", "cert", "internal", "--host", "intra.example.com", "--issuer", "internal"],
    ];
    for (const c of cmds) {
      const r = await sb.hecate(c);
      assert.equal(r.code, 0, `${c.join(" ")}: ${r.stderr}`);
    }
    for (const [noun, name] of [["middlewares", "slow"], ["streams", "pg"], ["dns-records", "www.example.com"], ["certs", "internal"], ["auth-policies", "staff"], ["upstreams", undefined]] as const) {
      const l = await sb.hecate(["list", noun]);
      assert.equal(l.code, 0, l.stderr);
      if (name) assert.match(l.stdout, new RegExp(`^${name.replace(/\./g, "\\.")}\\s`, "m"));
    }
    const wrong = await sb.hecate(["create", "middleware", "m2", "--type", "compression", "--requests", "5"]);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /--requests does not apply to middleware type compression/);
  });

  it("a secret value never appears in any output, and is stored encrypted", async () => {
    const value = "s3cr3t-VALUE-" + Math.random().toString(36).slice(2);
    const outputs: string[] = [];
    const keep = (r: { stdout: string; stderr: string; code: number }) => (outputs.push(r.stdout, r.stderr), r);
    keep(await sb.hecate(["create", "secret", "api-token", "--value-from", "env:API_TOKEN", "--dry-run"], { env: { API_TOKEN: value } }));
    const c = keep(await sb.hecate(["create", "secret", "api-token", "--value-from", "env:API_TOKEN"], { env: { API_TOKEN: value } }));
    assert.equal(c.code, 0, c.stderr);
    const s = keep(await sb.hecate(["create", "secret", "stdin-token", "--value-from-stdin", "-o", "json"], { stdin: value + "\n" }));
    assert.equal(s.code, 0, s.stderr);
    keep(await sb.hecate(["create", "secret", "ref-token", "--from", "env:OTHER"]));
    for (const args of [["list", "secrets"], ["list", "secrets", "-o", "json"], ["read", "secret", "api-token"], ["read", "secret", "stdin-token", "-o", "json"], ["history"], ["show", "head"], ["show", "head", "-o", "json"], ["diff", "1", "head"]]) {
      const r = keep(await sb.hecate(args));
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    }
    keep(await sb.hecate(["update", "secret", "api-token", "--value-from-stdin", "--dry-run"], { stdin: value + "2" }));
    for (const o of outputs) assert.ok(!o.includes(value), `secret value leaked: ${o.slice(0, 200)}`);
    assert.match(outputs.join("\n"), /api-token\s+store/);
    const store = await openStore({ path: sb.store });
    try {
      assert.equal(await store.getSecret("api-token"), value);
      assert.equal(await store.getSecret("stdin-token"), value);
      assert.ok(!JSON.stringify(await store.dump()).includes(value), "the dump holds the value only encrypted");
    } finally {
      await store.close();
    }
  });

  it("errors: unknown resource exit 1, usage problems exit 2, never a stack trace", async () => {
    const cases: [string[], number, RegExp][] = [
      [["read", "route", "nope"], 1, /^error: route "nope" does not exist/],
      [["frobnicate"], 2, /unknown command 'frobnicate'/],
      [["create", "route", "x", "--hots", "a.example.com"], 2, /unknown option '--hots'/],
      [["read", "route"], 2, /missing required argument 'name'/],
      [["create", "route", "x", "--host", "x.example.com"], 2, /needs --upstream/],
      [["create", "route", "x", "--host", "x.example.com", "--upstream", "10.0.0.1:80", "--public", "--auth-policy", "staff"], 2, /exclude each other/],
      [["list", "routes", "-o", "xml"], 2, /argument 'xml' is invalid/],
      [["create", "route", "Bad_Name", "--host", "x.example.com", "--upstream", "10.0.0.1:80", "--public"], 1, /metadata\.name/],
      [["create", "route", "app", "--host", "y.example.com", "--upstream", "10.0.0.1:80", "--public"], 1, /route "app" already exists/],
    ];
    for (const [args, code, msg] of cases) {
      const r = await sb.hecate(args);
      assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, msg, args.join(" "));
      assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, "no stack trace");
    }
    const j = await sb.hecate(["read", "route", "nope", "-o", "json"]);
    assert.equal(JSON.parse(j.stderr).error.code, "not-found");
  });
});
