// The commands that act on the real systems, through the engine.
import type { CommandDef } from "../core/define.js";

export const OPERATIONS: CommandDef[] = [];
