// Every file under test/fixtures/broken carries the diagnostics it must produce in "# expect:" lines
// (line:col: severity: message substring); this checks each lands at that exact place, and nothing else.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadPaths, resolveState } from "../../src/model/index.js";
import { formatDiagnostic } from "../../src/diag.js";

const dir = "test/fixtures/broken";
// Fixed clock: exemptions in the fixtures are judged against this date.
const now = new Date("2026-06-01T00:00:00Z");

interface Expect {
  file: string;
  line: number;
  col: number;
  severity: string;
  text: string;
}

function expectations(file: string): Expect[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .flatMap((l) => {
      const m = /^# expect: (\d+):(\d+): (error|warning): (.+)$/.exec(l);
      return m ? [{ file, line: Number(m[1]), col: Number(m[2]), severity: m[3]!, text: m[4]! }] : [];
    });
}

const units = readdirSync(dir).sort();

test("the broken corpus has at least 25 cases", () => {
  assert.ok(units.length >= 25, `only ${units.length} fixtures`);
});

for (const name of units) {
  test(`broken/${name}`, async () => {
    const p = join(dir, name);
    const files = statSync(p).isDirectory() ? readdirSync(p).sort().map((f) => join(p, f)) : [p];
    const expected = files.flatMap(expectations);
    assert.ok(expected.length > 0, `${p} has no "# expect:" lines`);
    const loaded = await loadPaths([p]);
    const { state, diagnostics } = resolveState(loaded.docs, { now });
    const all = [...loaded.diagnostics, ...diagnostics];
    const shown = all.map(formatDiagnostic).join("\n");
    for (const e of expected) {
      const hit = all.find((d) => d.pos?.file === e.file && d.pos.line === e.line && d.pos.col === e.col && d.severity === e.severity && d.message.includes(e.text));
      assert.ok(hit, `expected ${e.file}:${e.line}:${e.col}: ${e.severity}: ${e.text}\ngot:\n${shown}`);
    }
    assert.equal(all.length, expected.length, `unexpected extra diagnostics:\n${shown}`);
    // Load errors (syntax, header) drop the document before resolveState sees it; its own errors withhold the state.
    if (diagnostics.some((d) => d.severity === "error")) assert.equal(state, undefined, "a state was produced despite errors");
    else assert.ok(state, "no state although resolveState reported no error");
  });
}
