// The hecate CLI as bench/engine/history.ts runs it: one process per command, its peak RSS
// written to $BENCH_RSS_FILE when it exits (what `/usr/bin/time -f %M` would report).
import { writeFileSync } from "node:fs";
import { run } from "../../src/cli/run.js";

const out = process.env.BENCH_RSS_FILE;
if (out) process.on("exit", () => writeFileSync(out, String(process.resourceUsage().maxRSS)));
process.exitCode = await run(process.argv.slice(2));
