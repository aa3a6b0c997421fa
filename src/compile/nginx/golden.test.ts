// Golden tests: each testdata/*.golden holds input streams (JSON), the expected file and diagnostics.
// Refresh the expected parts with UPDATE_GOLDEN=1 after checking the change is intended.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ResolvedState, ResolvedStream } from "../../model/resolved.js";
import { compileNginx } from "./compile.js";
import { settings, state } from "../../model/testkit.js";

const DIR = join(dirname(fileURLToPath(import.meta.url)), "testdata");
const NGINX = "\n----- nginx -----\n";
const DIAGS = "----- diagnostics -----\n";
// Rewriting golden files makes every golden test pass: a person may do it, CI never.
if (process.env.UPDATE_GOLDEN && process.env.CI && !["0", "false"].includes(process.env.CI)) {
  throw new Error("UPDATE_GOLDEN is not allowed in CI: golden files are compared there, never rewritten");
}

/** A state holding only these streams (the nginx compiler reads nothing else). */
function stateOf(streams: ResolvedStream[]): ResolvedState {
  return state([], settings(), streams);
}

for (const name of readdirSync(DIR).filter((f) => f.endsWith(".golden")).sort()) {
  test(`golden ${name}`, () => {
    const path = join(DIR, name);
    const text = readFileSync(path, "utf8");
    const cut = text.indexOf(NGINX);
    assert.ok(cut > 0, `${name}: missing "${NGINX.trim()}" separator`);
    const input = text.slice(0, cut);
    const streams = JSON.parse(input.replace(/^#.*$/gm, "")) as ResolvedStream[];
    const { config, diagnostics } = compileNginx(stateOf(streams));
    const got = `${input}${NGINX}${config.file}${DIAGS}${JSON.stringify(diagnostics, null, 2)}\n`;
    if (process.env.UPDATE_GOLDEN === "1") {
      writeFileSync(path, got);
      return;
    }
    assert.equal(got, text, `${name} differs; rerun with UPDATE_GOLDEN=1 if the change is intended`);
  });
}
