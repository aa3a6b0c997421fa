import { readFileSync, writeFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadPaths, resolveState } from "./src/model/index.js";
const dir = "test/fixtures/broken";
const now = new Date("2026-06-01T00:00:00Z");
for (const name of readdirSync(dir).sort()) {
  const p = join(dir, name);
  const r = await loadPaths([p]);
  const s = resolveState(r.docs, { now });
  const diags = [...r.diagnostics, ...s.diagnostics];
  const files = statSync(p).isDirectory() ? readdirSync(p).sort().map((f) => join(p, f)) : [p];
  for (const f of files) {
    const mine = diags.filter((d) => d.pos?.file === f);
    const text = readFileSync(f, "utf8");
    const todos = text.split("\n").filter((l) => l === "# expect: TODO").length;
    console.log(`== ${f} (${todos} TODO, ${mine.length} diags)`);
    for (const d of mine) console.log(`   ${d.pos!.line}:${d.pos!.col}: ${d.severity}: ${d.message}`);
    const other = diags.filter((d) => !d.pos);
    for (const d of other) console.log(`   NOPOS ${d.severity}: ${d.message}`);
    if (todos === mine.length && todos > 0 && process.argv[2] === "write") {
      let i = 0;
      const out = text.split("\n").map((l) => (l === "# expect: TODO" ? `# expect: ${mine[i]!.pos!.line}:${mine[i]!.pos!.col}: ${mine[i]!.severity}: ${mine[i++]!.message.slice(0, 90).replace(/\s+\S*$/, "")}` : l)).join("\n");
      writeFileSync(f, out);
    }
  }
}
