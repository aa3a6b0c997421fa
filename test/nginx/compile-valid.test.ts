// Every feature the compiler emits is accepted by the real `nginx -t` (1.22 + stream module).
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { compileNginx } from "../../src/compile/nginx/index.js";
import { initNginxPrefix, runNginx } from "../../src/providers/nginx/index.js";
import { freePorts, tempDir } from "../helpers/proc.js";
import { state, stream, upstream } from "./helpers.js";

test("a file using every directive passes nginx -t", async () => {
  const dir = tempDir("hecate-nginx-t-");
  try {
    const files = initNginxPrefix(dir.path);
    const p = await freePorts(6);
    const s = state([
      stream("weighted", p[0]!, [upstream("127.0.0.1:1", { weight: 3, maxConns: 10, maxFails: 2, failTimeout: "1m30s" }), upstream("[::1]:2", { backup: true })],
        { proxyProtocol: true, ipFilter: { allow: ["10.0.0.0/8", "::1"], deny: ["10.1.1.1"] } }),
      { ...stream("hashed", p[1]!, [upstream("127.0.0.1:3"), upstream("127.0.0.1:4")]), balancing: "hash" as const },
      { ...stream("least", p[2]!, [upstream("localhost:5")]), balancing: "least_conn" as const },
      { ...stream("rand", p[3]!, [upstream("127.0.0.1:6")]), balancing: "random" as const },
      stream("dns", p[4]!, [upstream("127.0.0.1:53")], { protocol: "udp", listen: { address: "127.0.0.1", port: 53 } }),
      stream("udp", p[5]!, [upstream("127.0.0.1:7")], { protocol: "udp", timeouts: { connect: "500ms", idle: "1h" } }),
      stream("v6", p[5]!, [upstream("127.0.0.1:8")], { listen: { address: "::1", port: p[5]! } }),
    ]);
    const { config, diagnostics } = compileNginx(s);
    assert.deepEqual(diagnostics, []);
    assert.equal(config.streams.length, 7);
    writeFileSync(files.streamFile, config.file);
    const r = await runNginx("nginx", ["-t", "-q", "-p", files.prefix, "-c", files.config]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(config.file, /proxy_responses 1;/);
  } finally {
    dir.cleanup();
  }
});
