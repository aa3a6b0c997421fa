// Recovery of applies whose process died (crash, SIGKILL, lost host): undo from the journal in
// reverse so nothing is left half applied, then record what happened.
import { dropSealed, unsealRecord } from "./seal.js";
import type { Provider, ProviderContext, StepRecord, SystemName } from "../providers/provider.js";
import type { ApplyRecord, Store } from "../store/store.js";
import { APPLY_LOCK, holderDead } from "./lock.js";
import { errorText, restoreStep } from "./transaction.js";

export interface RecoveryReport {
  applyId: string;
  revision: string;
  holder: string;
  status: "rolled-back" | "failed";
  steps: { system: SystemName; status: "undone" | "undo-failed" | "not-started"; error?: string }[];
}

interface StepTrace {
  system: SystemName;
  started: boolean;
  /** Fingerprint of the system's state before the step. */
  before?: string;
  record?: StepRecord;
  undone: boolean;
}

/** What the journal says each system went through, in the order steps started. */
export function traceJournal(entries: { event: string; system?: string; data?: unknown }[]): StepTrace[] {
  const bySystem = new Map<string, StepTrace>();
  for (const e of entries) {
    if (!e.system) continue;
    let t = bySystem.get(e.system);
    if (!t) {
      t = { system: e.system as SystemName, started: false, undone: false };
      bySystem.set(e.system, t);
    }
    if (e.event === "step.start") {
      t.started = true;
      const b = (e.data as { before?: unknown } | undefined)?.before;
      t.before = typeof b === "string" ? b : undefined;
    } else if (e.event === "step.done") t.record = e.data as StepRecord;
    else if (e.event === "undo.done") t.undone = true;
  }
  return [...bySystem.values()];
}

/** Applies still marked running whose holder is gone. */
export async function abandonedApplies(store: Store, self: string): Promise<ApplyRecord[]> {
  const running = await store.listApplies({ status: "running" });
  if (running.length === 0) return [];
  const lock = await store.getLock(APPLY_LOCK);
  return running.filter((a) => a.holder !== self && holderDead(a.holder, lock));
}

/**
 * Undo one abandoned apply. The caller holds the apply lock. `providers` must cover the systems
 * the journal names; a missing one leaves that step "undo-failed" and the apply "failed".
 */
export async function recoverApply(
  store: Store,
  rec: ApplyRecord,
  providers: Map<SystemName, Provider>,
  /** Compiled desired state of the revision live before the apply, per system. */
  previous: (p: Provider) => unknown,
  ctx: ProviderContext,
  o: { actor: string; timeoutMs: number },
): Promise<RecoveryReport> {
  const entries = await store.readJournal(rec.applyId);
  const traces = traceJournal(entries).filter((t) => t.started);
  for (const t of traces) if (t.record) t.record = await unsealRecord(store, t.record);
  const report: RecoveryReport = { applyId: rec.applyId, revision: rec.revision, holder: rec.holder, status: "rolled-back", steps: [] };
  await store.journal({ applyId: rec.applyId, event: "recover", data: { by: o.actor, holder: rec.holder } });
  for (const t of traces.reverse()) {
    if (t.undone) {
      report.steps.push({ system: t.system, status: "undone" });
      continue;
    }
    const p = providers.get(t.system);
    await store.journal({ applyId: rec.applyId, event: "undo.start", system: t.system });
    try {
      if (!p) throw new Error(`no ${t.system} provider available to undo this step`);
      await restoreStep(p, { before: t.before, previous: () => previous(p), ...(t.record ? { record: t.record } : {}) }, ctx, o.timeoutMs);
      await store.journal({ applyId: rec.applyId, event: "undo.done", system: t.system });
      report.steps.push({ system: t.system, status: "undone" });
    } catch (e) {
      const error = errorText(e);
      await store.journal({ applyId: rec.applyId, event: "undo.failed", system: t.system, data: { error } });
      report.steps.push({ system: t.system, status: "undo-failed", error });
      report.status = "failed";
    }
  }
  await store.journal({ applyId: rec.applyId, event: "end", data: { status: report.status, recovered: true } });
  await store.endApply(rec.applyId, report.status);
  await dropSealed(store, rec.applyId);
  await store.audit({
    actor: o.actor,
    action: "apply.recover",
    target: rec.revision,
    detail: { applyId: rec.applyId, holder: rec.holder, status: report.status, steps: report.steps },
  });
  return report;
}
