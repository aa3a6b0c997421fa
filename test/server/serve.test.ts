// `hecate serve` as a real process: token made with the CLI, loopback by default, a unix socket,
// bad --listen refused with exit 2, and SIGTERM stops it cleanly (exit 0, "stopped" logged).
import assert from "node:assert/strict";
import { request } from "node:http";
import { spawnSync } from "node:child_process";
import { after, describe, it } from "node:test";
import { cliEnv } from "../helpers/cli.js";
import { eventually, freePort, startProcess, tempDir } from "../helpers/proc.js";

const dir = tempDir("hecate-serve-");
const env = cliEnv(dir.path);
const hecate = (args: string[]) => spawnSync("node", ["bin/hecate.js", ...args], { env, encoding: "utf8" });
after(() => dir.cleanup());

/** GET over a unix socket (fetch cannot). */
function getUnix(socketPath: string, path: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("hecate serve", () => {
  it("serves on loopback with a token from `hecate token create`, and stops on SIGTERM", async () => {
    const made = hecate(["token", "create", "--scope", "read", "--name", "grafana", "--expires", "30d"]);
    assert.equal(made.status, 0, made.stderr);
    const token = made.stdout.trim();
    assert.match(token, /^hct_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{43}$/);
    assert.match(made.stderr, /not shown again/);
    const list = hecate(["token", "list"]);
    assert.match(list.stdout, /grafana\s+read\s+active/);
    assert.ok(!list.stdout.includes(token.slice(17)), "the secret is never listed");

    const port = await freePort();
    const p = startProcess("node", ["bin/hecate.js", "serve", "--listen", `127.0.0.1:${port}`], { env });
    try {
      await eventually(() => p.output().includes('"msg":"listening"'), 20_000);
      const url = `http://127.0.0.1:${port}`;
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      assert.equal((await fetch(`${url}/v1/routes`)).status, 401);
      const ok = await fetch(`${url}/v1/routes`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { items: [], revision: null });
      assert.equal(hecate(["token", "revoke", "grafana"]).status, 0);
      assert.equal((await fetch(`${url}/v1/routes`, { headers: { authorization: `Bearer ${token}` } })).status, 401, "revoked in the CLI, refused by the running server");
    } finally {
      await p.stop();
    }
    assert.equal(p.child.exitCode, 0, p.output());
    assert.match(p.output(), /"msg":"stopped"/);
    assert.ok(!p.output().includes(token.slice(17)), "the token is not in the log");
  });

  it("serves on a unix socket; a bad --listen is a usage error", async () => {
    const socket = `${dir.path}/api.sock`;
    const admin = hecate(["token", "create", "--scope", "admin", "--name", "root", "-o", "json"]);
    const { token } = JSON.parse(admin.stdout) as { token: string };
    const p = startProcess("node", ["bin/hecate.js", "serve", "--listen", `unix:${socket}`], { env });
    try {
      await eventually(() => p.output().includes('"msg":"listening"'), 20_000);
      assert.equal((await getUnix(socket, "/healthz")).status, 200);
      const audit = await getUnix(socket, "/v1/audit", token);
      assert.equal(audit.status, 200);
      assert.ok((JSON.parse(audit.body) as { items: { action: string }[] }).items.some((e) => e.action === "token.revoke"));
    } finally {
      await p.stop();
    }
    const bad = hecate(["serve", "--listen", "nonsense"]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--listen expects HOST:PORT or unix:\/path, got "nonsense"/);
  });
});
