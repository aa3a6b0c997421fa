// Remote mode prints what local mode prints: one table of commands (list, read, create, update,
// delete, plan, apply, history, drift; successes, dry runs and errors), each run twice: locally
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
 * What differs by nature between the two setups: hashes, times, the two Caddys' addresses, and
 * the way a revision came in (history's SOURCE says "api" for what the server stored).
 */
const mask = (s: string) =>
  s
    .replace(/"type": "(?:cli|api)"/g, '"type": "<way>"')
    .replace(/(ops\s+)(?:api|cli)(\s)/g, "$1<way>$2")
    .replace(/\b[0-9a-f]{12,64}\b/g, "<hash>")
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "<time>")
    .replace(new RegExp(caddies.map((c) => c.admin.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g"), "<caddy>");

before(async () => {
  up = await startUpstream("both");
  caddies.push(await startCaddy(), await startCaddy());
  await (await seed(`${dir.path}/local.db`, caddies[0]!)).close();
  remoteStore = await seed(`${dir.path}/remote.db`, caddies[1]!);
  token = (await createToken(remoteStore, { name: "ops", scope: "write", createdBy: "ops" })).token;
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
/** Run in this order on both sides: each step sees the state the earlier ones left. */
const TABLE: { name: string; args: () => string[] }[] = [
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
];

describe("remote mode prints what local mode prints", () => {
  for (const row of TABLE) {
    it(row.name, async () => {
      const local = await hecate(row.args(), { HECATE_STORE: `${dir.path}/local.db` });
      // No store at all on the remote side: anything that opened one would fail.
      const remote = await hecate(row.args(), { HECATE_API_ENDPOINT: server.url, HECATE_API_TOKEN: token, HECATE_STORE: `${dir.path}/absent/none.db` });
      assert.equal(remote.code, local.code, `exit codes: local ${local.code} (${local.err}), remote ${remote.code} (${remote.err})`);
      assert.equal(mask(remote.out), mask(local.out), "stdout");
      assert.equal(mask(remote.err), mask(local.err), "stderr");
    });
  }

  it("refuses what it cannot do through the API, by name; an unreachable server is an error", async () => {
    const env = { HECATE_API_ENDPOINT: server.url, HECATE_API_TOKEN: token };
    const tokenCmd = await hecate(["token", "list"], env);
    assert.equal(tokenCmd.code, 1);
    assert.match(tokenCmd.err, /does not work through the API yet, and HECATE_API_ENDPOINT \(or --endpoint\) says to use http:\/\/127\.0\.0\.1:\d+: unset it/);
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
