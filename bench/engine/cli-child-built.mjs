// bench/engine/cli-child.ts for the built CLI (`npm run build`: dist/), as bin/hecate.js runs it
// when dist/ is present: no TypeScript compiled at start-up. Peak RSS written to $BENCH_RSS_FILE.
import { existsSync, writeFileSync } from "node:fs";

const built = new URL("../../dist/cli/run.js", import.meta.url);
if (!existsSync(built)) throw new Error("dist/cli/run.js is missing: run `npm run build` first");
const out = process.env.BENCH_RSS_FILE;
if (out) process.on("exit", () => writeFileSync(out, String(process.resourceUsage().maxRSS)));
const { run } = await import(built.href);
process.exitCode = await run(process.argv.slice(2));
