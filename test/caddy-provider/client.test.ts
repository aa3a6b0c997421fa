// The admin API client against a real Caddy 2.6.2: Etag, If-Match, errors, unix socket, build info.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { HecateError } from "../../src/diag.js";
import { DEFAULT_SETTINGS } from "../../src/model/index.js";
import { CaddyClient, detectCaddyBuild, parseAdminEndpoint } from "../../src/providers/caddy/client.js";
import { createCaddyProvider } from "../../src/providers/caddy/provider.js";
import { freePort } from "../helpers/proc.js";
import { rejectsWith as rejects } from "../helpers/errors.js";
import { startCaddy, type Caddy } from "./caddy.js";


describe("caddy admin client", () => {
  let tcp: Caddy;
  let unix: Caddy;
  before(async () => {
    [tcp, unix] = await Promise.all([startCaddy(), startCaddy({ unix: true })]);
  });
  after(async () => {
    await Promise.all([tcp?.stop(), unix?.stop()]);
  });

  it("parses endpoints", () => {
    assert.deepEqual(parseAdminEndpoint("http://127.0.0.1:2019"), { kind: "tcp", scheme: "http", host: "127.0.0.1", port: 2019, label: "http://127.0.0.1:2019" });
    assert.deepEqual(parseAdminEndpoint("https://caddy1.internal:2021"), { kind: "tcp", scheme: "https", host: "caddy1.internal", port: 2021, label: "https://caddy1.internal:2021" });
    assert.deepEqual(parseAdminEndpoint("localhost:2020").kind, "tcp");
    assert.deepEqual(parseAdminEndpoint("unix:/run/caddy/admin.sock"), { kind: "unix", socketPath: "/run/caddy/admin.sock", label: "unix:/run/caddy/admin.sock" });
    assert.throws(() => parseAdminEndpoint("unix:relative.sock"), /absolute path/);
    assert.throws(() => parseAdminEndpoint("ftp://x:1"), /only http:\/\/, https:\/\/ and unix:/);
  });

  for (const which of ["tcp", "unix"] as const) {
    it(`reads the config with its Etag and writes it guarded by If-Match (${which})`, async () => {
      const c = new CaddyClient(which === "tcp" ? tcp.admin : unix.admin);
      const first = await c.getConfig();
      assert.match(first.etag, /^"\/config\/ [0-9a-f]+"$/);
      const next = { ...(first.config as object), apps: { http: { servers: {} } } };
      await c.putConfig(next, first.etag);
      const second = await c.getConfig();
      assert.notEqual(second.etag, first.etag);
      assert.deepEqual((second.config as { apps: unknown }).apps, { http: { servers: {} } });
      // The Etag read before the change is stale now: Caddy answers 412, we say caddy-changed.
      await rejects(c.putConfig(first.config, first.etag), "caddy-changed", /changed since it was read: re-run plan/);
      assert.deepEqual((await c.getConfig()).config, second.config);
    });
  }

  it("POST /load ignores If-Match in 2.6.2 (why Hecate writes through /config/)", async () => {
    const c = new CaddyClient(tcp.admin);
    const live = await c.getConfig();
    const res = await c.request("POST", "/load", JSON.stringify(live.config), { "Content-Type": "application/json", "If-Match": '"/config/ 00000000"' });
    assert.equal(res.status, 200);
  });

  it("maps a config Caddy cannot load to caddy-rejected with Caddy's message, and keeps the old one", async () => {
    const c = new CaddyClient(tcp.admin);
    const live = await c.getConfig();
    const bad = { ...(live.config as object), apps: { http: { servers: { x: { listen: ["127.0.0.1:1"], routes: [{ handle: [{ handler: "no_such_handler" }] }] } } } } };
    const err = await rejects(c.putConfig(bad, live.etag), "caddy-rejected", /no_such_handler|unknown module/);
    assert.equal(err.diagnostics[0]?.code, "caddy-rejected");
    assert.deepEqual((await c.getConfig()).etag, live.etag);
    await rejects(c.load(bad), "caddy-rejected", /no_such_handler|unknown module/);
  });

  it("names the endpoint when Caddy is not there", async () => {
    const port = await freePort();
    await rejects(new CaddyClient(`http://127.0.0.1:${port}`).getConfig(), "caddy-unreachable", new RegExp(`^cannot reach Caddy admin at http://127\\.0\\.0\\.1:${port}: connection refused`));
    await rejects(new CaddyClient("unix:/nonexistent/admin.sock").getConfig(), "caddy-unreachable", /^cannot reach Caddy admin at unix:\/nonexistent\/admin\.sock: no such socket/);
    // A name that cannot resolve (.invalid never does); allowed in clear only to reach the lookup.
    await rejects(new CaddyClient("http://no-such-caddy.invalid:2019", { allowPlaintext: true }).getConfig(), "caddy-unreachable", /^cannot reach Caddy admin at http:\/\/no-such-caddy\.invalid:2019: (host name no-such-caddy\.invalid not found|DNS lookup)/);
  });

  it("refuses plain http:// off loopback unless allowed, before sending anything", async () => {
    await rejects(new CaddyClient("http://10.255.255.1:2019").getConfig(), "caddy-plaintext", /http:\/\/10\.255\.255\.1:2019 is plain http:\/\/ to another machine.*allowPlaintextAdmin: true/);
    await rejects(new CaddyClient("http://[::1]:1").getConfig(), "caddy-unreachable"); // loopback: no refusal
    // Settings opt in, through the provider: the request goes out (and, to this address, fails).
    const settings = { ...DEFAULT_SETTINGS.caddy, admin: ["http://10.255.255.1:2019"], timeoutMs: 300 };
    const ctx = { secrets: { resolve: () => Promise.reject(new Error("no secrets here")) } };
    await rejects(createCaddyProvider(settings).read(ctx), "caddy-plaintext");
    const err = await createCaddyProvider({ ...settings, allowPlaintextAdmin: true }).read(ctx).then(() => undefined, (e: HecateError) => e);
    assert.ok(err && err.code !== "caddy-plaintext" && err.message.includes("http://10.255.255.1:2019"), String(err));
  });

  it("lists upstreams and reads the local build", async () => {
    assert.ok(Array.isArray(await new CaddyClient(tcp.admin).upstreams()));
    const build = await detectCaddyBuild();
    assert.match(build.version, /^\d+\.\d+\.\d+/);
    assert.ok(build.modules.includes("http.handlers.reverse_proxy"));
    assert.ok(!build.modules.some((m) => /modules:/i.test(m)));
  });
});
