// The `hecate` executable: runs the CLI on the process's argv and sets the exit code.
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { run } from "./run.js";

export { run } from "./run.js";
export type { Io } from "./run.js";

/** True when this file (directly, or through bin/hecate.js) is the program being run. */
export function isEntry(moduleUrl: string, binName: string): boolean {
  const arg = process.argv[1];
  if (!arg) return false;
  let entry: string;
  try {
    entry = realpathSync(arg);
  } catch {
    return false;
  }
  const self = fileURLToPath(moduleUrl);
  return entry === self || entry.endsWith(`/bin/${binName}.js`) || entry.endsWith(`\\bin\\${binName}.js`);
}

if (isEntry(import.meta.url, "hecate")) {
  process.exitCode = await run(process.argv.slice(2));
}
