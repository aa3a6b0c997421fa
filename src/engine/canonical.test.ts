import assert from "node:assert/strict";
import { test } from "node:test";
import { canonicalJson, fingerprint, sha256 } from "./canonical.js";

test("fingerprint is the sha256 of the model's canonical JSON, sorted input or not", () => {
  const cases: unknown[] = [
    null,
    undefined,
    "x",
    3,
    [1, undefined, { b: 1, a: [{ d: 2, c: undefined }] }],
    { a: 1, b: { c: [1, 2, { e: 1, f: 2 }] } },
    { b: 1, a: 2 },
    { "10": 1, "9": 2, a: 3 },
    { a: new Date(0), b: [new Map()] },
    { a: { toJSON: () => "x" }, b: 1 },
    Object.assign(Object.create(null), { a: 1, b: 2 }),
  ];
  for (const c of cases) assert.equal(fingerprint(c), sha256(canonicalJson(c ?? null)), JSON.stringify(c));
});

test("equal content gives equal fingerprints whatever the key order", () => {
  assert.equal(fingerprint({ a: 1, b: [{ x: 1, y: 2 }] }), fingerprint({ b: [{ y: 2, x: 1 }], a: 1 }));
  assert.notEqual(fingerprint({ a: 1 }), fingerprint({ a: 2 }));
});

test("a state whose top level is unsorted but whose parts are sorted fingerprints canonically", () => {
  const owned = { apps: { http: { servers: { a: { listen: [":80"], routes: [{ "@id": "x", handle: [{ handler: "h" }] }] } } } } };
  const v = { owned, nodes: [{ endpoint: "e", etag: "t" }], diagnostics: [] };
  assert.equal(fingerprint(v), sha256(canonicalJson(v)));
  assert.equal(fingerprint([{ b: undefined, a: 1 }, undefined]), sha256(canonicalJson([{ b: undefined, a: 1 }, undefined])));
});
