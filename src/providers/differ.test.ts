import assert from "node:assert/strict";
import { test } from "node:test";
import { fieldChanges, sameValue } from "./differ.js";

const r = (id: string, dial = "10.0.0.1:80") => ({ "@id": id, handle: [{ handler: "reverse_proxy", upstreams: [{ dial }] }] });

test("a route removed from a list of @id objects is that route's change, not every later one shifted", () => {
  const before = { routes: [r("a"), r("b"), r("c"), r("d")] };
  const after = { routes: [r("a"), r("c"), r("d")] };
  assert.deepEqual(fieldChanges(before, after), [{ path: "routes[b]", before: r("b") }]);
});

test("@id lists: an edit is under its @id, an added object is one change, a new order is one change", () => {
  assert.deepEqual(fieldChanges({ routes: [r("a"), r("b")] }, { routes: [r("a"), r("b", "10.0.0.2:80")] }), [
    { path: "routes[b].handle.0.upstreams.0.dial", before: "10.0.0.1:80", after: "10.0.0.2:80" },
  ]);
  assert.deepEqual(fieldChanges({ routes: [r("a")] }, { routes: [r("a"), r("n")] }), [{ path: "routes[n]", after: r("n") }]);
  assert.deepEqual(fieldChanges({ routes: [r("a"), r("b")] }, { routes: [r("b"), r("a")] }), [{ path: "routes (order)", before: ["a", "b"], after: ["b", "a"] }]);
  assert.equal(sameValue({ routes: [r("a"), r("b")] }, { routes: [r("b"), r("a")] }), false);
  assert.equal(sameValue({ routes: [r("a"), r("b")] }, { routes: [r("a"), r("b")] }), true);
});

test("lists without unique @ids are still compared by position", () => {
  assert.deepEqual(fieldChanges({ xs: [1, 2, 3] }, { xs: [1, 3] }), [
    { path: "xs.1", before: 2, after: 3 },
    { path: "xs.2", before: 3 },
  ]);
  assert.deepEqual(fieldChanges({ xs: [r("a"), r("a")] }, { xs: [r("a")] }), [{ path: "xs.1", before: r("a") }]);
});
