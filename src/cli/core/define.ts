// Commands are data: a definition (name, arguments, flags, examples, handler) registered into
// commander in one place, so every command gets the same context, help and error handling.
import { Command, Option } from "./commander.js";
import type { Context, GlobalFlags } from "./context.js";
import { runCommand } from "./dispatch.js";
import type { Io } from "./io.js";

export interface Flag {
  /** commander syntax: "--host <host>", "--public", "-f, --file <path>". */
  flags: string;
  description: string;
  /** Collect every occurrence into an array. */
  repeatable?: boolean;
  choices?: readonly string[];
  hidden?: boolean;
  default?: string | boolean;
}

export type Opts = Record<string, unknown>;

export interface CommandDef {
  name: string;
  aliases?: string[];
  /** commander argument syntax, e.g. ["<name>"] or ["[paths...]"]. */
  args?: string[];
  summary: string;
  flags?: Flag[];
  /** 2-3 real command lines shown under --help. */
  examples: string[];
  /** Returns the exit code (default 0). */
  run(ctx: Context, args: unknown[], opts: Opts): Promise<number | void>;
  /**
   * Set on a command that acts on this machine by nature (starts processes, serves, moves a store
   * file): why, e.g. "starts the local stack on this machine". In remote mode it refuses, saying so.
   * Every other command runs remotely through the store and engine the context gives it.
   */
  local?: string;
  /** Commands under this one (`hecate audit verify`); the command itself still runs alone. */
  subcommands?: CommandDef[];
}

/** Shared by every registered command of one run(): the io and where the exit code lands. */
export interface RunState {
  io: Io;
  exitCode: number;
}

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

export function addFlag(cmd: Command, f: Flag): void {
  const o = new Option(f.flags, f.description);
  if (f.repeatable) o.argParser(collect);
  if (f.choices) o.choices(f.choices);
  if (f.hidden) o.hideHelp();
  if (f.default !== undefined) o.default(f.default);
  cmd.addOption(o);
}

export function register(parent: Command, def: CommandDef, state: RunState): Command {
  const cmd = parent.command(def.name).description(def.summary);
  if (def.aliases?.length) cmd.aliases(def.aliases);
  for (const a of def.args ?? []) cmd.argument(a);
  for (const f of def.flags ?? []) addFlag(cmd, f);
  addExamples(cmd, def.examples);
  for (const sub of def.subcommands ?? []) register(cmd, sub, state);
  cmd.action(async (...params: unknown[]) => {
    const self = params[params.length - 1] as Command;
    await runCommand(def, state, commandPath(self), self.optsWithGlobals() as GlobalFlags, params.slice(0, -2), self.opts());
  });
  return cmd;
}

export function addExamples(cmd: Command, examples: string[]): void {
  if (!examples.length) return;
  // Built when help is shown: under eos-hecate the same examples read in eos word order.
  cmd.addHelpText("after", ({ command }) => {
    const eos = rootOf(command).name() === EOS_NAME;
    const lines = examples.map((e) => `  $ ${eos ? toEosWords(e) : e}`);
    return `\nExamples:\n${lines.join("\n")}\n`;
  });
}

export const EOS_NAME = "eos-hecate";

/** "hecate sandbox hetzner": the command as typed. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

function rootOf(cmd: Command): Command {
  let c = cmd;
  while (c.parent) c = c.parent;
  return c;
}

/** `hecate create route app` → `eos-hecate create hecate route app` (every command in a line). */
export function toEosWords(line: string): string {
  return line.replace(/(^|[\s;&|(])hecate (\S+)/g, (_m, pre: string, verb: string) => `${pre}${EOS_NAME} ${verb} hecate`);
}

/** Usage lines in eos word order: `eos-hecate <verb> hecate [<noun>] ...`. */
export function eosCommandUsage(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  const [verb, ...rest] = names;
  return [EOS_NAME, ...(verb ? [verb, "hecate", ...rest] : []), cmd.usage()].join(" ");
}
