// `hecate up` as a new user meets it: the README's first command exactly as written (detached),
// then every part of the stack used for real (a public route, a sign-in through the authentik
// sandbox to the app that echoes headers, the stream, DNS from the sandbox nameserver, a route
// made with the CLI surviving `down` and `up`); a taken port refused by name; Ctrl-C, `down`,
// and a supervisor killed outright leave no process behind.
import { strict as assert } from "node:assert";
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { proxyGet } from "../../src/providers/caddy/probe.js";
import { readRecord, running, type UpRecord } from "../../src/local/up.js";
import { busyPorts, DEFAULT_PORTS, tcpEcho, type LocalPorts } from "../../src/local/stack.js";
import { chromium } from "playwright-core";
import { Browser } from "../helpers/browser.js";
import { freePorts, tempDir } from "../helpers/proc.js";

const NAMES = Object.keys(DEFAULT_PORTS) as (keyof LocalPorts)[];
const CHROMIUM = process.env.HECATE_CHROMIUM ?? "/usr/bin/chromium";

async function portsEnv(): Promise<{ ports: LocalPorts; env: Record<string, string> }> {
  // The HTTPS listener is the HTTP port + 363, which freePorts does not hand out: pick again
  // until the stack's own check finds every port, that one included, free.
  let ports: LocalPorts;
  for (let tries = 1; ; tries++) {
    const free = await freePorts(NAMES.length);
    ports = Object.fromEntries(NAMES.map((n, i) => [n, free[i]!])) as unknown as LocalPorts;
    if (!(await busyPorts(ports)).length || tries >= 20) break;
  }
  const env: Record<string, string> = {};
  for (const n of NAMES) env[`HECATE_LOCAL_PORT_${n.toUpperCase()}`] = String(ports[n]);
  return { ports, env };
}

/** The CLI without blocking this process (whose own servers must keep answering meanwhile). */
function hecateAsync(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ["bin/hecate.js", ...args], { env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    p.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    p.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    p.on("exit", (status) => resolve({ status, stdout, stderr }));
  });
}

function hecate(args: string[], env: Record<string, string>, timeout = 240_000): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ["bin/hecate.js", ...args], { env: { ...process.env, NO_COLOR: "1", ...env }, encoding: "utf8", timeout });
}

const processesOf = (rec: UpRecord) => [rec.supervisor, ...rec.children];

async function gone(rec: UpRecord, ms = 15_000): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = processesOf(rec).filter(running).map((p) => `${p.name} pid ${p.pid}`);
    if (!left.length || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("hecate up", () => {
  const dirs: string[] = [];
  const dir = (name: string) => {
    const d = tempDir(`hecate-up-${name}-`);
    dirs.push(d.path);
    return d.path;
  };
  after(async () => {
    // Whatever a failed test left: stopped by pid through `down`, then the directories removed.
    for (const d of dirs) {
      if (readRecord(d)) hecate(["down", "--dir", d], {});
      spawnSync("rm", ["-rf", d]);
    }
  });

  it("the README's first command brings the whole stack up, and a CLI route survives down and up", async () => {
    const readme = readFileSync("README.md", "utf8");
    const first = /```sh\n(.*?)\s+#/.exec(readme)?.[1]?.trim();
    assert.equal(first, "bash scripts/up.sh --detach", "the README's first command is the one this test runs");
    const { ports, env } = await portsEnv();
    const home = dir("readme");
    const all = { ...env, HECATE_LOCAL_DIR: home };
    const r = spawnSync("bash", ["-c", first!], { env: { ...process.env, NO_COLOR: "1", ...all }, encoding: "utf8", timeout: 300_000 });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /The local stack is up/);
    const rec = readRecord(home)!;
    assert.ok(rec && running(rec.supervisor), "it runs on after the command returned");

    const app = await proxyGet(ports.http, "app.localhost");
    assert.equal(app.status, 200);
    assert.match(app.body, /demo-[ab] answered GET \//);

    // The protected route: the sandbox's sign-in first, then the app that echoes headers.
    const password = readFileSync(join(home, "demo-password"), "utf8").trim();
    assert.ok(r.stdout.includes(`sign in as demo / ${password}`), "the demo login is printed");
    const anonymous = await proxyGet(ports.http, `admin.localhost:${ports.http}`);
    assert.equal(anonymous.status, 302);
    const browser = new Browser(ports.http, { url: `http://127.0.0.1:${ports.authentik}` });
    const page = await browser.visit(`http://admin.localhost:${ports.http}/`, { username: "demo", password });
    assert.equal(page.status, 200);
    const body = await page.text();
    assert.match(body, /^whoami answered GET \//);
    assert.match(body, /^x-authentik-username: demo$/m, body);
    assert.match(body, /^x-authentik-groups: staff$/m);

    assert.equal((await tcpEcho(ports.stream, "hello stream\n")).trim(), "hello stream");
    const dig = spawnSync("dig", ["+short", "+time=2", "+tries=2", "@127.0.0.1", "-p", String(ports.dns), "app.example.com", "A"], { encoding: "utf8" });
    assert.equal(dig.stdout.trim(), "127.0.0.1", dig.stderr);

    // The Hecate server, with the admin token the stack made.
    const token = readFileSync(join(home, "api.token"), "utf8").trim();
    const routes = await fetch(`http://127.0.0.1:${ports.api}/v1/routes`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(routes.status, 200);
    assert.match(JSON.stringify(await routes.json()), /"admin"/);
    assert.equal((await fetch(`http://127.0.0.1:${ports.api}/v1/routes`)).status, 401, "no token, no answer");

    // The dashboard, in Debian's chromium: sign in with that token, the stack's routes are listed.
    if (existsSync(CHROMIUM)) {
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
      try {
        const p = await browser.newPage();
        await p.goto(`http://127.0.0.1:${ports.api}/ui/`);
        await p.getByLabel("API token").fill(token);
        await p.getByRole("button", { name: "Sign in" }).click();
        await p.waitForURL(/\/ui\/routes/);
        const main = await p.locator("main").innerText();
        assert.match(main, /admin\.localhost/);
        assert.match(main, /app\.localhost/);
      } finally {
        await browser.close();
      }
    } else {
      assert.ok(!process.env.CI, `chromium is missing at ${CHROMIUM}: scripts/install.sh installs it`);
    }

    const status = hecate(["status"], all);
    assert.equal(status.status, 0, status.stdout + status.stderr);
    assert.doesNotMatch(status.stdout, /\bdown\b/);

    // A route made with the CLI on the stack's store.
    const store = { ...all, HECATE_STORE: join(home, "hecate.db") };
    const create = hecate(["create", "route", "blog", "--host", "blog.localhost", "--upstream", `127.0.0.1:${ports.demoB}`, "--public", "--tls", "off", "-m", "add blog"], store);
    assert.equal(create.status, 0, create.stderr);
    const apply = hecate(["apply", "--yes"], store);
    assert.equal(apply.status, 0, apply.stdout + apply.stderr);
    assert.equal((await proxyGet(ports.http, "blog.localhost")).status, 200);

    const down = hecate(["down"], all);
    assert.equal(down.status, 0, down.stderr);
    assert.deepEqual(await gone(rec), [], "down stops every process the stack started");
    assert.equal(readRecord(home), undefined);

    const again = hecate(["up", "--detach"], all);
    assert.equal(again.status, 0, again.stdout + again.stderr);
    const blog = await proxyGet(ports.http, "blog.localhost");
    assert.equal(blog.status, 200, "the CLI's route is in the store, and the store is the source of truth");
    const second = hecate(["up", "--detach"], all);
    assert.equal(second.status, 1);
    assert.match(second.stderr, /a stack already runs from .* \(pid \d+/);
    const rec2 = readRecord(home)!;
    assert.equal(hecate(["down"], all).status, 0);
    assert.deepEqual(await gone(rec2), []);
  });

  it("refuses a taken port by number and role, starting nothing", async () => {
    const { ports, env } = await portsEnv();
    const home = dir("busy");
    const holder: Server = createServer();
    await new Promise<void>((r) => holder.listen(ports.authentik, "127.0.0.1", r));
    try {
      const r = hecate(["up", "--once", "--dir", home], env);
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stderr, new RegExp(`error: port in use on 127\\.0\\.0\\.1: ${ports.authentik} \\(authentik sandbox; --port authentik=N\\)`));
      assert.equal(readRecord(home), undefined);
      assert.equal(existsSync(join(home, "caddy")), false, "no Caddy was started");
    } finally {
      await new Promise((r) => holder.close(r));
    }
    const bad = hecate(["up", "--port", "htp=80", "--dir", home], env);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--port htp=80: expected NAME=PORT with NAME one of:\n {2}http /);
  });

  it("Ctrl-C stops every process; a supervisor killed outright is cleaned up after by the next up", async () => {
    const { env } = await portsEnv();
    const home = dir("signals");
    // In its own process group, as in a terminal: Ctrl-C signals the whole group.
    const child = spawn(process.execPath, ["bin/hecate.js", "up", "--dir", home], { env: { ...process.env, NO_COLOR: "1", ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    const deadline = Date.now() + 240_000;
    while (!out.includes("The local stack is up")) {
      if (child.exitCode !== null || Date.now() > deadline) assert.fail(`up did not come up:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const rec = readRecord(home)!;
    process.kill(-child.pid!, "SIGINT");
    assert.equal(await exited, 0, out);
    assert.deepEqual(await gone(rec), [], out);
    assert.equal(readRecord(home), undefined);

    const detached = hecate(["up", "--detach", "--dir", home], env);
    assert.equal(detached.status, 0, detached.stdout + detached.stderr);
    const rec2 = readRecord(home)!;
    process.kill(rec2.supervisor.pid, "SIGKILL");
    while (running(rec2.supervisor)) await new Promise((r) => setTimeout(r, 50));
    // Caddy ends itself once its output pipe is gone; nginx (daemon off) runs on.
    assert.ok(rec2.children.some(running), "killed outright, the supervisor could not stop nginx");
    const status = hecate(["status", "--dir", home], env);
    assert.equal(status.status, 1);
    assert.match(status.stdout, /supervisor \(hecate up\)\s+down/);
    const once = hecate(["up", "--once", "--dir", home], env);
    assert.equal(once.status, 0, once.stdout + once.stderr);
    assert.match(once.stdout, /a previous stack's supervisor had died; stopped what it left running: (caddy \(pid \d+\), )?nginx \(pid \d+\)/);
    assert.deepEqual(await gone(rec2), []);
  });
});

describe("hecate up with real systems in place of stand-ins", () => {
  it("uses your authentik, Hetzner account and Caddy, one flag each, and starts none of their stand-ins", async () => {
    const { startAuthentikSandbox } = await import("../../src/sandbox/authentik/index.js");
    const { startHetznerSandbox } = await import("../../src/sandbox/hetzner/index.js");
    const { startCaddy } = await import("../caddy-provider/caddy.js");
    const { ports, env } = await portsEnv();
    const t = tempDir("hecate-up-external-");
    const akToken = "ak-" + "x".repeat(30), hzToken = "hz-" + "y".repeat(30);
    writeFileSync(join(t.path, "ak.token"), akToken);
    writeFileSync(join(t.path, "hz.token"), hzToken);
    // Stand-ins for "yours": started here, outside the stack, and left running by it.
    const ak = await startAuthentikSandbox({ token: akToken, seed: { groups: [{ name: "staff", parents: [], is_superuser: false }], users: [] } });
    const hz = await startHetznerSandbox({ token: hzToken, zones: [{ name: "example.net" }] });
    const caddy = await startCaddy();
    try {
      const home = join(t.path, "stack");
      const r = await hecateAsync(
        ["up", "--once", "--dir", home, "--authentik", ak.url, "--authentik-token-file", join(t.path, "ak.token"), "--hetzner-token-file", join(t.path, "hz.token"), "--zone", "example.net", "--caddy-admin", caddy.admin],
        { ...env, HECATE_HETZNER_ENDPOINT: hz.url },
      );
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /authentik: yours at http:\/\/127\.0\.0\.1:\d+ \(no sandbox started/);
      assert.match(r.stdout, /hetzner: your account at .* \(no sandbox started; zone example\.net\)/);
      assert.match(r.stdout, /caddy: yours, admin http:\/\/127\.0\.0\.1:\d+ \(not started here\)/);
      assert.match(r.stdout, /probe auth: GET admin\.localhost:\d+ -> 302 to authentik's sign-in/);
      assert.doesNotMatch(r.stdout, /sandbox http:\/\/127\.0\.0\.1:\d+ \(demo user/);
      assert.ok(!existsSync(join(home, "caddy")), "no Caddy of the stack's own");
      // What landed in "your" systems, and stayed after the stack stopped.
      const apps = (await (await fetch(`${ak.url}/api/v3/core/applications/`, { headers: { authorization: `Bearer ${akToken}` } })).json()) as { results: { slug: string }[] };
      assert.ok(apps.results.some((a) => a.slug === "hecate-admin"), JSON.stringify(apps));
      assert.ok(hz.rrsets("example.net").some((x) => x.name === "app" && x.type === "A"), JSON.stringify(hz.rrsets("example.net")));
      const config = await (await fetch(`${caddy.admin}/id/hecate-route-app`)).text();
      assert.match(config, /hecate-route-app/);
      // Caddy's own answers for an upstream that is gone: 502 while it still dials the demo apps,
      // 503 ("no upstreams available") once its active health check (every 5s) has marked them down.
      const answer = await proxyGet(ports.http, "app.localhost");
      assert.ok([502, 503].includes(answer.status), `your Caddy runs on after the stack stopped; the demo apps behind it stopped with the stack: got ${answer.status} ${answer.body}`);
      const bad = await hecateAsync(["up", "--once", "--dir", home, "--authentik", ak.url], env);
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /--authentik URL and --authentik-token-file FILE go together/);
    } finally {
      await caddy.stop();
      await hz.close();
      await ak.close();
      t.cleanup();
    }
  });
});
