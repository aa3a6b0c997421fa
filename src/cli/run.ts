// run(argv, io): the whole CLI as a function: parse, dispatch, one top-level error handler,
// an exit code back. main.ts and eos.ts call it; tests call it in-process.
import type { RunState } from "./core/define.js";
import { processIo, type Io } from "./core/io.js";
import { runCommand } from "./core/dispatch.js";
import { directCommand } from "./direct.js";

export type { Io } from "./core/io.js";

export async function run(argv: string[], io: Partial<Io> = {}, name = "hecate"): Promise<number> {
  const full: Io = { ...processIo(), ...io };
  if (!io.isTTY && io.stdout) full.isTTY = false;
  const state: RunState = { io: full, exitCode: 0 };
  try {
    // A simple line of a command without a noun runs without commander (direct.ts).
    const direct = await directCommand(argv);
    if (direct) {
      await runCommand(direct.def, state, `${name} ${direct.def.name}`, direct.globals, direct.args, direct.opts);
      return state.exitCode;
    }
    const { buildProgram } = await import("./program.js");
    const program = await buildProgram(state, name, argv);
    await program.parseAsync(argv, { from: "user" });
    return state.exitCode;
  } catch (err) {
    const json = outputIsJson(argv);
    const color = full.isTTY && !full.env.NO_COLOR && !argv.includes("--no-color");
    // Loaded only on the way out of a failure: a command that succeeds never needs it.
    const { reportError } = await import("./core/errors.js");
    return reportError(err, full, { json, color });
  }
}

/** -o json anywhere in argv (the parsed options are gone when parsing itself failed). */
function outputIsJson(argv: string[]): boolean {
  return argv.some((a, i) => ((a === "-o" || a === "--output") && argv[i + 1] === "json") || a === "--output=json" || a === "-ojson");
}
