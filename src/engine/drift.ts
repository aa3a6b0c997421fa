// Drift: reality against the last applied revision, every unmanaged edit per system. An
// unreachable system is an error in the report, never drift. Reconcile applies the last
// applied revision again.
import { HecateError } from "../diag.js";
import { REGISTRY } from "../providers/registry.js";
import type { Change, SystemName } from "../providers/provider.js";
import { apply, recoverIfFree } from "./apply.js";
import type { Core } from "./core.js";
import { targetOf } from "./core.js";
import { errorText, withTimeout } from "./transaction.js";
import type { ApplyOptions, ApplyResult, DriftReport } from "./types.js";

export async function drift(core: Core, opts: { systems?: SystemName[]; exclude?: SystemName[] } = {}): Promise<DriftReport> {
  await recoverIfFree(core);
  const applied = await core.store.lastApplied();
  if (!applied) return { systems: [], drifted: false };
  const target = targetOf(applied);
  const state = core.resolve(target);
  await core.refreshIssued(state);
  const { providers } = await core.providersFor(target, opts);
  const ctx = core.ctx(applied.resources);
  const systems = await Promise.all(
    [...providers.values()].map(async (p) => {
      try {
        const actual = await withTimeout(`read of ${p.system}`, core.timeoutMs, undefined, (signal) => p.read({ ...ctx, signal }));
        const desired = core.compile(p, state).desired;
        const nodes = p.nodes?.(desired, actual) ?? [];
        return { system: p.system, changes: p.diff(desired, actual), ...(nodes.length ? { nodes } : {}) };
      } catch (e) {
        return { system: p.system, changes: [] as Change[], error: `cannot read ${p.system}: ${errorText(e)}` };
      }
    }),
  );
  const order = REGISTRY.map((d) => d.system);
  systems.sort((a, b) => order.indexOf(a.system) - order.indexOf(b.system));
  return { revision: applied.hash, systems, drifted: systems.some((s) => s.changes.length > 0) };
}

export async function reconcile(core: Core, opts: ApplyOptions = {}): Promise<ApplyResult> {
  const applied = await core.store.lastApplied();
  if (!applied) throw new HecateError("no-revision", "nothing has been applied yet, so there is nothing to reconcile to", { status: 404 });
  return apply(core, { revision: applied.hash }, opts);
}
