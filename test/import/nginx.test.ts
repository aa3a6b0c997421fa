// `hecate import nginx --streams DIR` proven by traffic: real nginx runs the original stream files
// against real TCP/UDP echo servers; then the files are imported, the original nginx stopped, the
// Streams applied by Hecate to a fresh nginx on the same ports, and every answer must be the same.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePorts, tempDir } from "../helpers/proc.js";
import { initNginxPrefix, startNginx, STREAM_MODULE_PATH } from "../../src/providers/nginx/index.js";
import { startTcpEcho, startUdpEcho, tcpRequest, udpRequest, type TcpEcho, type UdpEcho } from "../nginx/helpers.js";
import { sandbox, type Sandbox } from "../cli/helpers.js";

describe("import nginx: the imported streams carry what the stream files carried", () => {
  let a: TcpEcho, b: TcpEcho, u: UdpEcho, sb: Sandbox;
  const t = tempDir("hecate-import-nginx-");
  before(async () => {
    [a, b, u] = await Promise.all([startTcpEcho("a"), startTcpEcho("b"), startUdpEcho("u")]);
    sb = sandbox();
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close(), u?.close()]);
    sb?.cleanup();
    t.cleanup();
  });

  it("pools, balancing, backups, direct targets, allow lists, udp and timeouts", async () => {
    const [p1, p2, p3, p4] = (await freePorts(4)) as [number, number, number, number];
    const dir = join(t.path, "stream");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "10-app.conf"),
      `# the app pool: a serves, b is the backup
upstream app_pool {
    least_conn;
    server ${a.address} weight=2 max_fails=2 fail_timeout=5s;
    server ${b.address} backup;
}
server {
    listen 127.0.0.1:${p1};
    proxy_pass app_pool;
    proxy_connect_timeout 2s;
    proxy_timeout 30s;
}
`,
    );
    writeFileSync(join(dir, "20-direct.conf"), `server {\n    listen 127.0.0.1:${p2};\n    proxy_pass ${b.address};\n    allow 127.0.0.1;\n    deny all;\n}\n`);
    writeFileSync(join(dir, "30-dns.conf"), `server {\n    listen 127.0.0.1:${p3} udp;\n    proxy_pass ${u.address};\n    proxy_timeout 1s;\n}\n`);
    writeFileSync(join(dir, "40-closed.conf"), `server {\n    listen 127.0.0.1:${p4};\n    proxy_pass ${a.address};\n    tcp_nodelay on;\n    deny 127.0.0.0/8;\n}\n`);

    const probe = async () => ({
      app: await tcpRequest(p1, "hello"),
      direct: await tcpRequest(p2, "hi"),
      udp: await udpRequest(p3, "q"),
      closed: await tcpRequest(p4, "x", 2000).catch(() => "refused"),
    });

    const orig = initNginxPrefix(join(t.path, "orig"));
    writeFileSync(orig.config, [`load_module ${STREAM_MODULE_PATH};`, `pid ${orig.pidFile};`, `error_log ${orig.errorLog} notice;`, "events {}", "stream {", `    include ${dir}/*.conf;`, "}", ""].join("\n"));
    const n1 = await startNginx(orig.prefix);
    let before: Awaited<ReturnType<typeof probe>>;
    try {
      before = await probe();
    } finally {
      await n1.stop();
    }
    assert.deepEqual(before, { app: "a:hello", direct: "b:hi", udp: "u:q", closed: "refused" }, "the original behaves as written");

    const out = join(t.path, "imported");
    const imp = await sb.hecate(["import", "nginx", "--streams", dir, "--out", out]);
    assert.equal(imp.code, 1, "tcp_nodelay is refused: exit 1\n" + imp.stdout + imp.stderr);
    assert.match(imp.stdout, new RegExp(`refused +${dir}/40-closed.conf:4 +tcp_nodelay on`));
    const yaml = readFileSync(join(out, "streams.yaml"), "utf8");
    assert.match(yaml, /name: app-pool\n/);

    const fresh = initNginxPrefix(join(t.path, "hecate"));
    const n2 = await startNginx(fresh.prefix);
    try {
      writeFileSync(
        join(out, "settings.yaml"),
        `apiVersion: hecate.io/v1\nkind: Settings\nmetadata:\n  name: settings\nspec:\n  nginx:\n    binary: nginx\n    prefix: ${fresh.prefix}\n    config: ${fresh.config}\n    streamFile: ${fresh.streamFile}\n`,
      );
      const applied = await sb.hecate(["apply", out, "--yes", "--system", "nginx"]);
      assert.equal(applied.code, 0, applied.stdout + applied.stderr);
      assert.deepEqual(await probe(), before);
    } finally {
      await n2.stop();
    }
  });
});
