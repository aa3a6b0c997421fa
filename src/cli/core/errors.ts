// The one top-level error handler: decides how a failure looks and which exit code it gets.
// 0 ok, 1 error, 2 usage. People see `error: message` and diagnostics, never a stack trace
// (unless HECATE_DEBUG=1); with -o json the same error is one JSON object on stderr.
import { CommanderError } from "./commander.js";
import { formatDiagnostic, HecateError, sortDiagnostics } from "../../diag.js";
import type { Io } from "./io.js";
import { makePaint } from "./output.js";

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

export function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return EXIT_OK;
    return EXIT_USAGE;
  }
  if (err instanceof HecateError && err.code === "usage") return EXIT_USAGE;
  return EXIT_ERROR;
}

export function reportError(err: unknown, io: Io, opts: { json: boolean; color: boolean }): number {
  const code = exitCodeFor(err);
  // commander has already printed its own message (through configureOutput).
  if (err instanceof CommanderError) return code;
  const paint = makePaint(opts.color);
  const debug = io.env.HECATE_DEBUG === "1";
  if (err instanceof HecateError) {
    if (opts.json) {
      io.stderr.write(JSON.stringify({ error: { code: err.code, message: err.message, diagnostics: err.diagnostics } }, null, 2) + "\n");
    } else {
      io.stderr.write(`${paint("red", "error:")} ${err.message}\n`);
      // A diagnostic that only repeats the message (no position, no address) is not printed twice.
      const extra = err.diagnostics.filter((d) => d.message !== err.message || d.pos || d.address);
      for (const d of sortDiagnostics(extra)) io.stderr.write(`  ${formatDiagnostic(d)}\n`);
      if (code === EXIT_USAGE) io.stderr.write("(run with --help for usage)\n");
    }
  } else {
    const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
    if (opts.json) io.stderr.write(JSON.stringify({ error: { code: "internal", message } }) + "\n");
    else io.stderr.write(`${paint("red", "error:")} ${message}${debug ? "" : " (set HECATE_DEBUG=1 for details)"}\n`);
  }
  if (debug && err instanceof Error && err.stack) io.stderr.write(err.stack + "\n");
  return code;
}
