import { test } from "node:test";
import assert from "node:assert/strict";
import { canonicalJson, hashResources, toYaml } from "./serialize.js";
import { sortResources } from "./canonical-json.js";
import { parseYamlText } from "./load.js";
import type { Resource } from "./schema.js";

const a = { apiVersion: "hecate.io/v1", kind: "Route", metadata: { name: "a" }, spec: { public: true, hosts: ["a.example.com"], upstreams: [{ weight: 2, address: "x:1" }] } } as unknown as Resource;
const aReordered = { spec: { upstreams: [{ address: "x:1", weight: 2 }], hosts: ["a.example.com"], public: true }, metadata: { name: "a" }, kind: "Route", apiVersion: "hecate.io/v1" } as unknown as Resource;
const s = { apiVersion: "hecate.io/v1", kind: "Secret", metadata: { name: "t" }, spec: { from: "store" } } as unknown as Resource;

test("canonicalJson sorts keys at every level and keeps array order", () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [2, 1], c: undefined } }), '{"a":{"d":[2,1]},"b":1}');
});

test("hashResources ignores key order and document order but not content", () => {
  assert.equal(hashResources([a, s]), hashResources([s, aReordered]));
  assert.match(hashResources([a]), /^[0-9a-f]{64}$/);
  const changed = structuredClone(a) as unknown as { spec: { upstreams: { weight: number }[] } };
  changed.spec.upstreams[0]!.weight = 3;
  assert.notEqual(hashResources([a]), hashResources([changed as unknown as Resource]));
});

test("toYaml writes canonical documents in schema key order that parse back to the same resources", () => {
  const text = toYaml([s, aReordered]);
  assert.ok(text.startsWith("---\napiVersion: hecate.io/v1\nkind: Route\nmetadata:\n  name: a\nspec:\n  hosts:"), text);
  assert.ok(text.indexOf("address:") < text.indexOf("weight:"));
  assert.ok(text.indexOf("kind: Route") < text.indexOf("kind: Secret"));
  const back = parseYamlText(text, "t.yaml").docs.map((d) => d.resource);
  assert.equal(hashResources(back), hashResources([a, s]));
  assert.equal(toYaml(back), text);
});

test("sortResources: by kind as KINDS lists them, then by name; kinds it does not list last", () => {
  const r = (kind: string, name: string) => ({ kind, metadata: { name } });
  const input = [r("Settings", "settings"), r("AuthPolicy", "staff"), r("Route", "b"), r("Zebra", "z2"), r("Route", "a"), r("Upstream", "u"), r("Zebra", "z1"), r("Route", "c")];
  assert.deepEqual(
    sortResources(input).map((x) => `${x.kind}/${x.metadata.name}`),
    ["Route/a", "Route/b", "Route/c", "Upstream/u", "AuthPolicy/staff", "Settings/settings", "Zebra/z1", "Zebra/z2"],
  );
  // The input is left as it was; an input already in order gives the same order.
  assert.equal(input[0]!.kind, "Settings");
  const sorted = sortResources(input);
  assert.deepEqual(sortResources(sorted), sorted);
  assert.notEqual(sortResources(sorted), sorted, "a new array");
});
