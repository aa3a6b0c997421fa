// examples/ validates clean, covers every kind and preset, agrees with the JSON Schema under an
// independent validator (Ajv), and the generated schema file and docs/resources.md are up to date.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import { parse as parseYaml } from "yaml";
import { jsonSchema, KINDS, listPresets, loadPaths, parseYamlText, resolveState, type Resource } from "../../src/model/index.js";
import { renderResourcesDoc, renderSchemaFile } from "../../src/model/docs.js";
import { formatDiagnostic } from "../../src/diag.js";

const REGEN = "run `node --import tsx scripts/gen-docs.ts` and commit the result";

function yamlFiles(d: string): string[] {
  return readdirSync(d).flatMap((n) => {
    const p = join(d, n);
    return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(n) ? [p] : [];
  });
}

function ajvValidator() {
  // Formats (email, uri) are not Ajv built-ins; the zod schemas check them, this checks structure.
  const ajv = new Ajv.default({ strict: false, allErrors: true, validateFormats: false });
  return ajv.compile(jsonSchema());
}

test("examples resolve without errors or warnings", async () => {
  const loaded = await loadPaths(["examples"]);
  assert.deepEqual(loaded.diagnostics.map(formatDiagnostic), []);
  const { state, diagnostics } = resolveState(loaded.docs);
  assert.deepEqual(diagnostics.map(formatDiagnostic), []);
  assert.ok(state);
  assert.ok(state.routes.length > 10 && state.streams.length > 10);
});

test("examples cover every kind, every preset and every middleware type but rate-limit", async () => {
  const { docs } = await loadPaths(["examples"]);
  const resources = docs.map((d) => d.resource as Resource);
  for (const k of KINDS) assert.ok(resources.some((r) => r.kind === k), `no ${k} in examples/`);
  for (const p of listPresets()) {
    assert.ok(resources.some((r) => r.kind === p.kind && (r.spec as { preset?: string }).preset === p.name), `no ${p.kind} using preset ${p.name}`);
  }
  const types = new Set(resources.flatMap((r) => (r.kind === "Middleware" ? [r.spec.type] : [])));
  for (const t of ["compression", "security-headers", "ip-filter", "basic-auth", "headers", "redirect", "request-size", "audit-log"]) assert.ok(types.has(t as never), `no ${t} middleware`);
  const secrets = resources.flatMap((r) => (r.kind === "Secret" ? [r.spec.from] : []));
  for (const prefix of ["env:", "file:", "store"]) assert.ok(secrets.some((s) => s.startsWith(prefix)), `no secret from ${prefix}`);
  const issuers = new Set(resources.flatMap((r) => (r.kind === "Certificate" ? [r.spec.issuer] : [])));
  assert.deepEqual([...issuers].sort(), ["acme", "imported", "internal"]);
});

test("every example file starts with the yaml-language-server schema line", () => {
  for (const f of yamlFiles("examples")) {
    const depth = f.split("/").length - 1;
    const first = readFileSync(f, "utf8").split("\n")[0];
    assert.equal(first, `# yaml-language-server: $schema=${"../".repeat(depth)}schema/hecate.schema.json`, f);
  }
});

test("the JSON Schema accepts every example document (Ajv)", async () => {
  const validate = ajvValidator();
  const { docs } = await loadPaths(["examples"]);
  for (const d of docs) assert.ok(validate(d.resource), `${d.file}#${d.docIndex}: ${JSON.stringify(validate.errors)}`);
});

test("the JSON Schema rejects broken documents (Ajv)", () => {
  const validate = ajvValidator();
  const cases = {
    unknownField: "apiVersion: hecate.io/v1\nkind: Route\nmetadata: {name: app}\nspec: {hostz: [a.example.com], public: true}\n",
    wrongType: "apiVersion: hecate.io/v1\nkind: Route\nmetadata: {name: app}\nspec: {hosts: [a.example.com], upstreams: [{address: 'a:1', weight: heavy}]}\n",
    badApiVersion: "apiVersion: v1\nkind: Route\nmetadata: {name: app}\nspec: {hosts: [a.example.com]}\n",
    badDuration: "apiVersion: hecate.io/v1\nkind: Stream\nmetadata: {name: s}\nspec: {listen: 1, upstreams: [{address: 'a:1'}], timeouts: {idle: 10 minutes}}\n",
    badMiddlewareType: "apiVersion: hecate.io/v1\nkind: Middleware\nmetadata: {name: m}\nspec: {type: cors}\n",
    upperCaseName: "apiVersion: hecate.io/v1\nkind: Secret\nmetadata: {name: Token}\nspec: {from: store}\n",
  };
  for (const [name, text] of Object.entries(cases)) {
    assert.equal(validate(parseYaml(text)), false, `${name} was accepted`);
    // and the model agrees
    const loaded = parseYamlText(text, `${name}.yaml`);
    const errors = [...loaded.diagnostics, ...resolveState(loaded.docs).diagnostics].filter((d) => d.severity === "error");
    assert.ok(errors.length > 0, `${name}: the model accepted it`);
  }
});

test("schema/hecate.schema.json is up to date", () => {
  assert.equal(readFileSync("schema/hecate.schema.json", "utf8"), renderSchemaFile(), `schema/hecate.schema.json is stale: ${REGEN}`);
});

test("docs/resources.md is up to date", async () => {
  assert.equal(readFileSync("docs/resources.md", "utf8"), await renderResourcesDoc("examples"), `docs/resources.md is stale: ${REGEN}`);
});

test("docs/resources.md documents every kind and every preset", () => {
  const md = readFileSync("docs/resources.md", "utf8");
  for (const k of KINDS) assert.match(md, new RegExp(`^## ${k}$`, "m"));
  for (const p of listPresets()) assert.ok(md.includes(`${p.kind} preset \`${p.name}\``), p.name);
  assert.ok(md.includes("hecate schema > schema/hecate.schema.json"));
});
