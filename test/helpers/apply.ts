// Apply one batch through a provider outside the engine, collecting the change records it reports.
import type { Change, ChangeRecord, Provider, ProviderContext } from "../../src/providers/provider.js";

export async function applyBatch<D, A>(p: Provider<D, A>, desired: D, actual: A, changes: Change[], ctx: ProviderContext): Promise<ChangeRecord[]> {
  const records: ChangeRecord[] = [];
  await p.apply({ desired, actual, changes, phase: "all" }, { ...ctx, report: async (r) => void records.push(r) });
  return records;
}
