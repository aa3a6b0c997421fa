// Golden tests: each testdata/*.golden holds input YAML, the record sets Hecate would own at
// Hetzner (zone-file lines, as `hecate render dns` prints them) and the diagnostics.
// Refresh the expected parts with UPDATE_GOLDEN=1 after checking the change is intended.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseYamlText } from "../../model/load.js";
import { resolveState } from "../../model/resolve.js";
import { compileDns } from "./records.js";
import { renderZone } from "./zonefile.js";

const DIR = join(dirname(fileURLToPath(import.meta.url)), "testdata");
const DNS = "\n----- dns -----\n";
const DIAGS = "----- diagnostics -----\n";
// Rewriting golden files makes every golden test pass: a person may do it, CI never.
if (process.env.UPDATE_GOLDEN && process.env.CI && !["0", "false"].includes(process.env.CI)) {
  throw new Error("UPDATE_GOLDEN is not allowed in CI: golden files are compared there, never rewritten");
}

for (const name of readdirSync(DIR).filter((f) => f.endsWith(".golden")).sort()) {
  test(`golden ${name}`, () => {
    const path = join(DIR, name);
    const text = readFileSync(path, "utf8");
    const cut = text.indexOf(DNS);
    assert.ok(cut > 0, `${name}: missing "${DNS.trim()}" separator`);
    const input = text.slice(0, cut);
    const loaded = parseYamlText(input, name);
    const { state, diagnostics } = resolveState(loaded.docs);
    const compiled = state ? compileDns(state) : undefined;
    const labels = compiled ? Object.values(compiled.desired.rrsets).map((r) => `; ${r.zone} ${r.name} ${r.type}: ${Object.entries(r.labels).map(([k, v]) => `${k}=${v}`).join(" ")}`).join("\n") + "\n" : "";
    const diags = [...loaded.diagnostics, ...diagnostics, ...(compiled?.diagnostics ?? [])].map((d) => `${d.pos ? `${d.pos.line}:${d.pos.col} ` : ""}${d.severity} ${d.code}: ${d.message}`);
    const got = `${input}${DNS}${compiled ? renderZone(compiled.desired) : ""}${labels}${DIAGS}${diags.join("\n")}${diags.length ? "\n" : ""}`;
    if (process.env.UPDATE_GOLDEN === "1") {
      writeFileSync(path, got);
      return;
    }
    assert.equal(got, text, `${name} differs; rerun with UPDATE_GOLDEN=1 if the change is intended`);
  });
}
