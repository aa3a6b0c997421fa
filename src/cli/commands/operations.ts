// The commands that act on the real systems, through the engine.
import type { CommandDef } from "../core/define.js";
import { apply } from "./apply.js";
import { backup, restore } from "./backup.js";
import { drift } from "./drift.js";
import { plan } from "./plan.js";
import { reconcile } from "./reconcile.js";
import { rollback } from "./rollback.js";

export const OPERATIONS: CommandDef[] = [plan, apply, drift, reconcile, rollback, backup, restore];
