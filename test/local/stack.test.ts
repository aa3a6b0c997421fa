// The README's main job, end to end: real Caddy and nginx, demo backends, apply, traffic, no drift.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { busyPorts, upLocalStack, type LocalPorts, type LocalStack } from "../../src/local/stack.js";
import { createEngine } from "../../src/engine/index.js";
import type { Resource } from "../../src/model/schema.js";
import { proxyGet } from "../../src/providers/caddy/probe.js";
import { openStore } from "../../src/store/index.js";
import { freePorts, tempDir } from "../helpers/proc.js";

describe("local stack", () => {
  const dir = tempDir("hecate-local-");
  let stack: LocalStack | undefined;
  after(async () => {
    await stack?.stop();
    dir.cleanup();
  });

  it("comes up, applies its desired state, serves HTTP and TCP, and a restart is a no-op", async () => {
    // Picked again until the stack's own check finds them all free, the HTTPS port (HTTP + 363) too.
    let ports: LocalPorts;
    for (let tries = 1; ; tries++) {
      const [http, stream, demoA, demoB, echo, authentik, caddyAdmin, whoami, hetzner, dns, api] = (await freePorts(11)) as [number, number, number, number, number, number, number, number, number, number, number];
      ports = { http, stream, demoA, demoB, echo, authentik, caddyAdmin, whoami, hetzner, dns, api };
      if (!(await busyPorts(ports)).length || tries >= 20) break;
    }
    const { http, demoB } = ports;
    const lines: string[] = [];
    stack = await upLocalStack({ dir: dir.path, ports, log: (l) => lines.push(l) });
    const out = lines.join("\n");
    assert.match(out, /apply: succeeded/);
    assert.match(out, /probe http: .* -> 200 demo-[ab] answered GET \//);
    assert.match(out, /echoed "hello through nginx"/);
    assert.match(out, /probe dns: app\.example\.com A -> 127\.0\.0\.1/);
    assert.match(out, /probe tls: GET https:\/\/secure\.localhost:\d+ -> 200, certificate from Caddy's local CA/);
    assert.match(out, /probe auth: GET admin\.localhost:\d+ -> 302 to authentik's sign-in/);
    assert.match(out, /authentik:\n {2}\+ create application hecate-admin {2}\(Route\/admin\)\n {2}\+ create provider hecate-admin\n/, "the protected route's authentik objects, with no --system flag");
    assert.match(out, /plan after apply: no changes/);
    assert.match(out, /api: http:\/\/127\.0\.0\.1:\d+ \(an admin token in /);
    assert.ok(existsSync(join(stack.desiredDir, "stack.yaml")));
    assert.match(readFileSync(join(stack.desiredDir, "settings.yaml"), "utf8"), /kind: Settings/);
    await stack.stop();

    // A route made with the CLI between two starts (the README's tour does this).
    const store = await openStore({ path: stack.storePath });
    const engine = createEngine({ store, actor: "t" });
    const head = (await store.head())!;
    await engine.commit([...head.resources, { apiVersion: "hecate.io/v1", kind: "Route", metadata: { name: "blog" }, spec: { hosts: ["blog.localhost"], upstreams: [{ address: `127.0.0.1:${demoB}` }], public: true, tls: { mode: "off" } } } as Resource], { message: "add blog" });
    await store.close();

    // Second start on the same directory: processes are new, the store's head (with the CLI's
    // route) is applied to the fresh Caddy/nginx, nothing is re-recorded, the probes pass again.
    const again: string[] = [];
    stack = await upLocalStack({ dir: dir.path, ports, log: (l) => again.push(l) });
    assert.match(again.join("\n"), /plan after apply: no changes/);
    assert.match(again.join("\n"), /desired state: the store.s head revision #2 /, `settings unchanged: no new revision\n${again.join("\n")}`);
    const blog = await proxyGet(http, "blog.localhost");
    assert.equal(blog.status, 200, "the route made with the CLI survived the restart");
    // Caddy's local CA stays in the stack's directory: the root is never installed into the
    // system's trust store (which Caddy did on every config load, ~8 s per apply), applies and all.
    const pki = (await (await fetch(`${stack.caddyAdmin}/config/apps/pki`)).json()) as { certificate_authorities?: { local?: { install_trust?: boolean } } };
    assert.equal(pki.certificate_authorities?.local?.install_trust, false, JSON.stringify(pki));
  });

  it("`hecate up --help` says how to use it; a bad flag starts nothing", () => {
    const run = (...args: string[]) => spawnSync(process.execPath, ["bin/hecate.js", "up", ...args, "--dir", dir.path + "/never"], { encoding: "utf8", timeout: 60_000 });
    const help = run("--help");
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage: hecate up \[options\]/);
    assert.match(help.stdout, /--detach/);
    const bad = run("--bogus");
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown option '--bogus'/);
    const both = run("--once", "--detach");
    assert.equal(both.status, 2);
    assert.match(both.stderr, /--detach and --once do not go together/);
    assert.ok(!existsSync(dir.path + "/never"), "nothing was started or created");
  });
});
