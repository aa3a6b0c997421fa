// Recovery of applies whose process died (crash, SIGKILL, lost host): undo from the journal
// alone, change by change in reverse, then restore what is still not as before, and record it.
import { dropSealed, unsealRecord } from "./seal.js";
import type { ChangeRecord, SystemName } from "../providers/provider.js";
import type { ApplyRecord, Fence, Store } from "../store/store.js";
import { APPLY_LOCK, holderDead } from "./lock.js";
import { undoChanges, type DoneChange, type TxSystem } from "./transaction.js";
import type { ProviderContext } from "../providers/provider.js";

export interface RecoveryReport {
  applyId: string;
  revision: string;
  holder: string;
  status: "rolled-back" | "failed";
  steps: { system: SystemName; status: "undone" | "undo-failed"; error?: string }[];
}

export interface JournalTrace {
  /** Systems in the order their first step started. */
  touched: SystemName[];
  /** Fingerprint of each system before the apply, from its first step.start. */
  before: Map<SystemName, string | undefined>;
  /** Reported changes in the order they completed; records may still be sealed. */
  done: { n: number; system: SystemName; data: unknown }[];
  /** Numbers of changes already undone (a recovery that was itself interrupted). */
  undone: Set<number>;
}

/** What the journal says the apply went through. */
export function traceJournal(entries: { event: string; system?: string; data?: unknown }[]): JournalTrace {
  const t: JournalTrace = { touched: [], before: new Map(), done: [], undone: new Set() };
  for (const e of entries) {
    if (!e.system) continue;
    const data = (e.data ?? {}) as { before?: unknown; n?: unknown; record?: unknown };
    if (e.event === "step.start" && !t.touched.includes(e.system)) {
      t.touched.push(e.system);
      t.before.set(e.system, typeof data.before === "string" ? data.before : undefined);
    } else if (e.event === "change.done" && typeof data.n === "number") t.done.push({ n: data.n, system: e.system, data: data.record });
    else if (e.event === "undo.done" && typeof data.n === "number") t.undone.add(data.n);
  }
  return t;
}

/** Applies still marked running whose holder is gone. */
export async function abandonedApplies(store: Store, self: string): Promise<ApplyRecord[]> {
  const running = await store.listApplies({ status: "running" });
  if (running.length === 0) return [];
  const lock = await store.getLock(APPLY_LOCK);
  return running.filter((a) => a.holder !== self && holderDead(a.holder, lock));
}

/**
 * Undo one abandoned apply. The caller holds the apply lock. `system` gives, per system the
 * journal names, its provider and the state to restore; a missing one leaves that system
 * "undo-failed" and the apply "failed".
 */
export async function recoverApply(
  store: Store,
  rec: ApplyRecord,
  system: (name: SystemName, before: string | undefined) => TxSystem | undefined,
  ctx: ProviderContext,
  o: { actor: string; timeoutMs: number; fence?: Fence },
): Promise<RecoveryReport> {
  const fence = o.fence;
  const trace = traceJournal(await store.readJournal(rec.applyId));
  const done: DoneChange[] = [];
  for (const d of trace.done) {
    const record = await unsealRecord(store, d.data);
    // A record whose sealed undo data is gone cannot be undone by itself; the restore pass covers it.
    if (record) done.push({ n: d.n, system: d.system, record: record as ChangeRecord });
  }
  await store.journal({ applyId: rec.applyId, event: "recover", data: { by: o.actor, holder: rec.holder } }, fence);
  const systems = new Map(trace.touched.map((s) => [s, system(s, trace.before.get(s))] as const));
  const undo = await undoChanges(done, trace.touched, systems, { store, applyId: rec.applyId, ...(fence ? { fence } : {}), ctx, timeoutMs: o.timeoutMs, undone: trace.undone });
  const report: RecoveryReport = {
    applyId: rec.applyId,
    revision: rec.revision,
    holder: rec.holder,
    status: undo.clean ? "rolled-back" : "failed",
    steps: trace.touched.map((s) => {
      const error = undo.systems.get(s);
      return error ? { system: s, status: "undo-failed" as const, error } : { system: s, status: "undone" as const };
    }),
  };
  await store.endApply(rec.applyId, report.status, fence, {
    journal: [{ event: "end", data: { status: report.status, recovered: true } }],
    audit: { actor: o.actor, action: "apply.recover", target: rec.revision, detail: { applyId: rec.applyId, holder: rec.holder, status: report.status, steps: report.steps } },
  });
  await dropSealed(store, rec.applyId, fence);
  return report;
}
