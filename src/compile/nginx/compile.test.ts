// Unit tests of the nginx stream compiler and its parser: determinism, round trip, safety floors.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ResolvedState, ResolvedStream } from "../../model/resolved.js";
import { compileNginx, HASH_PREFIX, HEADER_LINE, MAIL_IDLE_FLOOR_MS, normalizeListen, renderNginx, splitHostPort } from "./compile.js";
import { parseOwnedFile } from "./parse.js";
import { canonicalDuration, parseDuration } from "./time.js";
import { settings, state } from "../../model/testkit.js";

function s(name: string, port: number, over: Partial<ResolvedStream> = {}): ResolvedStream {
  return {
    name,
    labels: {},
    protocol: "tcp",
    listen: { address: "127.0.0.1", port },
    upstreams: [{ address: `10.0.0.1:${port}`, weight: 1, maxFails: 1, failTimeout: "10s", backup: false }],
    timeouts: { connect: "1s", idle: "1m" },
    proxyProtocol: false,
    ...over,
  };
}

/** A state holding only these streams (the nginx compiler reads nothing else). */
function st(streams: ResolvedStream[]): ResolvedState {
  return state([], settings(), streams);
}

const varied = [
  s("zeta", 7001, { protocol: "udp", ipFilter: { allow: ["10.0.0.0/8"], deny: ["10.1.1.1"] } }),
  s("alpha", 7002, { proxyProtocol: true, timeouts: { connect: "90s", idle: "1h30m" } }),
  s("mid", 7003, {
    upstreams: [
      { address: "10.0.0.1:1", weight: 5, maxFails: 3, failTimeout: "30s", maxConns: 10, backup: false },
      { address: "[::1]:2", weight: 1, maxFails: 1, failTimeout: "10s", backup: true },
    ],
  }),
];

test("same input in any order gives byte-identical output, sorted by name", () => {
  const a = renderNginx(st(varied));
  const b = renderNginx(st([...varied].reverse()));
  assert.equal(a, b);
  const names = [...a.matchAll(/^upstream hecate_(\S+) \{/gm)].map((m) => m[1]);
  assert.deepEqual(names, ["alpha", "mid", "zeta"]);
});

test("the file starts with Hecate's header and a hash of its body", () => {
  const file = renderNginx(st(varied));
  const [h1, h2] = file.split("\n");
  assert.equal(h1, HEADER_LINE);
  assert.ok(h2?.startsWith(HASH_PREFIX));
  assert.equal(parseOwnedFile(file).intact, true);
  assert.equal(parseOwnedFile(file.replace("weight=5", "weight=6")).intact, false);
});

test("parsing the compiled file gives back exactly the compiled streams", () => {
  const { config } = compileNginx(st(varied));
  const parsed = parseOwnedFile(config.file);
  assert.equal(parsed.owned, true);
  assert.deepEqual(parsed.problems, []);
  assert.deepEqual(parsed.streams, config.streams);
});

test("a hand edit parses into what nginx would run", () => {
  const { config } = compileNginx(st([s("one", 7000)]));
  const edited = config.file.replace("weight=1", "weight=4").replace("proxy_timeout 1m;", "proxy_timeout 90s;");
  const one = parseOwnedFile(edited).streams[0]!;
  assert.equal(one.upstreams[0]!.weight, 4);
  assert.equal(one.idleTimeout, "1m30s");
});

test("durations are written one canonical way, largest unit first", () => {
  assert.equal(canonicalDuration("90s"), "1m30s");
  assert.equal(canonicalDuration("1h30m"), "1h30m");
  assert.equal(canonicalDuration("30m1h"), "1h30m");
  assert.equal(canonicalDuration("1500ms"), "1500ms");
  assert.equal(canonicalDuration("1d"), "1d");
  assert.equal(parseDuration("soon"), undefined);
});

test("mail ports never get a 1s idle timeout, whatever the input says", () => {
  for (const [port, floor] of MAIL_IDLE_FLOOR_MS) {
    // Mail on its own port, and mail behind another listen port.
    for (const stream of [s(`mail-${port}`, port, { timeouts: { connect: "1s", idle: "1s" } }),
      s(`alt-${port}`, 40000 + port, { timeouts: { connect: "1s", idle: "1s" }, upstreams: [{ address: `10.0.0.9:${port}`, weight: 1, maxFails: 1, failTimeout: "10s", backup: false }] })]) {
      const { config, diagnostics } = compileNginx(st([stream]));
      const c = config.streams[0]!;
      assert.ok(parseDuration(c.idleTimeout)! >= floor, `port ${port}: ${c.idleTimeout}`);
      assert.ok(!config.file.includes("proxy_timeout 1s;"), `port ${port} file has proxy_timeout 1s`);
      assert.equal(diagnostics[0]?.code, "mail-timeout-raised");
    }
  }
  // A longer timeout is kept as written; non-mail ports keep a short one.
  assert.equal(compileNginx(st([s("smtp", 25, { timeouts: { connect: "1s", idle: "2h" } })])).config.streams[0]!.idleTimeout, "2h");
  assert.equal(compileNginx(st([s("game", 7777, { timeouts: { connect: "1s", idle: "1s" } })])).config.streams[0]!.idleTimeout, "1s");
});

test("listen collisions leave the later stream out; tcp and udp on one port are fine", () => {
  const { config, diagnostics } = compileNginx(st([s("a", 7000), s("b", 7000), s("c", 7000, { protocol: "udp" }), s("d", 7000, { listen: { port: 7000 } })]));
  assert.deepEqual(config.streams.map((x) => x.name), ["a", "c", "d"]);
  assert.deepEqual(diagnostics.map((d) => [d.code, d.address]), [["listen-collision", "Stream/b"]]);
  // "0.0.0.0:7000" is the same socket as ":7000".
  const w = compileNginx(st([s("x", 7000, { listen: { port: 7000 } }), s("y", 7000, { listen: { address: "0.0.0.0", port: 7000 } })]));
  assert.deepEqual(w.diagnostics.map((d) => d.address), ["Stream/y"]);
});

test("listen and upstream addresses that could inject config are refused", () => {
  assert.equal(normalizeListen({ address: "1.2.3.4; evil", port: 1 }), undefined);
  assert.equal(normalizeListen({ address: "::1", port: 25 }), "[::1]:25");
  assert.equal(normalizeListen({ address: "0.0.0.0", port: 25 }), "25");
  assert.equal(normalizeListen({ port: 0 }), undefined);
  assert.equal(splitHostPort("a.b:1;x"), undefined);
  assert.equal(splitHostPort("host{:1"), undefined);
  assert.deepEqual(splitHostPort("[::1]:9"), { host: "[::1]", port: 9 });
  assert.equal(splitHostPort("10.0.0.1:70000"), undefined);
});
