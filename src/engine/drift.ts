// Drift: reality against the last applied revision, every unmanaged edit per system. An
// unreachable system is an error in the report, never drift. Reconcile applies the last
// applied revision again.
import { HecateError } from "../diag.js";
import type { SystemName } from "../providers/provider.js";
import { apply, recoverIfFree } from "./apply.js";
import type { Core } from "./core.js";
import { targetOf } from "./core.js";
import { readSystems } from "./health.js";
import type { ApplyOptions, ApplyResult, DriftReport } from "./types.js";

export async function drift(core: Core, opts: { systems?: SystemName[]; exclude?: SystemName[] } = {}): Promise<DriftReport> {
  await recoverIfFree(core);
  const applied = await core.store.lastApplied();
  if (!applied) return { systems: [], drifted: false };
  const systems = (await readSystems(core, targetOf(applied), opts)).map(({ system, changes, error, nodes }) => ({ system, changes, ...(error !== undefined ? { error } : {}), ...(nodes ? { nodes } : {}) }));
  return { revision: applied.hash, systems, drifted: systems.some((s) => s.changes.length > 0) };
}

export async function reconcile(core: Core, opts: ApplyOptions = {}): Promise<ApplyResult> {
  const applied = await core.store.lastApplied();
  if (!applied) throw new HecateError("no-revision", "nothing has been applied yet, so there is nothing to reconcile to", { status: 404 });
  return apply(core, { revision: applied.hash }, opts);
}
