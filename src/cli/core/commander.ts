// commander, loaded with require: it is CommonJS, and Node's ESM wrapping of it (parsing its
// sources for export names) is a measurable part of every command's start-up (issue 17).
import { createRequire } from "node:module";

type Commander = typeof import("commander");
const commander = createRequire(import.meta.url)("commander") as Commander;

export const Command = commander.Command;
export type Command = import("commander").Command;
export const Option = commander.Option;
export type Option = import("commander").Option;
export const CommanderError = commander.CommanderError;
export type CommanderError = import("commander").CommanderError;
