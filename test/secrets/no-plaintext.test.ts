// No certificate key or secret value in clear anywhere Hecate writes: the store file itself (its
// journal and audit tables, WAL included), a saved plan file, every line the CLI and the server
// log, and every member of a backup, after an apply to real Caddy, a rotation with a grace
// window, a restore and reconcile rounds.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { startCaddy, type Caddy } from "../caddy-provider/caddy.js";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { eventually } from "../helpers/proc.js";
import { caddyHash, send } from "../caddy-traffic/harness.js";
import { caddyConf, sandbox, type Result, type Sandbox } from "../cli/helpers.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import { jsonLogger, startServer } from "../../src/server/serve.js";

let sb: Sandbox;
let caddy: Caddy;
let up: Upstream;
let conf: string;
let httpPort: number;
const seen: string[] = []; // everything printed or logged

const run = async (args: string[], opts?: { stdin?: string }): Promise<Result> => {
  const r = await sb.hecate(args, opts);
  seen.push(r.stdout, r.stderr);
  return r;
};

before(async () => {
  sb = sandbox();
  caddy = await startCaddy();
  up = await startUpstream("app");
  conf = `${sb.dir}/conf`;
  httpPort = await caddyConf(conf, caddy.admin);
});
after(async () => {
  await caddy?.stop();
  await up?.close();
  sb?.cleanup();
});

describe("no secret in clear", () => {
  it("store file, journal, audit, plan file, logs and backup hold no key or value", async () => {
    const cert = `${sb.dir}/site.crt`, keyFile = `${sb.dir}/site.key`;
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", keyFile, "-out", cert, "-days", "30", "-subj", "/CN=site", "-addext", "subjectAltName=DNS:site.test"], { stdio: "ignore" });
    const keyPem = readFileSync(keyFile, "utf8");
    const keyBody = keyPem.split("\n").filter((l) => l && !l.startsWith("-----")).join("");
    const oldHash = caddyHash("first-pass-xyz"), newHash = caddyHash("second-pass-xyz");
    const plainValue = "plain-store-value-7f3a9c";
    // What must never show: the key (whole body and each line), both hashes, both passwords, the plain value.
    const needles = [keyBody, ...keyPem.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----")), oldHash, newHash, "first-pass-xyz", "second-pass-xyz", plainValue];

    assert.equal((await run(["create", "secret", "ops-hash", "--value-from-stdin"], { stdin: oldHash })).code, 0);
    assert.equal((await run(["create", "secret", "other", "--value-from-stdin"], { stdin: plainValue })).code, 0);
    assert.equal((await run(["cert", "import", "site", "--cert", cert, "--key", keyFile])).code, 0);
    writeFileSync(`${conf}/app.yaml`, `apiVersion: hecate.io/v1
kind: Middleware
metadata: { name: login }
spec: { type: basic-auth, users: [{ username: ops, passwordHash: "secret:ops-hash" }] }
---
apiVersion: hecate.io/v1
kind: Route
metadata: { name: site }
spec:
  hosts: [site.test]
  upstreams: [{ address: ${up.address} }]
  public: true
  middleware: [login]
  tls: { mode: "off" }
`);
    // The directory replaces the head: carry the CLI-made resources over as files.
    writeFileSync(`${conf}/secrets.yaml`, (await run(["read", "secret", "ops-hash", "-o", "yaml"])).stdout + "---\n" + (await run(["read", "secret", "other", "-o", "yaml"])).stdout + "---\n" + (await run(["read", "secret", "site-certificate", "-o", "yaml"])).stdout + "---\n" + (await run(["read", "secret", "site-key", "-o", "yaml"])).stdout + "---\n" + (await run(["read", "cert", "site", "-o", "yaml"])).stdout);
    const planFile = `${sb.dir}/release.plan`;
    assert.equal((await run(["plan", conf, "--out", planFile, "-v"])).code, 0);
    const applied = await run(["apply", planFile, "--yes"]);
    assert.equal(applied.code, 0, applied.stderr + applied.stdout);
    assert.equal((await send(httpPort, "site.test", "/", { headers: { authorization: `Basic ${Buffer.from("ops:first-pass-xyz").toString("base64")}` } })).status, 200);
    assert.equal((await run(["secret", "rotate", "ops-hash", "--value-from-stdin", "--grace", "1s"], { stdin: newHash })).code, 0);
    await run(["plan", "-v", "-o", "json"]);
    await run(["drift", "-o", "json"]);
    await run(["list", "certs", "-o", "json"]);
    await run(["audit", "-o", "json"]);
    const bak = `${sb.dir}/b.tar.gz`;
    assert.equal((await run(["backup", "--out", bak])).code, 0);
    assert.equal((await run(["restore", bak, "--yes"])).code, 0);

    // A server's log across reconcile rounds (the grace window ends there).
    const store = await openSqliteStore({ path: sb.store });
    const lines: string[] = [];
    const server = await startServer({ store, listen: { type: "tcp", host: "127.0.0.1", port: 0 }, logger: jsonLogger((l) => lines.push(l), "debug"), reconcile: { intervalMs: 200, leaseMs: 1500 } });
    try {
      await eventually(() => lines.some((l) => l.includes("grace windows ended")), 20_000);
      await eventually(() => lines.filter((l) => l.includes('"status":"ok"')).length >= 2, 20_000);
    } finally {
      await server.close();
    }
    const journal = JSON.stringify((await store.dump()).journal);
    const audit = JSON.stringify(await store.listAudit({ limit: 1000 }));
    await store.close();
    seen.push(...lines);

    const out = `${sb.dir}/unpacked`;
    mkdirSync(out);
    execFileSync("tar", ["-xzf", bak, "-C", out]);
    const places: Record<string, string> = {
      "the journal": journal,
      "the audit log": audit,
      "the plan file": readFileSync(planFile, "latin1"),
      "the CLI's output and the server's log": seen.join("\n"),
      ...Object.fromEntries(readdirSync(out).map((f) => [`the backup's ${f}`, readFileSync(`${out}/${f}`, "latin1")])),
      ...Object.fromEntries(["", "-wal"].filter((s) => existsSync(sb.store + s)).map((s) => [`the store file${s}`, readFileSync(sb.store + s, "latin1")])),
    };
    assert.ok(journal.length > 100 && audit.includes("secret.rotate") && audit.includes("secret.grace-end"), "there is something to search");
    for (const [where, text] of Object.entries(places)) {
      for (const n of needles) assert.ok(!text.includes(n), `${where} holds a secret (${n.slice(0, 12)}…)`);
      assert.ok(!text.includes("PRIVATE KEY-----\n"), `${where} holds a PEM private key`);
    }
  });
});
