// The compact reporter: a line per file, failures in full (name, error, stack, diagnostics, the
// file's output), a closing "N passed, N failed" line, and the run still exits non-zero on failure.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { tempDir } from "./helpers/proc.js";

const reporter = join(import.meta.dirname, "reporter.mjs");

const FILES: Record<string, string> = {
  "good.test.mjs": `import { it } from "node:test";\nit("one", () => {});\nit("two", () => {});\nit.skip("three", () => {});\n`,
  "bad.test.mjs": [
    `import { describe, it } from "node:test";`,
    `import assert from "node:assert/strict";`,
    `console.log("printed by bad");`,
    `describe("suite", () => {`,
    `  it("passes", () => {});`,
    `  it("compares", (t) => { t.diagnostic("seed 1234"); console.error("stderr of bad"); assert.deepEqual({ port: 1 }, { port: 2 }); });`,
    `});`,
  ].join("\n"),
  "crash.test.mjs": `throw new Error("boom at import");\n`,
  "slow.test.mjs": `import { it } from "node:test";\nit("waits", () => new Promise((r) => setTimeout(r, 400)));\n`,
  "fast.test.mjs": `import { it } from "node:test";\nit("a", () => {});\nit("b", () => {});\nit("c", () => {});\n`,
};

function runReporter(dir: string, names: string[], extra: string[] = []) {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  return spawnSync(process.execPath, ["--test", `--test-reporter=${reporter}`, ...extra, ...names], { cwd: dir, env, encoding: "utf8" });
}

describe("compact test reporter", () => {
  const dir = tempDir("hecate-reporter-");
  after(() => dir.cleanup());
  for (const [name, text] of Object.entries(FILES)) writeFileSync(join(dir.path, name), text);

  it("all good: one line per file, the closing line, exit 0", () => {
    const r = runReporter(dir.path, ["good.test.mjs"]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 2, r.stdout);
    assert.match(lines[0]!, /^ok +good\.test\.mjs +2 passed, 1 skipped +\d+\.\ds$/);
    assert.match(lines[1]!, /^2 passed, 0 failed, 1 skipped \(1 file, \d+\.\ds\)$/);
  });

  it("counts each file's tests even when a file ends while another is still being reported", () => {
    // Node announces a file's end when its process exits, before replaying its tests in order.
    const r = runReporter(dir.path, ["slow.test.mjs", "fast.test.mjs", "good.test.mjs"], ["--test-concurrency=3"]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ok +slow\.test\.mjs +1 passed +\d/m);
    assert.match(r.stdout, /^ok +fast\.test\.mjs +3 passed +\d/m);
    assert.match(r.stdout, /^ok +good\.test\.mjs +2 passed, 1 skipped +\d/m);
    assert.match(r.stdout, /^6 passed, 0 failed, 1 skipped \(3 files, /m);
  });

  it("failures in full, a crashed file counted, and exit 1", () => {
    const r = runReporter(dir.path, ["bad.test.mjs", "crash.test.mjs", "good.test.mjs"]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const out = r.stdout;
    assert.match(out, /^FAIL +bad\.test\.mjs +1 passed, 1 failed +\d+\.\ds$/m);
    assert.match(out, /^--- FAIL bad\.test\.mjs > suite > compares \(\d+ ms\)$/m);
    assert.match(out, /AssertionError \[ERR_ASSERTION\]: Expected values to be strictly deep-equal:/);
    assert.match(out, /^ {4}\+ {3}port: 1$/m, "the assertion's diff");
    assert.match(out, /at TestContext\.<anonymous> \(file:\/\/.*bad\.test\.mjs:6:\d+\)/, "the stack");
    const block = out.slice(out.indexOf("--- FAIL bad.test.mjs"), out.indexOf("diagnostics:"));
    assert.doesNotMatch(block, /\(node:internal/, "node's own frames are left out of the stack");
    assert.match(out, /diagnostics:\n {4}seed 1234\n/);
    assert.match(out, /output of bad\.test\.mjs:\n {4}printed by bad\n {4}stderr of bad\n/);
    assert.match(out, /^FAIL +crash\.test\.mjs +0 passed, 1 failed/m);
    assert.match(out, /Error: boom at import/);
    assert.match(out, /^ok +good\.test\.mjs/m);
    assert.doesNotMatch(out, /^# |TAP version|^ *ok \d+ - /m, "no spec/TAP output");
    assert.match(out, /\n3 passed, 2 failed, 1 skipped \(3 files, \d+\.\ds\)\n$/);
  });
});
