import assert from "node:assert/strict";
import { test } from "node:test";
import { DocumentCache } from "./doc-cache.js";
import { parseYamlText } from "./load.js";
import { resolveState } from "./resolve.js";

const route = (name: string, port = 8080) =>
  `apiVersion: hecate.io/v1\nkind: Route\nmetadata:\n  name: ${name}\nspec:\n  hosts: [${name}.example.com]\n  upstreams:\n    - address: 10.0.0.1:${port}\n  public: true\n`;

const TEXTS = [
  route("a"),
  `# header\n---\n${route("a")}---\n${route("b")}`,
  `---\n${route("a")}---\n${route("b")}\n# trailing comment\n`,
  `${route("a")}---\n---\n${route("b")}`, // an empty document: the full parser's case
  `${route("a")}---\n`, // ends with a separator
  `${route("a")}---\nkind: Route\nnote: |\n  ---\n  text\n`, // a block scalar: the full parser's case
  route("a").replace(/\n/g, "\r\n"),
  `apiVersion: hecate.io/v1\nkind: Route\nmetadata: {name: x}\nspec: {hosts: [x.test], upstreams: [{address: "10.0.0.1:80"}], public: true}\n`,
  "",
  "# only a comment\n",
  `${route("a")}---\n---\n---\n${route("b")}`, // separators in a row
  `${route("a")}---`, // a separator at the very end, no newline after it
  `---\n${route("a")}----\n--- \n${route("b")}`, // "----" and "--- " separate nothing
  `${route("a")}---\r\n${route("b")}`, // nor does "---" before a carriage return
  "---",
  "---\n---\n",
];

test("reading through the cache gives what parseYamlText gives, documents and diagnostics", () => {
  const cache = new DocumentCache();
  for (const text of TEXTS) {
    for (let round = 0; round < 2; round++) {
      const want = parseYamlText(text, "f.yaml");
      const got = cache.parse(text, "f.yaml");
      assert.deepEqual(got.docs.map((d) => d.resource), want.docs.map((d) => d.resource), JSON.stringify(text));
      assert.deepEqual(got.diagnostics, want.diagnostics, JSON.stringify(text));
    }
  }
});

test("a document sent again is the same (frozen) value; a changed one is read anew", () => {
  const cache = new DocumentCache();
  const load = (text: string) => {
    cache.begin();
    try {
      return cache.parse(text, "routes.yaml").docs.map((d) => d.resource);
    } finally {
      cache.end();
    }
  };
  const first = load(`${route("a")}---\n${route("b")}---\n${route("c")}`);
  const second = load(`${route("a")}---\n${route("b", 9090)}---\n${route("c")}`);
  assert.equal(second[0], first[0]);
  assert.notEqual(second[1], first[1]);
  assert.equal(second[2], first[2]);
  assert.equal((second[1]!.spec as { upstreams: { address: string }[] }).upstreams[0]!.address, "10.0.0.1:9090");
  assert.ok(Object.isFrozen(second[0]) && Object.isFrozen(second[0]!.spec));
  // Only what the last load used is kept.
  load(route("z"));
  assert.notEqual(load(`${route("a")}---\n${route("b")}`)[0], first[0]);
});

test("a reused document's diagnostics point at where it is now, not where it was first read", () => {
  const cache = new DocumentCache();
  const dup = route("dup");
  cache.begin();
  cache.parse(dup, "a.yaml");
  cache.end();
  // The same document, now the third in another file, and the first takes its host.
  const text = `${route("x").replace("x.example.com", "dup.example.com")}---\n${route("y")}---\n${dup}`;
  const { diagnostics } = resolveState(cache.parse(text, "b.yaml").docs);
  const want = resolveState(parseYamlText(text, "b.yaml").docs).diagnostics;
  assert.match(diagnostics.map((d) => d.message).join("\n"), /route "dup" \(b\.yaml:2\d:\d+\)/);
  assert.deepEqual(diagnostics, want);
});
