// Unit tests of the nginx diff: per-stream create/update/delete with dotted field paths.
import { test } from "node:test";
import assert from "node:assert/strict";
import { renderFile } from "../../compile/nginx/compile.js";
import type { NginxStream } from "../../compile/nginx/types.js";
import { diffNginx, type NginxActual } from "./diff.js";

function ns(name: string, over: Partial<NginxStream> = {}): NginxStream {
  return {
    name, protocol: "tcp", listen: "127.0.0.1:7000", balancing: "round_robin",
    upstreams: [{ address: "10.0.0.1:1", weight: 1, maxFails: 1, failTimeout: "10s", backup: false }],
    connectTimeout: "1s", idleTimeout: "1m", proxyProtocol: false, allow: [], deny: [], ...over,
  };
}
const actualOf = (streams: NginxStream[]): NginxActual => ({ path: "/x/hecate-streams.conf", exists: true, text: renderFile(streams), streams, intact: true, problems: [] });
const desiredOf = (streams: NginxStream[]) => ({ file: renderFile(streams), streams });

test("deletes, then updates, then creates, with field paths", () => {
  const before = [ns("gone"), ns("kept"), ns("moved")];
  const after = [ns("kept"), ns("moved", { listen: "127.0.0.1:7001", upstreams: [{ address: "10.0.0.1:1", weight: 3, maxFails: 1, failTimeout: "10s", backup: true }] }), ns("new")];
  const changes = diffNginx(desiredOf(after), actualOf(before));
  assert.deepEqual(changes.map((c) => `${c.action} ${c.kind} ${c.id}`), ["delete stream gone", "update stream moved", "create stream new"]);
  assert.deepEqual(changes[1]!.fields, [
    { path: "listen", before: "127.0.0.1:7000", after: "127.0.0.1:7001" },
    { path: "upstreams.0.backup", before: false, after: true },
    { path: "upstreams.0.weight", before: 1, after: 3 },
  ]);
  assert.equal(changes[0]!.resource, "Stream/gone");
});

test("same streams and same bytes: no change; same streams, other bytes: one file change", () => {
  const streams = [ns("a")];
  assert.deepEqual(diffNginx(desiredOf(streams), actualOf(streams)), []);
  const edited = { ...actualOf(streams), text: actualOf(streams).text + "# a comment\n", intact: false };
  const changes = diffNginx(desiredOf(streams), edited);
  assert.deepEqual(changes.map((c) => `${c.action} ${c.kind}`), ["update file"]);
  const missing: NginxActual = { path: "/x/f", exists: false, text: "", streams: [], intact: false, problems: [] };
  assert.deepEqual(diffNginx(desiredOf([]), missing).map((c) => `${c.action} ${c.kind}`), ["create file"]);
});
