// Rough edges of the command line: render without a store, output into a closed pipe, eos-hecate's
// own help, native modules that fail to load.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { dependencyError } from "../../src/cli/core/context.js";
import { publicRoute, sandbox, type Sandbox } from "./helpers.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
let sb: Sandbox;
let conf: string;

const STREAM = `apiVersion: hecate.io/v1
kind: Stream
metadata:
  name: db
spec:
  listen: 15432
  upstreams:
    - address: 10.0.0.1:5432
`;

before(() => {
  sb = sandbox();
  conf = `${sb.dir}/conf`;
  mkdirSync(conf);
  writeFileSync(`${conf}/app.yaml`, publicRoute("app", "10.0.0.5:8080"));
  writeFileSync(`${conf}/db.yaml`, STREAM);
});
after(() => sb?.cleanup());

describe("render", () => {
  it("renders a directory of YAML directly: no stored revision needed, nothing stored", async () => {
    const c = await sb.hecate(["render", "caddy", conf]);
    assert.equal(c.code, 0, c.stderr);
    assert.ok(JSON.parse(c.stdout).apps.http, c.stdout);
    assert.ok(c.stdout.includes("10.0.0.5:8080"));
    assert.ok(!existsSync(sb.store), "no store was created");
  });

  it("render nginx prints the stream file itself; -o json gives its structure", async () => {
    const n = await sb.hecate(["render", "nginx", conf]);
    assert.equal(n.code, 0, n.stderr);
    assert.match(n.stdout, /^# Managed by Hecate/);
    assert.match(n.stdout, /^\s*listen\s+15432;/m);
    assert.match(n.stdout, /server 10\.0\.0\.1:5432/);
    const j = await sb.hecate(["render", "nginx", conf, "-o", "json"]);
    assert.equal(j.code, 0, j.stderr);
    const parsed = JSON.parse(j.stdout);
    assert.equal(parsed.file, n.stdout);
    assert.deepEqual(parsed.streams.map((s: { name: string }) => s.name), ["db"]);
  });

  it("errors in the files are reported at file:line:col; PATHS and --revision exclude each other", async () => {
    const bad = `${sb.dir}/bad`;
    mkdirSync(bad);
    writeFileSync(`${bad}/db.yaml`, STREAM.replace("listen: 15432", "listen: 99999"));
    const r = await sb.hecate(["render", "nginx", bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: the desired state has errors \(1\)\n  .*\/bad\/db\.yaml:6:11: error: .*99999/);
    const both = await sb.hecate(["render", "nginx", conf, "--revision", "head"]);
    assert.equal(both.code, 2);
    assert.ok(!existsSync(sb.store), "no store was created");
  });

  it("a stored revision renders as before (head, or any revision reference)", async () => {
    const c = await sb.hecate(["create", "stream", "db", "--listen", "15433", "--upstream", "10.0.0.2:5432"]);
    assert.equal(c.code, 0, c.stderr);
    for (const ref of [[], ["-r", "head"], ["-r", "#1"]]) {
      const n = await sb.hecate(["render", "nginx", ...ref]);
      assert.equal(n.code, 0, n.stderr);
      assert.match(n.stdout, /^\s*listen\s+15433;/m);
    }
  });
});

describe("output into a closed pipe", () => {
  it("`hecate ... | head -1` prints the first line and exits quietly, with the command's own exit code", () => {
    for (const [args, code] of [["render caddy examples/", 0], ["validate test/fixtures/broken", 1]] as const) {
      const r = spawnSync("bash", ["-c", `node bin/hecate.js ${args} | head -1; exit "\${PIPESTATUS[0]}"`], {
        cwd: root,
        encoding: "utf8",
        env: { ...process.env, ...sb.env, HECATE_FROM_SOURCE: "1" } as NodeJS.ProcessEnv,
        timeout: 60_000,
      });
      assert.equal(r.stdout.split("\n").length, 2, r.stdout);
      assert.equal(r.stderr, "", `${args}: ${r.stderr}`);
      assert.equal(r.status, code, args);
    }
  });
});

describe("dependencies that do not load", () => {
  it("a native addon built for another Node.js is named, with its error and the command that fixes it", () => {
    const preload = `${sb.dir}/break-native.cjs`;
    // What a Node.js upgrade without `npm rebuild` does to every native addon.
    writeFileSync(
      preload,
      `require("module")._extensions[".node"] = (_m, file) => {
        const e = new Error("The module '" + file + "'\\nwas compiled against a different Node.js version using\\nNODE_MODULE_VERSION 108. This version of Node.js requires\\nNODE_MODULE_VERSION 115.");
        e.code = "ERR_DLOPEN_FAILED";
        throw e;
      };`,
    );
    const r = spawnSync(process.execPath, ["--require", preload, `${root}bin/hecate.js`, "list", "routes"], {
      encoding: "utf8",
      env: { ...process.env, ...sb.env, HECATE_FROM_SOURCE: "1" } as NodeJS.ProcessEnv,
      timeout: 60_000,
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^error: the native module better-sqlite3 failed to load: The module '.*better_sqlite3\.node' was compiled against a different Node\.js version .*NODE_MODULE_VERSION 115; rebuild it for this Node\.js \(v[\d.]+\) with `npm rebuild better-sqlite3`, or reinstall with `npm ci`\n$/);
    assert.doesNotMatch(r.stderr, /not built yet/);
  });

  it("a package that is not installed is named, with `npm ci` to fix it", async () => {
    const err = await import("hecate-no-such-package" as string).catch((e: unknown) => e);
    const e = dependencyError(err);
    assert.equal(e?.code, "dependency-missing");
    assert.match(e?.message ?? "", /^the npm package hecate-no-such-package is not installed \(Cannot find package 'hecate-no-such-package' imported from .*\); install the dependencies with `npm ci`$/);
    assert.equal(dependencyError(new Error("something else")), undefined);
  });
});
