// The fast YAML path against the `yaml` package: whatever the fast path accepts, `yaml` must read
// without errors or warnings into the very same values; whatever else, the fast path declines.
// Inputs: the examples, hand-written edge cases, and seeded mutations of the examples.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { fastYaml } from "../../src/model/fast-yaml.js";
import { parseYamlText } from "../../src/model/index.js";
import { prng } from "../helpers/prng.js";

function yamlFiles(d: string): string[] {
  return readdirSync(d).flatMap((n) => {
    const p = join(d, n);
    return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(n) ? [p] : [];
  });
}

/** Undefined when the fast path agrees with `yaml` (or declines), else why not. */
function disagreement(text: string): string | undefined {
  const fast = fastYaml(text);
  if (!fast) return undefined;
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  if (!Array.isArray(docs)) return "yaml returned an empty stream";
  const problems = docs.flatMap((d) => [...d.errors, ...d.warnings]);
  if (problems.length) return `fast path accepted what yaml reports: ${problems[0]!.message}`;
  try {
    assert.deepStrictEqual(fast, docs.map((d) => d.toJS({ maxAliasCount: 100 })));
  } catch (err) {
    return `values differ: ${(err as Error).message}`;
  }
  return undefined;
}

const EDGES = [
  "a: 1\n", "---\na: 1\n---\nb: 2\n", "# c\n---\na: 1\n", "a: 1\n---\n", "a: 1\n...\n", "",
  "a: [x, 'y', \"z\", 1, true, null, ~]\n", "a: []\nb: {}\n", "a: [ x , y ]\n", "a: [x,]\n", "a: [x y, z]\n",
  "a: -1\nb: +2\nc: 007\nd: 0o7\ne: 0x1F\nf: 1.5\ng: .inf\nh: 1e3\ni: -0\n", "a: 99999999999999999999\n",
  "a: True\nb: FALSE\nc: Null\nd: NULL\ne: yes\nf: off\n", "a: 'it''s'\nb: \"q'\\\"\"\nc: 'a\\b'\n",
  "a: x # c\nb: x#y\nc: \"x\" # c\nd: \"x\"#c\n", "a:\n- x\n- y\nb: 1\n", "a:\n  - x\n  - k: 1\n    j: 2\n  -   m: [1]\n", "a:\n  b:\n    c: d\n",
  "a:\n  - b:\n    - c\n    d: 1\n", "a:\n\n  # note\n  b: 1\n# end\n", "a: b: c\n", "a: b:\n", "a: x\n  y\n", "a:\n", "a:\nb: 1\n",
  "a: 1\na: 2\n", "__proto__: 1\n", "null: 1\n", "true: 1\n", "a.b/c-d_e: 1\n", "a: |\n  x\n", "a: >\n  x\n", "a: &x 1\nb: *x\n", "a: !t x\n",
  "a: {b: 1}\n", "a:\n  -\n    b: 1\n", "a:\n  - - x\n", "a:\t1\n", "a: 1\r\n", "\ufeffa: 1\n", "  a: 1\n", "a: 1\n  b: 2\n", "- a\n", "a: 1\n- b\n",
  "a: x:y\nb: http://h:80/p\nc: '#'\nd: a,b\ne: a]b\n", "a: \"a\\u0041\"\n", "a: 'x\n  y'\n", "a: [x,\n  y]\n", "? a\n: 1\n", "%YAML 1.2\n---\na: 1\n",
  "a: 1   \nb:    2\n", "a:    \n  b: 1\n", "a: \u00e9t\u00e9\nb: \u00a0x\u00a0\n", "a: x \u00a0\n", "a:\n  - x\n  -\n", "a:\n- x\n  - y\n",
  "a: 1\n--- \nb: 2\n", "a: 1\n----\nb: 2\n", "a: [\"x\", 'y' ]\n", "a: [x]y\n", "a: [x] # c\n", "a: .5\nb: 5.\nc: .x\nd: x.5\n",
];

test("the fast path reads the subset exactly as yaml does, and declines the rest", () => {
  const inputs = [...EDGES, ...[...yamlFiles("examples"), ...yamlFiles("test/fixtures")].sort().map((f) => readFileSync(f, "utf8"))];
  for (const text of inputs) assert.equal(disagreement(text), undefined, JSON.stringify(text));
  // The bench's shape is in the subset (it is the point of the fast path).
  assert.ok(fastYaml(readFileSync(yamlFiles("examples").find((f) => f.endsWith("settings.yaml"))!, "utf8")));
  assert.ok(fastYaml("apiVersion: hecate.io/v1\nkind: Route\nmetadata:\n  name: r\nspec:\n  hosts: [r.example.com]\n  upstreams:\n    - address: 10.0.0.1:8080\n  tls:\n    mode: \"off\"\n"));
});

test("seeded mutations of the examples: the fast path never disagrees with yaml", () => {
  const rnd = prng(20261201);
  const tokens = [" ", "  ", "- ", ": ", ":", "#", " #", "'", '"', "[", "]", "{", "}", ",", "\n", "---\n", "~", "-", "1", ".", "0x", "true", "&a ", "*a", "\\", "''"];
  const files = yamlFiles("examples").sort().map((f) => readFileSync(f, "utf8"));
  let accepted = 0;
  for (let i = 0; i < 2000; i++) {
    let text = files[i % files.length]!;
    for (let r = 0; r < 1 + Math.floor(rnd() * 3); r++) {
      const p = Math.floor(rnd() * (text.length + 1));
      const op = Math.floor(rnd() * 4);
      if (op === 0) text = text.slice(0, p) + tokens[Math.floor(rnd() * tokens.length)] + text.slice(p);
      else if (op === 1) text = text.slice(0, p) + text.slice(p + 1 + Math.floor(rnd() * 3));
      else if (op === 2) {
        const lines = text.split("\n");
        const l = Math.floor(rnd() * lines.length);
        lines[l] = " ".repeat(1 + Math.floor(rnd() * 4)) + lines[l];
        text = lines.join("\n");
      } else {
        const lines = text.split("\n");
        const l = Math.floor(rnd() * lines.length);
        lines[l] = lines[l]!.replace(/^ {1,2}/, "");
        text = lines.join("\n");
      }
    }
    if (fastYaml(text)) accepted++;
    assert.equal(disagreement(text), undefined, `mutation ${i}: ${JSON.stringify(text)}`);
  }
  assert.ok(accepted > 100, `only ${accepted} mutations stayed in the subset: the test says little`);
});

test("positions on the fast path are the full parser's", () => {
  const text = "apiVersion: hecate.io/v1\nkind: Route\nmetadata:\n  name: r\nspec:\n  hosts: [a.example.com, 'b.example.com']\n  upstreams:\n    - address: 10.0.0.1:8080\n      weight: 2\n";
  assert.ok(fastYaml(text));
  const [d] = parseYamlText(text, "r.yaml").docs;
  assert.deepEqual(d!.pos(["spec", "hosts", 1]), { file: "r.yaml", line: 6, col: 26 });
  assert.deepEqual(d!.keyPos!(["spec", "upstreams", 0, "weight"]), { file: "r.yaml", line: 9, col: 7 });
  assert.deepEqual(d!.pos(["spec", "nothing", "deeper"]), { file: "r.yaml", line: 6, col: 3 });
  assert.deepEqual(d!.pos(["spec", "upstreams", 0, "address"]), { file: "r.yaml", line: 8, col: 16 });
});
