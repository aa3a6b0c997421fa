import { test } from "node:test";
import assert from "node:assert/strict";
import { parseYamlText } from "./load.js";
import { checkDocument, formatPath } from "./check.js";

function check(yaml: string) {
  const d = parseYamlText(yaml, "c.yaml").docs[0]!;
  return checkDocument(d.resource, { address: "x", pos: (p) => d.pos(p), keyPos: (p) => d.keyPos!(p) });
}
const head = (kind: string, name = "a") => `apiVersion: hecate.io/v1\nkind: ${kind}\nmetadata:\n  name: ${name}\n`;

test("all problems of a document are reported in one run, each at its field", () => {
  const r = check(`${head("Route", "Bad_Name")}spec:\n  hostz: [a]\n  hosts: []\n  upstreams:\n    - address: "a:1"\n      weight: 200\n  tls:\n    mode: acme\n`);
  const msgs = r.diagnostics.map((d) => `${d.pos?.line}:${d.pos?.col} ${d.message}`);
  assert.equal(r.resource, undefined);
  assert.equal(msgs.length, 5, msgs.join("\n"));
  assert.ok(msgs.some((m) => m.startsWith("4:9 metadata.name: expected lower-case letters")));
  assert.ok(msgs.includes('6:3 unknown field "hostz" in Route spec (did you mean "hosts"?)'));
  assert.ok(msgs.includes("7:10 spec.hosts: expected at least 1 item, got 0"));
  assert.ok(msgs.includes("10:15 spec.upstreams[0].weight: expected an integer from 1 to 100, got 200"));
  assert.ok(msgs.includes('12:11 spec.tls.mode: expected one of "auto", "internal", "off", got "acme"'));
});

test("unknown fields far from any known one list the known fields", () => {
  const r = check(`${head("Secret")}spec:\n  from: store\n  valueeeeeeeeee: x\n`);
  assert.match(r.diagnostics[0]!.message, /unknown field "valueeeeeeeeee" in Secret spec; known fields: from/);
});

test("middleware fields are checked against their type's schema", () => {
  const r = check(`${head("Middleware")}spec:\n  type: redirect\n  kind: custom\n  too: https://x.example.com\n`);
  assert.match(r.diagnostics[0]!.message, /unknown field "too" in Middleware spec \(did you mean "to"\?\)/);
});

test("unions and secrets explain what they accept", () => {
  const s = check(`${head("Stream")}spec:\n  listen: true\n  upstreams: [{address: "a:1"}]\n`);
  assert.match(s.diagnostics[0]!.message, /spec\.listen: expected an integer from 1 to 65535 or a string, got true/);
  const c = check(`${head("Certificate")}spec:\n  hosts: [a.example.com]\n  issuer: imported\n  key: "-----BEGIN PRIVATE KEY-----"\n`);
  assert.match(c.diagnostics[0]!.message, /spec\.key: expected a secret reference: "secret:NAME", "env:VAR" or "file:\/path"/);
});

test("missing required fields point at the parent key", () => {
  const r = check(`${head("Middleware")}spec:\n  type: rate-limit\n  window: 1m\n`);
  assert.equal(r.diagnostics[0]!.message, 'missing required field "requests" in Middleware spec (an integer of at least 1)');
  assert.deepEqual([r.diagnostics[0]!.pos?.line, r.diagnostics[0]!.pos?.col], [5, 1]);
});

test("documents without positions use the address", () => {
  const r = checkDocument({ apiVersion: "hecate.io/v1", kind: "Secret", metadata: { name: "s" }, spec: { from: "vault" } }, { address: "Secret/s" });
  assert.equal(r.diagnostics[0]!.address, "Secret/s");
  assert.equal(r.diagnostics[0]!.pos, undefined);
});

test("formatPath renders YAML paths the way people write them", () => {
  assert.equal(formatPath(["spec", "upstreams", 0, "weight"]), "spec.upstreams[0].weight");
  assert.equal(formatPath(["spec", "headers", "set", "X-Frame"]), 'spec.headers.set["X-Frame"]');
});
