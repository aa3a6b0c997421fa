// Remote mode prints what local mode prints: one table of every command that reads or writes the
// store (list, read, create, update, delete, plan, apply, drift, history, show, diff, render,
// rollback, audit, audit verify, token, backup, restore, secrets, certs, unlock, reconcile, secret
// values and rotation, cert import and renew, canary, switch, disable/enable, block/unblock,
// bypass-auth, rollback --last-good; successes, dry runs and errors), each run twice: locally
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
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite.js";
import { storeWithCaddy } from "../server/setup.js";
import { createToken } from "../../src/server/tokens.js";
import { jsonLogger, startServer, type RunningServer } from "../../src/server/serve.js";
import { Webhooks } from "../../src/server/webhooks.js";
import { openStore } from "../../src/store/index.js";
import { run } from "../../src/cli/run.js";
import { startHetznerSandbox, type HetznerSandbox } from "../../src/sandbox/hetzner/index.js";

const dir = tempDir("hecate-remote-");
const key = randomBytes(32).toString("base64");
let up: Upstream;
const caddies: Caddy[] = [];
let remoteStore: SqliteStore;
let server: RunningServer;
let token = "";

// Caddy's access log (each side's own): canaries are judged on it.
const seed = async (path: string, caddy: Caddy, side: "L" | "R"): Promise<SqliteStore> => (await storeWithCaddy(path, Buffer.from(key, "base64"), caddy, [], { accessLog: `${dir.path}/${side}-access.log` })).store;

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
    .replace(/whsec_[A-Za-z0-9_-]+/g, "<webhook secret>")
    .replace(/wh_(?!0{12})[0-9a-f]{12}/g, "wh_<id>")
    .replace(/"id": "[A-Za-z0-9_-]{12}"/g, '"id": "<token id>"')
    // Each side's own Caddy listens on its own ports.
    .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:<port>")
    .replace(/(https?Port"?: )\d+/g, "$1<port>")
    // The server records each client's address (the FROM column; "address" in JSON); the local CLI has none.
    .replace(new RegExp(`${dir.path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/[LR]`, "g"), "<dir>/<side>")
    .replace(/ +127\.0\.0\.1$/gm, "")
    .replace(/^\s*"address": "127\.0\.0\.1",?\n/gm, "")
    .replace(/ +$/gm, "")
    // What is left of each side's Hetzner rate limit (remote apply plans once for the CLI to show, then again on the server).
    .replace(/rate limit: \d+ of/g, "rate limit: <n> of")
    // How long each side's read of its Caddy took (and the table column it sizes).
    .replace(/\b\d+ ms( +|$)/gm, "<n> ms ")
    .replace(/"ms": \d+/g, '"ms": <n>')
    .replace(/(hecate_system_read_seconds\{[^}]*\}) [\d.e-]+/g, "$1 <seconds>")
    .replace(/READ( +)DETAIL/g, "READ DETAIL")
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "<time>")
    .replace(new RegExp(caddies.map((c) => c.admin.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g"), "<caddy>");

before(async () => {
  up = await startUpstream("both");
  caddies.push(await startCaddy(), await startCaddy());
  // The same token on both sides, so both audit logs begin alike.
  const local = await seed(`${dir.path}/local.db`, caddies[0]!, "L");
  await createToken(local, { name: "ops", scope: "admin", createdBy: "ops" });
  await local.close();
  remoteStore = await seed(`${dir.path}/remote.db`, caddies[1]!, "R");
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
const TABLE: { name: string; args: (side: "local" | "remote") => string[]; before?: (side: "local" | "remote") => Promise<void> }[] = [
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
  // What the API gained for the commands that used to refuse remotely (the audit rows above stay
  // comparable: the server also audits a secret value being set, which a local store does not).
  { name: "unlock, free", args: () => ["unlock"] },
  { name: "unlock, held", args: () => ["unlock"], before: (side) => onStore(side, (st) => st.tryLock("apply", "ops@crashed-host/4242/abcdef", 60_000)) },
  { name: "unlock --force", args: () => ["unlock", "--force"] },
  { name: "unlock --force, free", args: () => ["unlock", "--force"] },
  { name: "reconcile --status", args: () => ["reconcile", "--status"] },
  { name: "reconcile --suspend", args: () => ["reconcile", "--suspend"] },
  { name: "reconcile --resume, json", args: () => ["reconcile", "--resume", "-o", "json"] },
  { name: "reconcile, dry run, after an edit behind Hecate's back", args: () => ["reconcile", "--dry-run"], before: (side) => driftCaddy(side) },
  { name: "reconcile (puts it back)", args: () => ["reconcile", "--yes"] },
  { name: "reconcile, nothing to do", args: () => ["reconcile", "--yes"] },
  { name: "health", args: () => ["health"] },
  { name: "health json", args: () => ["health", "-o", "json"] },
  { name: "health, an unknown system", args: () => ["health", "--system", "ftp"] },
  { name: "plan, an unknown system", args: () => ["plan", "--system", "caddy,ftp"] },
  { name: "apply, an unknown system", args: () => ["apply", "--yes", "--system", "ftp"] },
  { name: "drift, an unknown system", args: () => ["drift", "--system", "ftp"] },
  { name: "metrics", args: () => ["metrics"] },
  { name: "debug system caddy", args: () => ["debug", "system", "caddy"] },
  { name: "debug auth, a public route", args: () => ["debug", "auth", "blog"] },
  { name: "debug auth, missing", args: () => ["debug", "auth", "ghost"] },
  { name: "create secret with a value", args: () => ["create", "secret", "api-key", "--value-from", `file:${dir.path}/value-1`], before: () => writeFileSync(`${dir.path}/value-1`, "first value\n") as never },
  { name: "secret rotate", args: () => ["secret", "rotate", "api-key", "--value-from", `file:${dir.path}/value-2`, "--grace", "0"], before: () => writeFileSync(`${dir.path}/value-2`, "second value") as never },
  { name: "secret rotate, the same value", args: () => ["secret", "rotate", "api-key", "--value-from", `file:${dir.path}/value-2`] },
  { name: "secret rotate, a reference", args: () => ["secret", "rotate", "db-pass", "--generate"] },
  { name: "secret rotate, missing", args: () => ["secret", "rotate", "ghost", "--generate"] },
  { name: "list secrets --show-expiry", args: () => ["list", "secrets", "--show-expiry"] },
  { name: "secret validate", args: () => ["secret", "validate", "--check-expiry"] },
  { name: "update secret with a value", args: () => ["update", "secret", "api-key", "--value-from", `file:${dir.path}/value-1`, "-m", "back to the first"] },
  { name: "cert import", args: () => ["cert", "import", "legacy", "--cert", pem().cert, "--key", pem().key] },
  { name: "cert import, key of another certificate", args: () => ["cert", "import", "mixed", "--cert", pem().cert, "--key", pem("other").key] },
  { name: "list certs after import", args: () => ["list", "certs"] },
  { name: "cert renew, imported", args: () => ["cert", "renew", "legacy"] },
  { name: "cert renew, missing", args: () => ["cert", "renew", "ghost"] },
  { name: "cert validate", args: () => ["cert", "validate", "legacy"] },
  { name: "cert validate by host, the chain to a bundle given here", args: () => ["cert", "validate", "legacy.example.com", "--ca-bundle", pem().cert, "--check-expiry", "-o", "json"] },
  { name: "cert validate, missing", args: () => ["cert", "validate", "ghost"] },
  { name: "cert revoke, imported", args: () => ["cert", "revoke", "legacy", "--reason", "superseded"] },
  { name: "apply the secret and certificate", args: () => ["apply", "--yes"] },
  { name: "canary status, none", args: () => ["canary", "status"] },
  { name: "canary start", args: () => ["canary", "start", "blog", "--upstream", UP(), "--weight", "10", "--step", "10", "--every", "5m"] },
  { name: "canary start, another pool", args: () => ["canary", "start", "blog", "--to", "v3"] },
  { name: "canary status", args: () => ["canary", "status", "blog"] },
  { name: "canary status, json", args: () => ["canary", "status", "-o", "json"] },
  { name: "canary promote --to 50%, dry run", args: () => ["canary", "promote", "blog", "--to", "50%", "--dry-run"] },
  { name: "canary promote --to 50%", args: () => ["canary", "promote", "blog", "--to", "50%"] },
  { name: "canary abort", args: () => ["canary", "abort", "blog", "--reason", "latency up"] },
  { name: "canary abort, none", args: () => ["canary", "abort", "blog"] },
  { name: "switch", args: () => ["switch", "blog", "--to", "canary", "-o", "json"] },
  { name: "disable", args: () => ["disable", "blog", "--reason", "incident 4711", "--retry-after", "1h"] },
  { name: "enable", args: () => ["enable", "blog"] },
  { name: "enable, not disabled", args: () => ["enable", "blog"] },
  { name: "block for an hour", args: () => ["block", "203.0.113.7", "--for", "1h", "--reason", "credential stuffing"] },
  { name: "unblock", args: () => ["unblock", "203.0.113.7"] },
  { name: "unblock, not blocked", args: () => ["unblock", "203.0.113.7"] },
  { name: "bypass-auth, a public route", args: () => ["bypass-auth", "blog", "--for", "15m", "--reason", "authentik down"] },
  { name: "rollback --last-good, dry run", args: () => ["rollback", "--last-good", "--dry-run"] },
  { name: "rollback --last-good", args: () => ["rollback", "--last-good", "--yes"] },
  { name: "history after delivery", args: () => ["history"] },
  { name: "webhook rotate-secret", args: (side) => ["webhook", "rotate-secret", hooks[side]!, "--grace", "0"], before: (side) => onStore(side, async (st) => void (hooks[side] ??= (await new Webhooks(st, jsonLogger(() => undefined)).create({ url: "http://127.0.0.1:9/hook", events: ["*"] }, "ops")).webhook.id)) },
  { name: "webhook rotate-secret, missing", args: () => ["webhook", "rotate-secret", "wh_000000000000"] },
  // PATHS: remotely the CLI sends the files and the server reads them (diagnostics at the names sent).
  { name: "plan DIR (the head and one route more)", args: (side) => ["plan", dirOf(side)], before: (side) => writeDir(side) },
  { name: "apply DIR", args: (side) => ["apply", dirOf(side), "--yes", "-m", "from the repository"] },
  { name: "apply DIR, nothing to do", args: (side) => ["apply", dirOf(side)] },
  { name: "plan DIR with a YAML error", args: (side) => ["plan", dirOf(side)], before: async (side) => writeFileSync(`${dirOf(side)}/zz-broken.yaml`, "apiVersion: hecate.io/v1\nkind: Route\nmetadata:\n  name: broken\nspec:\n  hosts: [broken.test\n") },
  { name: "apply DIR with an unknown field", args: (side) => ["apply", dirOf(side), "--yes"], before: async (side) => writeFileSync(`${dirOf(side)}/zz-broken.yaml`, "apiVersion: hecate.io/v1\nkind: Route\nmetadata:\n  name: broken\nspec:\n  hosts: [broken.test]\n  upstreams: [{address: 127.0.0.1:9}]\n  public: true\n  colour: red\n") },
  { name: "plan DIR with a file that is not UTF-8", args: (side) => ["plan", dirOf(side)], before: async (side) => (rmSync(`${dirOf(side)}/zz-broken.yaml`), writeFileSync(`${dirOf(side)}/zz-latin1.yaml`, Buffer.from("apiVersion: hecate.io/v1\nkind: Route\nmetadata:\n  name: café\n", "latin1"))) },
  { name: "history after apply DIR", args: () => ["history", "-n", "3"], before: async (side) => rmSync(`${dirOf(side)}/zz-latin1.yaml`) },
];

/** Each side's directory of YAML files (the names of one length, masked alike). */
const dirOf = (side: "local" | "remote") => `${dir.path}/${side === "local" ? "L" : "R"}-dir`;

/** The side's head as files (as JSON documents, which YAML reads too), with one route more in block YAML. */
async function writeDir(side: "local" | "remote"): Promise<void> {
  mkdirSync(dirOf(side), { recursive: true });
  await onStore(side, async (st) => {
    const head = (await st.head())!;
    writeFileSync(`${dirOf(side)}/head.yaml`, head.resources.map((r) => JSON.stringify(r)).join("\n---\n") + "\n");
  });
  writeFileSync(
    `${dirOf(side)}/routes.yaml`,
    `# kept in git\n---\napiVersion: hecate.io/v1\nkind: Route\nmetadata:\n  name: gitops\nspec:\n  hosts: [gitops.test]\n  upstreams:\n    - address: ${UP()}\n  public: true\n  tls:\n    mode: "off"\n`,
  );
}

/** Each side's webhook (registered on its own store). */
const hooks: Partial<Record<"local" | "remote", string>> = {};

/** Something done to each side's own store directly (the local one, or the server's). */
async function onStore(side: "local" | "remote", fn: (st: SqliteStore) => Promise<unknown>): Promise<void> {
  if (side === "remote") return void (await fn(remoteStore));
  // Opened as the CLI opens it (its secret key from HECATE_SECRET_KEY).
  const st = (await openStore({ path: `${dir.path}/local.db`, env: { HECATE_SECRET_KEY: key } })) as SqliteStore;
  try {
    await fn(st);
  } finally {
    await st.close();
  }
}

/** An edit behind Hecate's back: each side's Caddy loses its HTTP app (its admin API stays). */
async function driftCaddy(side: "local" | "remote"): Promise<void> {
  const res = await fetch(`${caddies[side === "local" ? 0 : 1]!.admin}/config/apps/http`, { method: "DELETE" });
  assert.equal(res.status, 200, await res.text());
}

/** A self-signed PEM pair (one per name, made once and used by both sides). */
const pems = new Map<string, { cert: string; key: string }>();
function pem(cn = "legacy"): { cert: string; key: string } {
  let p = pems.get(cn);
  if (!p) {
    p = { cert: `${dir.path}/${cn}.crt`, key: `${dir.path}/${cn}.key` };
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", p.key, "-out", p.cert, "-days", "30", "-subj", `/CN=${cn}`, "-addext", `subjectAltName=DNS:${cn}.example.com`], { stdio: "ignore" });
    pems.set(cn, p);
  }
  return p;
}

describe("remote mode prints what local mode prints", () => {
  for (const row of TABLE) {
    it(row.name, async () => {
      await row.before?.("local");
      await row.before?.("remote");
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
    // A store call the API does not offer (a new command using one) is refused by name, never half done.
    const { remoteStore } = await import("../../src/cli/core/remote-store.js");
    const { RemoteApi } = await import("../../src/cli/core/remote.js");
    await assert.rejects(remoteStore(new RemoteApi(server.url, token)).getSetting("reconcile.suspended"), /this command needs the store's getSetting, which the API does not offer, and HECATE_API_ENDPOINT \(or --endpoint\) says to use http:\/\/127\.0\.0\.1:\d+: unset it/);
    // What runs as a loop in this process is for a local store; through the API the server runs its own.
    const watch = await hecate(["reconcile", "--watch"], env);
    assert.match(watch.err, /--watch runs the loop in this process on a local store; through the API the server reconciles itself \(hecate serve --reconcile INTERVAL\)/);
    // Commands that act on this machine by nature say so.
    for (const args of [["up"], ["down"], ["serve"], ["sandbox", "hetzner"], ["migrate-store", "--to", "x.db"], ["secret", "rekey"]]) {
      const r = await hecate(args, env);
      assert.equal(r.code, 1, args.join(" "));
      assert.match(r.err, new RegExp(`\`hecate ${args.slice(0, args[0] === "sandbox" || args[0] === "secret" ? 2 : 1).join(" ")}\` [^\n]*, so it does not run through the API; HECATE_API_ENDPOINT \\(or --endpoint\\) says to use http://127\\.0\\.0\\.1:\\d+: unset it to run it here`), args.join(" "));
    }
    const git = await hecate(["plan", "--git", dir.path], env);
    assert.match(git.err, /through the API, plan the head, --revision or YAML PATHS; --git and --out work on the local store/);
    // Files sent may change what the API edits, never the Settings naming the systems it writes to.
    const settings = await hecate(["plan", "examples/"], env);
    assert.equal(settings.code, 1);
    assert.match(settings.err, /Settings\/default \(added\), Settings\/settings \(removed\): cannot be changed through the API: Settings and CompliancePolicy are changed on the server's machine, with `hecate apply DIR` on its store \(HECATE_API_ENDPOINT unset\)/);
    const closed = await freePort();
    const flag = await hecate(["--endpoint", `http://127.0.0.1:${closed}`, "list", "routes"], { HECATE_API_TOKEN: token });
    assert.equal(flag.code, 1);
    assert.match(flag.err, new RegExp(`cannot reach the Hecate server at http://127\\.0\\.0\\.1:${closed}: ECONNREFUSED`));
    const noToken = await hecate(["list", "routes"], { HECATE_API_ENDPOINT: server.url });
    assert.match(noToken.err, /needs a token/);
  });
});

// The DNS commands talk to the DNS provider with the store's credentials: through the API the
// server does (its own Hetzner sandbox here, as the local side has its own).
describe("DNS commands through the API print what they print locally", () => {
  const sides: Record<"local" | "remote", { hz?: HetznerSandbox; store?: SqliteStore }> = { local: {}, remote: {} };
  let dnsServer: RunningServer;
  let dnsToken = "";
  const zonefile = `${dir.path}/example.com.zone`;

  before(async () => {
    writeFileSync(`${dir.path}/hz-token`, "remote-test-token\n");
    for (const side of ["local", "remote"] as const) {
      const hz = await startHetznerSandbox({ token: "remote-test-token", actionDelayMs: 5, zones: [{ name: "example.com", rrsets: [{ name: "legacy", type: "A", records: ["198.51.100.7"] }] }] });
      const store = await openSqliteStore({ path: `${dir.path}/dns-${side}.db`, secretKey: Buffer.from(key, "base64") });
      const ns = `${hz.dns.host}:${hz.dns.port}`;
      const settings = { apiVersion: "hecate.io/v1", kind: "Settings", metadata: { name: "settings" }, spec: { hetzner: { endpoint: hz.url, token: `file:${dir.path}/hz-token` }, dns: { target: "203.0.113.10", nameservers: [ns], resolver: ns } } };
      const app = { apiVersion: "hecate.io/v1", kind: "Route", metadata: { name: "app" }, spec: { hosts: ["app.example.com"], upstreams: [{ address: "127.0.0.1:8080" }], public: true, dns: {} } };
      await store.putRevision({ resources: [settings, app] as never, author: "ops", message: "dns", source: { type: "cli" }, expectedParent: 0 });
      sides[side] = { hz, store };
    }
    dnsToken = (await createToken(sides.remote.store!, { name: "ops", scope: "admin", createdBy: "ops" })).token;
    await sides.local.store!.close();
    dnsServer = await startServer({ store: sides.remote.store!, listen: { type: "tcp", host: "127.0.0.1", port: 0 }, logger: jsonLogger(() => undefined) });
  });

  after(async () => {
    await dnsServer?.close();
    await sides.remote.store?.close();
    for (const s of Object.values(sides)) await s.hz?.close();
  });

  const rows: { name: string; args: string[] }[] = [
    { name: "apply to DNS", args: ["apply", "--system", "dns", "--yes"] },
    { name: "check dns", args: ["check", "dns", "app.example.com"] },
    { name: "check dns, json", args: ["check", "dns", "app.example.com", "-o", "json"] },
    { name: "check dns, nothing wanted there", args: ["check", "dns", "nothing.example.com"] },
    { name: "list dns --zone", args: ["list", "dns", "--zone", "example.com"] },
    { name: "list dns --zone, not a zone", args: ["list", "dns", "--zone", "app.example.com"] },
    { name: "list dns --zone, a zone Hetzner does not hold", args: ["list", "dns", "--zone", "example.org"] },
    { name: "export dns yaml", args: ["export", "dns", "--zone", "example.com", "--format", "yaml"] },
    { name: "import dns, dry run", args: ["import", "dns", "--zonefile", zonefile, "--dry-run"] },
    { name: "import dns", args: ["import", "dns", "--zonefile", zonefile] },
    { name: "list dns --zone after import", args: ["list", "dns", "--zone", "example.com"] },
    { name: "plan dns after import", args: ["plan", "--system", "dns"] },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      if (row.name.startsWith("import dns, dry")) {
        // One zone file for both sides: what the local Hetzner exports (`export dns`, BIND).
        const e = await hecate(["export", "dns", "--zone", "example.com"], { HECATE_STORE: `${dir.path}/dns-local.db` });
        const r = await hecate(["export", "dns", "--zone", "example.com"], { HECATE_API_ENDPOINT: dnsServer.url, HECATE_API_TOKEN: dnsToken });
        assert.equal(r.code, 0, r.err);
        assert.match(r.out, /^legacy\s.*A\s+198\.51\.100\.7$/m, "the remote side exports its zone too");
        writeFileSync(zonefile, e.out);
      }
      const local = await hecate(row.args, { HECATE_STORE: `${dir.path}/dns-local.db` });
      const remote = await hecate(row.args, { HECATE_API_ENDPOINT: dnsServer.url, HECATE_API_TOKEN: dnsToken, HECATE_STORE: `${dir.path}/absent/none.db` });
      assert.equal(remote.code, local.code, `exit codes: local ${local.code} (${local.err}), remote ${remote.code} (${remote.err})`);
      assert.equal(mask(remote.out), mask(local.out), "stdout");
      assert.equal(mask(remote.err), mask(local.err), "stderr");
    });
  }
});
