// validate, schema, presets, colors and NO_COLOR, completion scripts: what the terminal shows.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { sandbox, type Sandbox } from "./helpers.js";

let sb: Sandbox;
before(() => (sb = sandbox()));
after(() => sb.cleanup());

const BROKEN = `apiVersion: hecate.io/v1
kind: Route
metadata:
  name: app
spec:
  hosts: [app.example.com]
  upstreams:
    - address: 10.0.0.5:8080
      weight: heavy
  authPolicy: nobody
  tls:
    mode: letsencrypt
`;

const GOOD = `apiVersion: hecate.io/v1
kind: Route
metadata:
  name: ok
spec:
  hosts: [ok.example.com]
  upstreams:
    - address: 10.0.0.5:8080
  public: true
`;

const ESC = /\x1b\[/;

describe("validate", () => {
  it("reports every error as file:line:col, a summary, and exits 1", async () => {
    const dir = `${sb.dir}/conf`;
    mkdirSync(dir);
    writeFileSync(`${dir}/app.yaml`, BROKEN);
    writeFileSync(`${dir}/ok.yaml`, GOOD);
    const r = await sb.hecate(["validate", dir]);
    assert.equal(r.code, 1);
    const lines = r.stdout.trim().split("\n");
    const errors = lines.filter((l) => l.includes(": error: "));
    assert.ok(errors.length >= 2, r.stdout);
    for (const l of errors) assert.match(l, new RegExp(`^${dir}/app\\.yaml:\\d+:\\d+: error: `));
    assert.ok(errors.some((l) => l.startsWith(`${dir}/app.yaml:9:`) && /weight/.test(l)), r.stdout);
    assert.ok(errors.some((l) => l.startsWith(`${dir}/app.yaml:12:`) && /letsencrypt/.test(l)), r.stdout);
    assert.match(lines[lines.length - 1]!, /^invalid: 2 resources in 2 files: \d+ errors?, \d+ warnings?$/);
    const j = await sb.hecate(["validate", dir, "-o", "json"]);
    assert.equal(j.code, 1);
    const parsed = JSON.parse(j.stdout);
    assert.equal(parsed.valid, false);
    assert.ok(parsed.diagnostics.every((d: { pos?: { line: number } }) => d.pos && d.pos.line > 0));
  });

  it("exits 0 on valid files, and defaults to the current directory", async () => {
    const dir = `${sb.dir}/good`;
    mkdirSync(dir);
    writeFileSync(`${dir}/ok.yaml`, GOOD);
    const r = await sb.hecate(["validate", `${dir}/ok.yaml`]);
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.stdout, "valid: 1 resource in 1 file: 0 errors, 0 warnings\n");
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      assert.equal((await sb.hecate(["validate"])).code, 0);
    } finally {
      process.chdir(cwd);
    }
    const missing = await sb.hecate(["validate", `${sb.dir}/nope`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /no such file or directory/);
  });

  it("an alias bomb or an unresolved alias is an error at file:line:col; the other files are still checked", async () => {
    const dir = `${sb.dir}/hostile`;
    mkdirSync(dir);
    const lol = ["l0: &l0 [lol, lol, lol]", ...Array.from({ length: 9 }, (_, i) => `l${i + 1}: &l${i + 1} [${Array(9).fill(`*l${i}`).join(", ")}]`)];
    writeFileSync(`${dir}/a-bomb.yaml`, lol.join("\n") + "\n");
    writeFileSync(`${dir}/b-alias.yaml`, GOOD.replace("name: ok", "name: *nowhere"));
    writeFileSync(`${dir}/c-ok.yaml`, GOOD);
    for (const args of [[dir], [`${dir}/a-bomb.yaml`, `${dir}/c-ok.yaml`]]) {
      const r = await sb.hecate(["validate", ...args]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stderr, "");
      assert.match(r.stdout, new RegExp(`^${dir}/a-bomb\\.yaml:2:\\d+: error: YAML: aliases expand to more than 100 copies`, "m"));
      assert.match(r.stdout, /^invalid: 1 resource in 1 file: /m, "c-ok.yaml was still loaded");
    }
    const r = await sb.hecate(["validate", dir]);
    assert.match(r.stdout, new RegExp(`^${dir}/b-alias\\.yaml:4:9: error: YAML: alias \\*nowhere has no anchor &nowhere before it$`, "m"));
  });

  it("schema prints JSON Schema (and --out writes it); presets lists presets", async () => {
    const s = await sb.hecate(["schema"]);
    assert.equal(s.code, 0);
    const schema = JSON.parse(s.stdout);
    assert.match(JSON.stringify(schema), /hecate\.io\/v1/);
    assert.equal((await sb.hecate(["schema", "--out", `${sb.dir}/s.json`])).code, 0);
    assert.deepEqual(JSON.parse(readFileSync(`${sb.dir}/s.json`, "utf8")), schema);
    const p = await sb.hecate(["presets"]);
    assert.match(p.stdout, /^KIND\s+NAME\s+PORTS\s+DESCRIPTION/);
    assert.match(p.stdout, /^Route\s+nextcloud\s/m);
    const pj = JSON.parse((await sb.hecate(["presets", "-o", "json"])).stdout);
    assert.ok(pj.some((x: { kind: string }) => x.kind === "Stream"));
  });
});

describe("colors", () => {
  it("a terminal gets colors; NO_COLOR and --no-color get no escape codes at all", async () => {
    writeFileSync(`${sb.dir}/broken.yaml`, BROKEN);
    await sb.hecate(["create", "route", "c1", "--host", "c1.example.com", "--upstream", "10.0.0.1:80", "--public"]);
    const runs = async (extra: { env?: Record<string, string>; args?: string[] }) => [
      await sb.hecate([...(extra.args ?? []), "validate", `${sb.dir}/broken.yaml`], { isTTY: true, env: extra.env }),
      await sb.hecate([...(extra.args ?? []), "update", "route", "c1", "--upstream", "10.0.0.2:80", "--dry-run"], { isTTY: true, env: extra.env }),
      await sb.hecate([...(extra.args ?? []), "read", "route", "missing"], { isTTY: true, env: extra.env }),
    ];
    const colored = await runs({});
    assert.ok(colored.every((r) => ESC.test(r.stdout + r.stderr)), "control: a TTY gets colors");
    for (const r of [...(await runs({ env: { NO_COLOR: "1" } })), ...(await runs({ args: ["--no-color"] }))]) {
      assert.doesNotMatch(r.stdout + r.stderr, ESC);
    }
    const piped = await sb.hecate(["validate", `${sb.dir}/broken.yaml`]);
    assert.doesNotMatch(piped.stdout, ESC);
  });
});

describe("help and completion", () => {
  it("--help on a command shows examples and exits 0", async () => {
    for (const args of [["--help"], ["create", "route", "--help"], ["apply", "--help"], ["list", "--help"]]) {
      const r = await sb.hecate(args);
      assert.equal(r.code, 0, args.join(" "));
      assert.match(r.stdout, /Examples:\n  \$ hecate /, args.join(" "));
    }
  });

  it("completion scripts know every verb, noun and flag", async () => {
    for (const shell of ["bash", "zsh", "fish"]) {
      const r = await sb.hecate(["completion", shell]);
      assert.equal(r.code, 0);
      for (const w of ["create", "apply", "route", "upstream", "auth-policy", "middleware", "stream", "dns", "cert", "secret", "--upstream", "--dry-run", "--cascade"]) {
        assert.ok(r.stdout.includes(w), `${shell} completion lacks ${w}`);
      }
    }
    const bash = (await sb.hecate(["completion", "bash"])).stdout;
    assert.match(bash, /complete -o default -F _hecate_complete hecate/);
    assert.match(bash, /\["hecate create route"\]="[^"]*--host/);
    assert.equal((await sb.hecate(["completion", "tcsh"])).code, 2);
    // The bash script really completes: source it in bash and ask.
    writeFileSync(`${sb.dir}/c.bash`, bash);
    const ask = (words: string[]) =>
      spawnSync("bash", ["-c", `source ${sb.dir}/c.bash; COMP_WORDS=(${words.join(" ")}); COMP_CWORD=${words.length - 1}; _hecate_complete; echo "\${COMPREPLY[@]}"`], { encoding: "utf8" }).stdout.trim();
    assert.equal(ask(["hecate", "cre"]), "create");
    assert.equal(ask(["hecate", "delete", "auth"]), "auth-policy authpolicy");
    assert.equal(ask(["hecate", "delete", "route", "app", "--cas"]), "--cascade");
  });
});
