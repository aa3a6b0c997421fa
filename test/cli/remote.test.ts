// Remote mode prints what local mode prints: one table of every command that reads or writes the
// store (list, read, create, update, delete, plan, apply, drift, history, show, diff, render,
// rollback, audit, audit verify, token, backup, restore, secrets, certs; successes, dry runs and
// errors), each run twice: locally
// on one store, and with HECATE_API_ENDPOINT/HECATE_API_TOKEN against `hecate serve` on another
// store set up the same way, each with its own real Caddy. Output and exit codes must match once
// what differs by nature is masked: revision hashes (the two Settings name different Caddys) and
// times.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { startCaddy, type Caddy } from "../caddy-provider/caddy.js";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { freePort, tempDir } from "../helpers/proc.js";
import type { SqliteStore } from "../../src/store/sqlite.js";
import { storeWithCaddy } from "../server/setup.js";
import { createToken } from "../../src/server/tokens.js";
import { jsonLogger, startServer, type RunningServer } from "../../src/server/serve.js";
import { run } from "../../src/cli/run.js";

const dir = tempDir("hecate-remote-");
const key = randomBytes(32).toString("base64");
let up: Upstream;
const caddies: Caddy[] = [];
let remoteStore: SqliteStore;
let server: RunningServer;
let token = "";

const seed = async (path: string, caddy: Caddy): Promise<SqliteStore> => (await storeWithCaddy(path, Buffer.from(key, "base64"), caddy)).store;

async function hecate(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  let out = "", err = "";
  const code = await run(args, {
    stdout: { write: (s: string) => ((out += s), true) },
    stderr: { write: (s: string) => ((err += s), true) },
    stdin: Readable.from([]),
    isTTY: false,
    env: { PATH: process.env.PATH ?? "", HECATE_SECRET_KEY: key, USER: "ops", XDG_CONFIG_HOME: `${dir.path}/config`, XDG_STATE_HOME: `${dir.path}/state`, ...env },
  });
  return { code, out, err };
}

/**
 * What differs by nature between the two setups: hashes, ids, times, the two Caddys' addresses and
 * ports, each side's own backup file, the way a revision came in (history's SOURCE says "api" for
 * what the server stored), and the client address the server's audit log records.
 */
const mask = (s: string) =>
  s
    .replace(/"type": "(?:cli|api)"/g, '"type": "<way>"')
    .replace(/(ops\s+)(?:api|cli)(\s)/g, "$1<way>$2")
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<uuid>")
    .replace(/\b[0-9a-f]{12,64}\b/g, "<hash>")
    .replace(/# source: {2}(?:cli|api)/g, "# source:  <way>")
    .replace(/hct_[A-Za-z0-9_-]+/g, "<token>")
    .replace(/"id": "[A-Za-z0-9_-]{12}"/g, '"id": "<token id>"')
    // Each side's own Caddy listens on its own ports.
    .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:<port>")
    .replace(/(https?Port"?: )\d+/g, "$1<port>")
    // The server records each client's address (the FROM column; "address" in JSON); the local CLI has none.
    .replace(new RegExp(`${dir.path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/[LR]`, "g"), "<dir>/<side>")
    .replace(/ +127\.0\.0\.1$/gm, "")
    .replace(/^\s*"address": "127\.0\.0\.1",?\n/gm, "")
    .replace(/ +$/gm, "")
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "<time>")
    .replace(new RegExp(caddies.map((c) => c.admin.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g"), "<caddy>");

before(async () => {
  up = await startUpstream("both");
  caddies.push(await startCaddy(), await startCaddy());
  // The same token on both sides, so both audit logs begin alike.
  const local = await seed(`${dir.path}/local.db`, caddies[0]!);
  await createToken(local, { name: "ops", scope: "admin", createdBy: "ops" });
  await local.close();
  remoteStore = await seed(`${dir.path}/remote.db`, caddies[1]!);
  token = (await createToken(remoteStore, { name: "ops", scope: "admin", createdBy: "ops" })).token;
  server = await startServer({ store: remoteStore, listen: { type: "tcp", host: "127.0.0.1", port: 0 }, logger: jsonLogger(() => undefined) });
});

after(async () => {
  await server?.close();
  await remoteStore?.close();
  for (const c of caddies) await c.stop();
  await up?.close();
  dir.cleanup();
});

const UP = () => up.address;
/** A file of each side's own, the two names of one length (the audit table's widths depend on it). */
const fileOf = (side: "local" | "remote", what = "") => `${dir.path}/${side === "local" ? "L" : "R"}${what}.bak`;
/** Run in this order on both sides: each step sees the state the earlier ones left. `side` names a file of each side's own. */
const TABLE: { name: string; args: (side: "local" | "remote") => string[] }[] = [
  { name: "list, empty", args: () => ["list", "routes"] },
  { name: "create", args: () => ["create", "route", "blog", "--host", "blog.test", "--upstream", UP(), "--public", "--tls", "off"] },
  { name: "create, duplicate", args: () => ["create", "route", "blog", "--host", "blog.test", "--upstream", UP(), "--public", "--tls", "off"] },
  { name: "create, invalid", args: () => ["create", "route", "bad", "--host", "bad.test", "--upstream", "nowhere", "--public", "--auth-policy", "x"] },
  { name: "create, dry run", args: () => ["create", "route", "api", "--host", "api.test", "--upstream", UP(), "--public", "--tls", "off", "--dry-run"] },
  { name: "read yaml", args: () => ["read", "route", "blog"] },
  { name: "read by host, json", args: () => ["read", "route", "blog.test", "-o", "json"] },
  { name: "read, missing", args: () => ["read", "route", "ghost"] },
  { name: "update", args: () => ["update", "route", "blog", "--path", "/v2", "-m", "only v2"] },
  { name: "create second", args: () => ["create", "route", "api", "--host", "api.test", "--upstream", UP(), "--public", "--tls", "off"] },
  { name: "list", args: () => ["list", "routes"] },
  { name: "list json", args: () => ["list", "routes", "-o", "json"] },
  { name: "plan", args: () => ["plan"] },
  { name: "plan, detailed exit code", args: () => ["plan", "--detailed-exitcode"] },
  { name: "apply", args: () => ["apply", "--yes"] },
  { name: "plan, nothing to do", args: () => ["plan"] },
  { name: "apply, nothing to do", args: () => ["apply"] },
  { name: "drift", args: () => ["drift"] },
  { name: "delete, dry run", args: () => ["delete", "route", "api", "--dry-run"] },
  { name: "delete", args: () => ["delete", "route", "api"] },
  { name: "apply a delete without --yes (no terminal)", args: () => ["apply"] },
  { name: "apply a delete", args: () => ["apply", "--yes"] },
  { name: "history", args: () => ["history"] },
  { name: "history json", args: () => ["history", "-o", "json"] },
  { name: "drift json", args: () => ["drift", "-o", "json"] },
  { name: "show head", args: () => ["show"] },
  { name: "show #1, json", args: () => ["show", "1", "-o", "json"] },
  { name: "show, missing", args: () => ["show", "99"] },
  { name: "show applied", args: () => ["show", "applied"] },
  { name: "diff", args: () => ["diff", "1", "3"] },
  { name: "diff, no differences", args: () => ["diff", "head", "applied"] },
  { name: "render caddy (the head)", args: () => ["render", "caddy"] },
  { name: "validate (files here, the same both ways)", args: () => ["validate", "examples/"] },
  { name: "rollback, dry run", args: () => ["rollback", "--to", "3", "--dry-run"] },
  { name: "rollback", args: () => ["rollback", "--to", "3", "--yes"] },
  { name: "create secret by reference", args: () => ["create", "secret", "db-pass", "--from", "env:DB_PASS"] },
  { name: "list secrets", args: () => ["list", "secrets"] },
  { name: "list certs", args: () => ["list", "certs"] },
  { name: "token create", args: () => ["token", "create", "--scope", "read", "--name", "grafana"] },
  { name: "token create, name taken", args: () => ["token", "create", "--scope", "read", "--name", "grafana"] },
  { name: "token list", args: () => ["token", "list"] },
  { name: "token rotate", args: () => ["token", "rotate", "grafana", "--grace", "1h"] },
  { name: "token list, in the grace window", args: () => ["token", "list"] },
  { name: "token rotate json, no grace", args: () => ["token", "rotate", "grafana", "--grace", "0", "-o", "json"] },
  { name: "token rotate, bad grace", args: () => ["token", "rotate", "grafana", "--grace", "soon"] },
  { name: "token rotate, missing", args: () => ["token", "rotate", "ghost"] },
  { name: "token revoke", args: () => ["token", "revoke", "grafana"] },
  { name: "token rotate, revoked", args: () => ["token", "rotate", "grafana"] },
  { name: "token revoke, missing", args: () => ["token", "revoke", "ghost"] },
  { name: "token list json", args: () => ["token", "list", "-o", "json"] },
  { name: "backup", args: (side) => ["backup", "--out", fileOf(side)] },
  { name: "restore, missing file", args: (side) => ["restore", fileOf(side, "-absent"), "--dry-run"] },
  { name: "restore, dry run", args: (side) => ["restore", fileOf(side), "--dry-run"] },
  { name: "restore", args: (side) => ["restore", fileOf(side), "--yes"] },
  { name: "history after restore", args: () => ["history"] },
  { name: "audit", args: () => ["audit", "-n", "100"] },
  { name: "audit json", args: () => ["audit", "-n", "5", "-o", "json"] },
  { name: "audit verify", args: () => ["audit", "verify"] },
];

describe("remote mode prints what local mode prints", () => {
  for (const row of TABLE) {
    it(row.name, async () => {
      const local = await hecate(row.args("local"), { HECATE_STORE: `${dir.path}/local.db` });
      // No store at all on the remote side: anything that opened one would fail.
      const remote = await hecate(row.args("remote"), { HECATE_API_ENDPOINT: server.url, HECATE_API_TOKEN: token, HECATE_STORE: `${dir.path}/absent/none.db` });
      assert.equal(remote.code, local.code, `exit codes: local ${local.code} (${local.err}), remote ${remote.code} (${remote.err})`);
      assert.equal(mask(remote.out), mask(local.out), "stdout");
      assert.equal(mask(remote.err), mask(local.err), "stderr");
    });
  }

  it("refuses what it cannot do through the API, by name; an unreachable server is an error", async () => {
    const env = { HECATE_API_ENDPOINT: server.url, HECATE_API_TOKEN: token };
    // What the API does not offer is refused by name (here the store's locks and settings, a secret's value).
    const unlock = await hecate(["unlock"], env);
    assert.equal(unlock.code, 1);
    assert.match(unlock.err, /this command needs the store's getLock, which the API does not offer, and HECATE_API_ENDPOINT \(or --endpoint\) says to use http:\/\/127\.0\.0\.1:\d+: unset it/);
    assert.match((await hecate(["reconcile", "--status"], env)).err, /needs the store's getSetting, which the API does not offer/);
    const value = await hecate(["create", "secret", "api-key", "--value-from", "env:PATH"], env);
    assert.match(value.err, /needs to store a secret's value \(never sent over the API/);
    // Commands that act on this machine by nature say so.
    for (const args of [["up"], ["down"], ["serve"], ["sandbox", "hetzner"], ["migrate-store", "--to", "x.db"]]) {
      const r = await hecate(args, env);
      assert.equal(r.code, 1, args.join(" "));
      assert.match(r.err, new RegExp(`\`hecate ${args.slice(0, args[0] === "sandbox" ? 2 : 1).join(" ")}\` [^\n]*, so it does not run through the API; HECATE_API_ENDPOINT \\(or --endpoint\\) says to use http://127\\.0\\.0\\.1:\\d+: unset it to run it here`), args.join(" "));
    }
    const paths = await hecate(["plan", "examples/"], env);
    assert.match(paths.err, /PATHS, --git and --out work on the local store/);
    const closed = await freePort();
    const flag = await hecate(["--endpoint", `http://127.0.0.1:${closed}`, "list", "routes"], { HECATE_API_TOKEN: token });
    assert.equal(flag.code, 1);
    assert.match(flag.err, new RegExp(`cannot reach the Hecate server at http://127\\.0\\.0\\.1:${closed}: ECONNREFUSED`));
    const noToken = await hecate(["list", "routes"], { HECATE_API_ENDPOINT: server.url });
    assert.match(noToken.err, /needs a token/);
  });
});
