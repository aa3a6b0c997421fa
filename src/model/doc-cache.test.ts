import assert from "node:assert/strict";
import { test } from "node:test";
import { DocumentCache } from "./doc-cache.js";
import { fastYaml } from "./fast-yaml.js";
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

test("files sent again as bytes, edited anywhere, read as parseYamlText reads them; unchanged documents keep their values", () => {
  // Random edits of random files, as bytes: every result is checked against a fresh full read.
  let seed = 7;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const pieces = [
    ...Array.from({ length: 12 }, (_, i) => route(`r${i}`, 8000 + i)),
    "# a comment\n",
    "",
    `${route("é")}`.replace("10.0.0.1", "10.0.0.2"),
    "kind: Route\nnote: |\n  ---\n  text\n",
    "apiVersion: hecate.io/v1\nkind: Route\nmetadata: {name: flow}\nspec: {hosts: [flow.test], upstreams: [{address: \"10.0.0.1:80\"}], public: true}\n",
  ];
  const separators = ["---\n", "---\n", "---\n", "\n---\n", "----\n", "---\r\n"];
  const file = (n: number) => {
    let text = rand(4) === 0 ? "# header\n---\n" : "";
    for (let i = 0; i < n; i++) text += (i ? separators[rand(separators.length)]! : "") + pieces[rand(pieces.length)]!;
    return text;
  };
  const edit = (text: string) => {
    const at = rand(text.length + 1);
    const cut = rand(3) === 0 ? rand(40) : 0;
    const insert = rand(2) === 0 ? "" : [separators[rand(separators.length)]!, pieces[rand(pieces.length)]!, "x", "\n"][rand(4)]!;
    return text.slice(0, at) + insert + text.slice(at + cut);
  };
  const cache = new DocumentCache();
  const load = (files: Record<string, string>) => {
    cache.begin();
    try {
      return Object.fromEntries(Object.entries(files).map(([name, text]) => [name, cache.parse(Buffer.from(text), name)]));
    } finally {
      cache.end();
    }
  };
  for (let round = 0; round < 250; round++) {
    const a = file(rand(30));
    const b = rand(2) ? edit(a) : edit(edit(a));
    const first = load({ "a.yaml": a });
    const second = load({ "a.yaml": b, ...(rand(3) === 0 ? { "c.yaml": a } : {}) });
    for (const [name, got] of Object.entries(second)) {
      const want = parseYamlText(name === "a.yaml" ? b : a, name);
      const context = JSON.stringify({ a, b });
      assert.deepEqual(got.docs.map((d) => d.resource), want.docs.map((d) => d.resource), context);
      assert.deepEqual(got.diagnostics, want.diagnostics, context);
      assert.deepEqual(got.docs.map((d) => d.pos(["metadata", "name"])), want.docs.map((d) => d.pos(["metadata", "name"])), context);
    }
    // A file sent unchanged hands out the very objects it did before (one the fast reader takes).
    const same = load({ "a.yaml": b });
    if (fastYaml(b)) second["a.yaml"]!.docs.forEach((d, i) => assert.equal(same["a.yaml"]!.docs[i]!.resource, d.resource));
    void first;
  }
});

test("a one-document edit of a large file reads that document only; the others are the same objects", () => {
  const cache = new DocumentCache();
  const names = Array.from({ length: 500 }, (_, i) => `r${i}`);
  const text = (changed: number) => names.map((n, i) => route(n, i === changed ? 9999 : 8080)).join("---\n");
  const read = (t: string) => {
    cache.begin();
    try {
      return cache.parse(Buffer.from(t), "routes.yaml").docs.map((d) => d.resource);
    } finally {
      cache.end();
    }
  };
  let before = read(text(-1));
  for (const changed of [0, 1, 250, 498, 499]) {
    const after = read(text(changed));
    after.forEach((r, i) => (i === changed ? assert.notEqual(r, before[i]) : assert.equal(r, before[i], `document ${i} after an edit of ${changed}`)));
    assert.equal((after[changed]!.spec as { upstreams: { address: string }[] }).upstreams[0]!.address, "10.0.0.1:9999");
    // Back to the first text for the next edit (the edited document read anew: only the last load is kept).
    before = read(text(-1));
  }
  // A document moved to another place is found by its text, not read anew.
  const moved = [...names.slice(1, 250), names[0]!, ...names.slice(250)].map((n) => route(n)).join("---\n");
  assert.equal(read(moved)[249], before[0]);
});
