// Drift: reality against the last applied revision, every unmanaged edit per system. An
// unreachable system is an error in the report, never drift. Reconcile applies the last
// applied revision again.
import { HecateError } from "../diag.js";
import type { SystemName } from "../providers/provider.js";
import { apply, recoverIfFree } from "./apply.js";
import type { Core } from "./core.js";
import { targetOf } from "./core.js";
import { appliedGroups, readApplied } from "./health.js";
import type { ApplyOptions, ApplyResult, DriftReport } from "./types.js";

export async function drift(core: Core, opts: { systems?: SystemName[]; exclude?: SystemName[] } = {}): Promise<DriftReport> {
  await recoverIfFree(core);
  const applied = await core.store.lastApplied();
  if (!applied) return { systems: [], drifted: false };
  const systems = (await readApplied(core, applied, opts)).map(({ system, changes, error, nodes, revision, alone }) => ({
    system,
    changes,
    ...(error !== undefined ? { error } : {}),
    ...(nodes ? { nodes } : {}),
    ...(alone !== undefined ? { revision } : {}),
  }));
  return { revision: applied.hash, systems, drifted: systems.some((s) => s.changes.length > 0) };
}

export async function reconcile(core: Core, opts: ApplyOptions = {}): Promise<ApplyResult> {
  const applied = await core.store.lastApplied();
  if (!applied) throw new HecateError("no-revision", "nothing has been applied yet, so there is nothing to reconcile to", { status: 404 });
  const groups = await appliedGroups(core, applied, opts.systems ? { systems: opts.systems } : {});
  if (groups.length === 1) return apply(core, { revision: applied.hash }, opts);
  // Systems applied alone since (`apply --system`) are put back to their own revision, each group
  // as an apply of its own, the others to the applied one.
  const results: ApplyResult[] = [];
  for (const g of groups) {
    results.push(await apply(core, { revision: g.revision.hash, ...(g.exclude ? { exclude: g.exclude } : {}) }, { ...opts, ...(g.systems ? { systems: g.systems } : {}) }));
  }
  return merged(results);
}

/** One result for applies of several groups: the first that failed, else the last that did anything. */
function merged(results: ApplyResult[]): ApplyResult {
  const failed = results.find((r) => r.status === "failed" || r.status === "rolled-back");
  const acted = [...results].reverse().find((r) => r.status !== "no-op");
  const pick = failed ?? acted ?? results[0]!;
  return { ...pick, steps: results.flatMap((r) => r.steps), diagnostics: results.flatMap((r) => r.diagnostics) };
}
