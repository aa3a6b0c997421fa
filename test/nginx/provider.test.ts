// Real nginx under a temp prefix: the provider applies streams and real TCP/UDP traffic flows.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { HecateError } from "../../src/diag.js";
import { createNginxProvider, initNginxPrefix, startNginx, type NginxProvider, type RunningNginx } from "../../src/providers/nginx/index.js";
import { freePort, freePorts, tempDir } from "../helpers/proc.js";
import { startTcpEcho, startUdpEcho, state, stream, tcpRequest, udpRequest, upstream, type TcpEcho, type UdpEcho } from "./helpers.js";
import type { ResolvedState } from "../../src/model/resolved.js";
import { applyBatch } from "../helpers/apply.js";

const ctx = { secrets: { resolve: async () => "" } };

describe("nginx provider with real nginx", () => {
  const dir = tempDir("hecate-nginx-");
  let nginx: RunningNginx;
  let provider: NginxProvider;
  const echoes: (TcpEcho | UdpEcho)[] = [];
  let nginxSettings: { binary: string; prefix: string; config: string; streamFile: string };

  async function apply(s: ResolvedState) {
    const { desired, diagnostics } = provider.compile(s);
    assert.deepEqual(diagnostics.filter((d) => d.severity === "error"), []);
    const actual = await provider.read(ctx);
    const changes = provider.diff(desired, actual);
    const records = await applyBatch(provider, desired, actual, changes, ctx);
    return { desired, changes, record: records[0], records };
  }

  before(async () => {
    const files = initNginxPrefix(dir.path);
    nginxSettings = { binary: "nginx", prefix: files.prefix, config: files.config, streamFile: files.streamFile };
    nginx = await startNginx(dir.path);
    provider = createNginxProvider(nginxSettings);
  });

  after(async () => {
    await nginx?.stop();
    for (const e of echoes) await e.close();
    dir.cleanup();
  });

  test("TCP and UDP echo through the proxy; second apply has no changes; verify is clean", async () => {
    const a = await startTcpEcho("a");
    const u = await startUdpEcho("u");
    echoes.push(a, u);
    const [tcpPort, udpPort] = (await freePorts(2)) as [number, number];
    const s = state([
      stream("echo-tcp", tcpPort, [upstream(a.address)]),
      stream("echo-udp", udpPort, [upstream(u.address)], { protocol: "udp" }),
    ], nginxSettings);

    const first = await apply(s);
    assert.deepEqual(first.changes.map((c) => `${c.action} ${c.id}`), ["create echo-tcp", "create echo-udp"]);
    assert.equal(await tcpRequest(tcpPort, "hello"), "a:hello");
    assert.equal(await udpRequest(udpPort, "hi there"), "u:hi there");
    assert.equal(readFileSync(nginxSettings.streamFile, "utf8"), first.desired.file);
    assert.deepEqual(await provider.verify(first.desired, [], ctx), []);

    // Read back parses into exactly what compile produced: no phantom diff.
    const actual = await provider.read(ctx);
    assert.deepEqual(actual.streams, first.desired.streams);
    const second = await apply(s);
    assert.deepEqual(second.changes, []);
    assert.deepEqual(second.records, [], "an unchanged file is no change: nothing reloaded, nothing to undo");
  });

  test("update shows field changes, and undo restores the previous streams", async () => {
    const a = await startTcpEcho("a2");
    const b = await startTcpEcho("b2");
    echoes.push(a, b);
    const port = await freePort();
    const v1 = state([stream("swap", port, [upstream(a.address)])], nginxSettings);
    await apply(v1);
    assert.equal(await tcpRequest(port, "x"), "a2:x");

    const v2 = state([stream("swap", port, [upstream(b.address)], { timeouts: { connect: "2s", idle: "30s" } })], nginxSettings);
    const { changes, record } = await apply(v2);
    const upd = changes.find((c) => c.id === "swap");
    assert.equal(upd?.action, "update");
    assert.deepEqual(upd?.fields?.map((f) => f.path), ["connectTimeout", "upstreams.0.address"]);
    assert.equal(await tcpRequest(port, "x"), "b2:x");

    await provider.undo(record!, ctx);
    assert.equal(await tcpRequest(port, "x"), "a2:x");
    await provider.undo(record!, ctx); // twice is harmless
    assert.equal(await tcpRequest(port, "x"), "a2:x");
  });

  test("a listen port taken by another process is rejected with nginx's message; old streams keep serving", async () => {
    const a = await startTcpEcho("keep");
    echoes.push(a);
    const port = await freePort();
    const good = state([stream("keep", port, [upstream(a.address)])], nginxSettings);
    await apply(good);
    assert.equal(await tcpRequest(port, "1"), "keep:1");
    const before = readFileSync(nginxSettings.streamFile, "utf8");

    const squatPort = await freePort();
    const squatter: Server = createServer((s) => s.destroy());
    await new Promise<void>((r) => squatter.listen(squatPort, "127.0.0.1", r));
    try {
      const bad = state([stream("keep", port, [upstream(a.address)]), stream("taken", squatPort, [upstream(a.address)])], nginxSettings);
      await assert.rejects(apply(bad), (e: unknown) => {
        assert.ok(e instanceof HecateError);
        assert.equal(e.code, "nginx-rejected");
        assert.match(e.message, /bind\(\) to 127\.0\.0\.1:\d+ failed \(98: Address already in use\)/);
        assert.match(e.message, /previous config was restored/);
        return true;
      });
      assert.equal(readFileSync(nginxSettings.streamFile, "utf8"), before);
      // The old stream still serves, several times over.
      for (let i = 0; i < 5; i++) assert.equal(await tcpRequest(port, `r${i}`), `keep:r${i}`);
      assert.deepEqual((await provider.read(ctx)).streams.map((s) => s.name), ["keep"]);
    } finally {
      await new Promise<void>((r) => squatter.close(() => r()));
    }
  });

  test("a config nginx -t rejects never replaces the live file", async () => {
    const before = readFileSync(nginxSettings.streamFile, "utf8");
    const port = await freePort();
    // An upstream host nginx cannot resolve fails `nginx -t`.
    const bad = state([stream("nohost", port, [upstream("no-such-host.invalid:25")])], nginxSettings);
    await assert.rejects(apply(bad), (e: unknown) => {
      assert.ok(e instanceof HecateError);
      assert.equal(e.code, "nginx-rejected");
      assert.match(e.message, /host not found in upstream "no-such-host\.invalid:25"/);
      return true;
    });
    assert.equal(readFileSync(nginxSettings.streamFile, "utf8"), before);
  });

  test("without a prefix (system nginx style) pid file and error log come from the main config", async () => {
    const a = await startTcpEcho("sys");
    echoes.push(a);
    const p = createNginxProvider({ binary: "nginx", config: nginxSettings.config, streamFile: nginxSettings.streamFile });
    assert.equal(p.paths.prefix, undefined);
    assert.equal(p.paths.pidFile, `${nginxSettings.prefix}/logs/nginx.pid`);
    assert.equal(p.paths.errorLog, `${nginxSettings.prefix}/logs/error.log`);
    const port = await freePort();
    const { desired } = p.compile(state([stream("sys", port, [upstream(a.address)])]));
    const actual = await p.read(ctx);
    await applyBatch(p, desired, actual, p.diff(desired, actual), ctx);
    assert.equal(await tcpRequest(port, "q"), "sys:q");
    assert.deepEqual(await p.verify(desired, [], ctx), []);
  });

  test("apply refuses when the file changed since the plan", async () => {
    const { desired } = provider.compile(state([], nginxSettings));
    const actual = await provider.read(ctx);
    writeFileSync(nginxSettings.streamFile, actual.text + "# touched\n");
    try {
      await assert.rejects(applyBatch(provider, desired, actual, provider.diff(desired, actual), ctx), (e: unknown) => {
        assert.ok(e instanceof HecateError);
        assert.equal(e.code, "nginx-conflict");
        return true;
      });
    } finally {
      writeFileSync(nginxSettings.streamFile, actual.text);
    }
  });

  test("a stream file without Hecate's header is refused, naming the file", async () => {
    const other = tempDir("hecate-nginx-foreign-");
    try {
      const path = `${other.path}/streams.conf`;
      writeFileSync(path, "server { listen 127.0.0.1:1; proxy_pass 127.0.0.1:2; }\n");
      const p = createNginxProvider({ binary: "nginx", prefix: dir.path, config: nginxSettings.config, streamFile: path });
      await assert.rejects(p.read(ctx), (e: unknown) => {
        assert.ok(e instanceof HecateError);
        assert.equal(e.code, "nginx-not-owned");
        assert.ok(e.message.includes(path));
        assert.match(e.message, /not Hecate's/);
        return true;
      });
      assert.equal(readFileSync(path, "utf8"), "server { listen 127.0.0.1:1; proxy_pass 127.0.0.1:2; }\n");
    } finally {
      other.cleanup();
    }
  });
});
