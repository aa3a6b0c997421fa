import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPaths, parseYamlText, suggest } from "./load.js";

const ROUTE = `apiVersion: hecate.io/v1
kind: Route
metadata:
  name: app
spec:
  hosts: [a.example.com]
  upstreams:
    - address: "10.0.0.1:80"
      weight: 2
`;

test("pos() points at values, keyPos() at keys, and falls back to the nearest parent", () => {
  const { docs, diagnostics } = parseYamlText(`# comment\n${ROUTE}`, "r.yaml");
  assert.deepEqual(diagnostics, []);
  const d = docs[0]!;
  assert.deepEqual(d.pos(["spec", "upstreams", 0, "weight"]), { file: "r.yaml", line: 10, col: 15 });
  assert.deepEqual(d.keyPos!(["spec", "upstreams", 0, "weight"]), { file: "r.yaml", line: 10, col: 7 });
  assert.deepEqual(d.pos(["spec", "hosts", 0]), { file: "r.yaml", line: 7, col: 11 });
  // missing leaf: the parent mapping (first key of spec)
  assert.deepEqual(d.pos(["spec", "tls", "mode"]), { file: "r.yaml", line: 7, col: 3 });
  assert.deepEqual(d.pos([]), { file: "r.yaml", line: 2, col: 1 });
});

test("documents keep their index and positions in multi-document text", () => {
  const { docs } = parseYamlText(`${ROUTE}---\n${ROUTE.replace("name: app", "name: second")}`, "m.yaml");
  assert.equal(docs.length, 2);
  assert.equal(docs[1]!.docIndex, 1);
  assert.equal(docs[1]!.pos(["metadata", "name"]).line, 14);
});

test("every YAML syntax error is reported with a position, without throwing", () => {
  const { docs, diagnostics } = parseYamlText("a: [1\n---\nb: {\n---\n" + ROUTE, "bad.yaml");
  assert.equal(docs.length, 1, "the good document still loads");
  const errs = diagnostics.filter((d) => d.code === "yaml");
  assert.equal(errs.length, 2);
  assert.ok(errs.every((e) => e.pos?.file === "bad.yaml" && e.pos.line > 0));
});

test("tabs and duplicate keys are explained", () => {
  const tab = parseYamlText("a:\n\tb: 1\n", "t.yaml").diagnostics[0]!;
  assert.match(tab.message, /indent with spaces/);
  assert.deepEqual(tab.pos, { file: "t.yaml", line: 2, col: 1 });
  assert.match(parseYamlText("a: 1\na: 2\n", "d.yaml").diagnostics[0]!.message, /only once/);
});

test("unknown kind and apiVersion name the accepted values", () => {
  const k = parseYamlText("apiVersion: hecate.io/v1\nkind: Rout\nmetadata: {name: a}\nspec: {}\n", "k.yaml");
  assert.equal(k.docs.length, 0);
  assert.match(k.diagnostics[0]!.message, /unknown kind "Rout" \(did you mean "Route"\?\): expected one of Route, Upstream/);
  assert.deepEqual(k.diagnostics[0]!.pos, { file: "k.yaml", line: 2, col: 7 });
  const v = parseYamlText("apiVersion: v2\nkind: Route\n", "v.yaml");
  assert.match(v.diagnostics[0]!.message, /expected "hecate\.io\/v1"/);
  const s = parseYamlText("- just\n- a list\n", "l.yaml");
  assert.match(s.diagnostics[0]!.message, /expected a mapping/);
});

test("an empty file is a warning, empty documents between --- are skipped", () => {
  assert.equal(parseYamlText("", "e.yaml").diagnostics[0]!.severity, "warning");
  const r = parseYamlText(`---\n---\n${ROUTE}---\n`, "x.yaml");
  assert.equal(r.docs.length, 1);
  assert.deepEqual(r.diagnostics, []);
});

test("loadPaths reads directory trees recursively in sorted order and reports missing paths", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hecate-load-"));
  try {
    await mkdir(join(dir, "b"));
    await writeFile(join(dir, "b", "z.yml"), ROUTE.replace("name: app", "name: z"));
    await writeFile(join(dir, "a.yaml"), ROUTE.replace("name: app", "name: a"));
    await writeFile(join(dir, "notes.txt"), "not yaml");
    await writeFile(join(dir, "c.yaml"), ROUTE.replace("name: app", "name: c"));
    const r = await loadPaths([dir, join(dir, "missing.yaml")]);
    assert.deepEqual(r.docs.map((d) => (d.resource as { metadata: { name: string } }).metadata.name), ["a", "z", "c"]);
    assert.equal(r.diagnostics.length, 1);
    assert.match(r.diagnostics[0]!.message, /cannot read .*missing\.yaml: no such file or directory/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("suggest finds likely typos only", () => {
  assert.equal(suggest("hostz", ["hosts", "paths"]), "hosts");
  assert.equal(suggest("completely", ["hosts", "paths"]), undefined);
});
