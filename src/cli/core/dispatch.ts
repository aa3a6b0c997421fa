// Running one command's definition, the same whether commander parsed the command line
// (define.ts) or direct.ts did: one context, the remote-mode refusal, the exit code, the close.
import { HecateError } from "../../diag.js";
import { Context, type GlobalFlags } from "./context.js";
import type { CommandDef, Opts, RunState } from "./define.js";

/** `path`: the command as typed ("hecate serve"), for messages. */
export async function runCommand(def: CommandDef, state: RunState, path: string, globals: GlobalFlags, args: unknown[], opts: Opts): Promise<void> {
  const ctx = new Context(state.io, globals);
  try {
    if (def.local && ctx.remote) {
      throw new HecateError(
        "local-only",
        `\`${path}\` ${def.local}, so it does not run through the API; HECATE_API_ENDPOINT (or --endpoint) says to use ${ctx.remote.endpoint}: unset it to run it here`,
      );
    }
    state.exitCode = (await def.run(ctx, args, opts)) ?? 0;
  } finally {
    await ctx.close();
  }
}
