// `hecate token rotate` against a real `hecate serve`: during the grace window the old and the new
// token both pass with the token's scope; after it only the new one (401, saying it was rotated).
// Without a reconcile loop the window is closed at the first authentication after its end; with
// one, the loop's upkeep closes it by itself. `token list` shows the window; the audit log has the
// rotation and the window's end, never a token.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { cliEnv, runCli } from "../helpers/cli.js";
import { eventually, freePort, startProcess, tempDir, type Proc } from "../helpers/proc.js";

const dir = tempDir("hecate-token-rotation-");
const env = cliEnv(dir.path);
after(() => dir.cleanup());

const hecate = (args: string[], extra: Record<string, string> = {}) => runCli({ ...env, ...extra }, args);

async function serve(extra: string[] = []): Promise<{ url: string; p: Proc }> {
  const port = await freePort();
  const p = startProcess("node", ["bin/hecate.js", "serve", "--listen", `127.0.0.1:${port}`, ...extra], { env });
  await eventually(() => p.output().includes('"msg":"listening"'), 20_000);
  return { url: `http://127.0.0.1:${port}`, p };
}

const get = (url: string, token: string, path = "/v1/routes") => fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
const tokenRow = async (name: string) => (JSON.parse((await hecate(["token", "list", "-o", "json"])).stdout) as { name: string; previousUntil?: string; rotatedAt?: string }[]).find((t) => t.name === name)!;

describe("hecate token rotate", () => {
  it("keeps the old token working for the grace window, then refuses it (closed at authentication, no loop)", async () => {
    const made = await hecate(["token", "create", "--scope", "read", "--name", "grafana"]);
    assert.equal(made.code, 0, made.stderr);
    const old = made.stdout.trim();
    let fresh = "";
    const { url, p } = await serve();
    try {
      assert.equal((await get(url, old)).status, 200);
      const rotated = await hecate(["token", "rotate", "grafana", "--grace", "6s"]);
      assert.equal(rotated.code, 0, rotated.stderr);
      fresh = rotated.stdout.trim();
      assert.match(fresh, /^hct_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{43}$/, "the new token alone on stdout");
      assert.notEqual(fresh, old);
      assert.equal(fresh.slice(0, 17), old.slice(0, 17), "the same token (id), a new secret");
      assert.match(rotated.stderr, /token "grafana" \(scope read\) rotated: keep the new one now, it is not shown again; the old one is accepted until \d{4}-\d\d-\d\dT/);

      // Inside the window: both pass, with the token's own scope (read: GETs, not writes).
      assert.equal((await get(url, old)).status, 200, "the old token inside the window");
      assert.equal((await get(url, fresh)).status, 200, "the new token");
      for (const t of [old, fresh]) {
        const write = await fetch(`${url}/v1/routes`, { method: "POST", headers: { authorization: `Bearer ${t}`, "content-type": "application/json" }, body: "{}" });
        assert.equal(write.status, 403, "scope read, whichever secret");
      }
      const list = await hecate(["token", "list"]);
      assert.match(list.stdout, /OLD ACCEPTED UNTIL/);
      assert.match(list.stdout, /grafana\s+read\s+active\s+\S+\s+never\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+ops/);
      const row = await tokenRow("grafana");
      assert.ok(row.previousUntil && row.rotatedAt);
      assert.ok(!("previousHash" in row) && !("hash" in row), "no hash is shown");

      // After the window: no loop runs, so the first authentication closes it.
      await eventually(() => Date.now() > Date.parse(row.previousUntil!) + 100, 10_000);
      assert.ok((await tokenRow("grafana")).previousUntil, "nothing closed it yet");
      const refused = await get(url, old);
      assert.equal(refused.status, 401);
      assert.match(((await refused.json()) as { error: { message: string } }).error.message, /the token was rotated and its grace window has ended: use the new token/);
      assert.equal((await get(url, fresh)).status, 200, "the new token goes on working");
      assert.equal((await tokenRow("grafana")).previousUntil, undefined, "the window is closed in the store");
      assert.match((await hecate(["token", "list"])).stdout, /grafana\s+read\s+active\s+\S+\s+never\s+-\s+ops/);
      assert.equal((await get(url, old)).status, 401, "and stays closed");
    } finally {
      await p.stop();
    }
    const audit = await hecate(["audit", "-n", "20", "-o", "json"]);
    const entries = JSON.parse(audit.stdout) as { action: string; actor: string; target?: string; detail?: Record<string, unknown> }[];
    assert.ok(entries.some((e) => e.action === "token.rotate" && e.target === "grafana" && e.actor === "ops" && typeof e.detail?.graceUntil === "string"));
    assert.ok(entries.some((e) => e.action === "token.grace-end" && e.target === "grafana"));
    for (const t of [old, fresh]) {
      assert.ok(!audit.stdout.includes(t.slice(17)), "no token in the audit log");
      assert.ok(!p.output().includes(t.slice(17)), "no token in the server's log");
    }
  });

  it("with --grace 0 the old token is refused at once; revoked and unknown tokens are not rotated", async () => {
    const made = await hecate(["token", "create", "--scope", "write", "--name", "ci", "-o", "json"]);
    const { token: old } = JSON.parse(made.stdout) as { token: string };
    const { url, p } = await serve();
    try {
      const r = await hecate(["token", "rotate", "ci", "--grace", "0", "-o", "json"]);
      assert.equal(r.code, 0, r.stderr);
      const { token: fresh, record } = JSON.parse(r.stdout) as { token: string; record: Record<string, unknown> };
      assert.equal(record.previousUntil, undefined);
      assert.ok(!("hash" in record) && !("previousHash" in record));
      assert.equal((await get(url, old)).status, 401);
      assert.equal((await get(url, fresh)).status, 200);
    } finally {
      await p.stop();
    }
    const bad = await hecate(["token", "rotate", "ci", "--grace", "soon"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--grace expects a duration like 10m, 24h or 7d, got "soon"/);
    const ghost = await hecate(["token", "rotate", "ghost"]);
    assert.equal(ghost.code, 1);
    assert.match(ghost.stderr, /token "ghost" does not exist \(see `hecate token list`\)/);
    assert.equal((await hecate(["token", "revoke", "ci"])).code, 0);
    const revoked = await hecate(["token", "rotate", "ci"]);
    assert.match(revoked.stderr, /token "ci" was revoked at .*: make a new one with `hecate token create`/);
  });

  it("the reconcile loop closes an ended window by itself, before anyone presents the old token", async () => {
    const made = await hecate(["token", "create", "--scope", "admin", "--name", "deploy", "-o", "json"]);
    const { token: old } = JSON.parse(made.stdout) as { token: string };
    const { url, p } = await serve(["--reconcile", "500ms"]);
    try {
      // Rotated through the API, with the token being rotated (admin scope): remote mode.
      const r = await hecate(["token", "rotate", "deploy", "--grace", "8s"], { HECATE_API_ENDPOINT: url, HECATE_API_TOKEN: old });
      assert.equal(r.code, 0, r.stderr);
      const fresh = r.stdout.trim();
      assert.equal((await get(url, old, "/v1/tokens")).status, 200, "the old token, inside the window");
      const { previousUntil } = await tokenRow("deploy");
      assert.ok(previousUntil);
      await eventually(async () => (await tokenRow("deploy")).previousUntil === undefined, 15_000, 200);
      const audit = JSON.parse((await hecate(["audit", "-n", "500", "-o", "json"])).stdout) as { action: string; actor: string; target?: string }[];
      const end = audit.find((e) => e.action === "token.grace-end" && e.target === "deploy");
      assert.ok(end, "audited");
      assert.notEqual(end.actor, "hecate", "closed by the loop's upkeep, not at an authentication");
      assert.equal((await get(url, old)).status, 401);
      assert.equal((await get(url, fresh, "/v1/tokens")).status, 200);
    } finally {
      await p.stop();
    }
  });
});
