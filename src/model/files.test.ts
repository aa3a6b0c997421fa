import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readYamlBytes, readYamlFiles } from "./files.js";

test("a file that is not UTF-8 is refused by name, read as text or as bytes; the others are read", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hecate-files-"));
  try {
    writeFileSync(join(dir, "a.yaml"), "name: café\n");
    writeFileSync(join(dir, "b.yaml"), Buffer.from("name: café\n", "latin1"));
    const text = readYamlFiles([dir]);
    assert.deepEqual(text.files, [{ name: join(dir, "a.yaml"), text: "name: café\n" }]);
    assert.deepEqual(text.diagnostics, [{ severity: "error", code: "read", message: `cannot read ${join(dir, "b.yaml")}: not UTF-8 text (save it as UTF-8)` }]);
    const bytes = readYamlBytes([dir]);
    assert.deepEqual(bytes.files.map((f) => [f.name, f.bytes.toString("utf8")]), [[join(dir, "a.yaml"), "name: café\n"]]);
    assert.deepEqual(bytes.diagnostics, text.diagnostics);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
