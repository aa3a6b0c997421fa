// `hecate import nginx --streams DIR --adopt`: a running nginx serving stream files from
// conf.d/stream is taken over in place. Without --adopt the plan is the rewrite (shown, nothing
// written); with it the streams move into Hecate's file in one checked reload, they answer as
// before, the original files keep their text as comments, and the next plan is empty.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePorts, tempDir } from "../helpers/proc.js";
import { initNginxPrefix, startNginx, STREAM_MODULE_PATH, type RunningNginx } from "../../src/providers/nginx/index.js";
import { startTcpEcho, startUdpEcho, tcpRequest, udpRequest, type TcpEcho, type UdpEcho } from "../nginx/helpers.js";
import { sandbox, type Sandbox } from "../cli/helpers.js";

describe("import nginx --adopt", () => {
  let a: TcpEcho, b: TcpEcho, u: UdpEcho, sb: Sandbox, nginx: RunningNginx | undefined;
  const t = tempDir("hecate-import-nginx-adopt-");
  before(async () => {
    [a, b, u] = await Promise.all([startTcpEcho("a"), startTcpEcho("b"), startUdpEcho("u")]);
    sb = sandbox();
  });
  after(async () => {
    await nginx?.stop();
    await Promise.all([a?.close(), b?.close(), u?.close()]);
    sb?.cleanup();
    t.cleanup();
  });

  it("takes the stream files of a running nginx over in place: same answers, then an empty plan", async () => {
    const [p1, p2, p3] = (await freePorts(3)) as [number, number, number];
    const dir = join(t.path, "conf.d", "stream");
    mkdirSync(dir, { recursive: true });
    const app = `upstream app_pool {\n    least_conn;\n    server ${a.address} weight=2 max_fails=2 fail_timeout=5s;\n    server ${b.address} backup;\n}\nserver {\n    listen 127.0.0.1:${p1};\n    proxy_pass app_pool;\n    proxy_timeout 30s;\n}\n`;
    const direct = `server {\n    listen 127.0.0.1:${p2};\n    proxy_pass ${b.address};\n    allow 127.0.0.1;\n    deny all;\n}\nserver {\n    listen 127.0.0.1:${p3} udp;\n    proxy_pass ${u.address};\n    proxy_timeout 1s;\n}\n`;
    writeFileSync(join(dir, "10-app.conf"), app);
    writeFileSync(join(dir, "20-direct.conf"), direct);
    // The operator's nginx: conf.d/stream by a glob, and the (empty) file Hecate will own.
    const n = initNginxPrefix(join(t.path, "nginx"));
    writeFileSync(n.config, [`load_module ${STREAM_MODULE_PATH};`, `pid ${n.pidFile};`, `error_log ${n.errorLog} notice;`, "events {}", "stream {", `    include ${dir}/*.conf;`, `    include ${n.streamFile};`, "}", ""].join("\n"));
    nginx = await startNginx(n.prefix);
    const probe = async () => ({ app: await tcpRequest(p1, "hello"), direct: await tcpRequest(p2, "hi"), udp: await udpRequest(p3, "q") });
    const before = await probe();
    assert.deepEqual(before, { app: "a:hello", direct: "b:hi", udp: "u:q" });

    const settings = `apiVersion: hecate.io/v1\nkind: Settings\nmetadata:\n  name: settings\nspec:\n  nginx:\n    binary: nginx\n    prefix: ${n.prefix}\n    config: ${n.config}\n    streamFile: ${n.streamFile}\n`;
    const settingsDir = join(t.path, "settings");
    mkdirSync(settingsDir);
    writeFileSync(join(settingsDir, "settings.yaml"), settings);

    // --adopt before the stored Settings name an nginx: refused, saying what to do.
    const early = await sb.hecate(["import", "nginx", "--streams", dir, "--adopt"]);
    assert.equal(early.code, 1, early.stdout + early.stderr);
    assert.match(early.stderr, /not adopted, nothing stored or changed: the stored Settings have no spec\.nginx/);
    const stored = await sb.hecate(["plan", settingsDir, "--system", "nginx", "--out", join(t.path, "settings.plan")]);
    assert.equal(stored.code, 0, stored.stdout + stored.stderr);

    // Without --adopt: the plan is the rewrite, shown in full, and nothing is written.
    const out = join(t.path, "imported");
    const imp = await sb.hecate(["import", "nginx", "--streams", dir, "--out", out]);
    assert.equal(imp.code, 0, imp.stdout + imp.stderr);
    writeFileSync(join(out, "settings.yaml"), settings);
    const rewrite = await sb.hecate(["plan", out, "--system", "nginx", "-v"]);
    assert.equal(rewrite.code, 0, rewrite.stdout + rewrite.stderr);
    assert.match(rewrite.stdout, /\+ create stream app-pool/);
    assert.match(rewrite.stdout, new RegExp(`\\+ create stream stream-${p2} `));
    assert.match(rewrite.stdout, /Plan: 3 to create, 0 to update, 0 to delete\./);
    assert.deepEqual(await probe(), before, "a plan writes nothing");
    assert.equal(readFileSync(join(dir, "10-app.conf"), "utf8"), app);

    // Files this nginx does not read, or with a directive the import refuses: not adopted.
    const copy = join(t.path, "elsewhere");
    cpSync(dir, copy, { recursive: true });
    const unread = await sb.hecate(["import", "nginx", "--streams", copy, "--adopt"]);
    assert.equal(unread.code, 1, unread.stdout + unread.stderr);
    assert.match(unread.stderr, /not adopted, nothing stored or changed: the nginx of \S+ does not read \S+10-app\.conf/);
    writeFileSync(join(copy, "30-odd.conf"), `server {\n    listen 127.0.0.1:1;\n    proxy_pass ${a.address};\n    tcp_nodelay on;\n}\n`);
    const odd = await sb.hecate(["import", "nginx", "--streams", copy, "--adopt"]);
    assert.equal(odd.code, 1, odd.stdout + odd.stderr);
    assert.match(odd.stderr, /30-odd\.conf:4 tcp_nodelay on was not imported, and adopting would drop it/);
    assert.doesNotMatch((await sb.hecate(["history"])).stdout, /#2/, "nothing stored");

    const adopted = await sb.hecate(["import", "nginx", "--streams", dir, "--adopt", "-m", "adopt the streams"]);
    assert.equal(adopted.code, 0, adopted.stdout + adopted.stderr);
    assert.match(adopted.stdout, /adopted: nginx now serves the imported streams from \S+hecate-streams\.conf/);
    assert.match(adopted.stdout, /No changes\./, "the plan printed after adopting is empty");
    assert.deepEqual(await probe(), before);
    const stub = readFileSync(join(dir, "10-app.conf"), "utf8");
    assert.match(stub, /^# Adopted by Hecate: /);
    assert.ok(stub.includes(`#     server ${a.address} weight=2`), "the original is kept as comments");
    assert.match(readFileSync(n.streamFile, "utf8"), /^# Managed by Hecate/);

    const plan = await sb.hecate(["plan", "--system", "nginx", "--detailed-exitcode"]);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    const apply = await sb.hecate(["apply", "--yes", "--system", "nginx"]);
    assert.match(apply.stdout, /^No changes\. Reality matches revision/);
    assert.deepEqual(await probe(), before);
  });

  it("--adopt stores: not with --out or --dry-run", async () => {
    const r = await sb.hecate(["import", "nginx", "--streams", t.path, "--adopt", "--dry-run"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--adopt takes over the stream files/);
  });
});
