// Running a plan's steps as one transaction: journal each step before and after, verify, and on
// any failure put every touched system back in reverse order. Also the undo used by recovery.
import { journalData } from "./seal.js";
import { hasErrors, type Diagnostic } from "../diag.js";
import type { Change, Provider, ProviderContext, StepRecord, SystemName } from "../providers/provider.js";
import type { Store } from "../store/store.js";
import { fingerprint } from "./canonical.js";
import type { EngineEvent, StepOutcome } from "./types.js";

export interface TxStep {
  provider: Provider;
  desired: unknown;
  /** Reality when planned: the state a failed step is put back to. */
  actual: unknown;
  /** fingerprint(actual), journaled so any process can tell whether a step touched reality. */
  fingerprint: string;
  changes: Change[];
  /** Compiled desired state of the revision live before this apply (the restore target); lazy. */
  previous: () => unknown;
}

export interface TxOptions {
  store: Store;
  applyId: string;
  ctx: ProviderContext;
  stepTimeoutMs: number;
  onEvent?: (e: EngineEvent) => void | Promise<void>;
  /** Extra checks after a step's verify (HTTP probes through the proxy). */
  probe?: (system: SystemName, desired: unknown) => Promise<Diagnostic[]>;
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * One turn of the event loop: requests just issued get connected and written (the connect of a
 * loopback socket completes within the turn) before synchronous work blocks the loop.
 */
export function ioStarted(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

/** Run fn with an abort signal; reject after ms, then give the operation a grace period to stop. */
export async function withTimeout<T>(label: string, ms: number, parent: AbortSignal | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onParent = () => ac.abort(parent?.reason);
  parent?.addEventListener("abort", onParent, { once: true });
  const op = fn(ac.signal);
  let timer: NodeJS.Timeout | undefined;
  let timedOut: Error | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject((timedOut = new Error(`${label} did not finish within ${ms} ms`))), ms);
  });
  try {
    return await Promise.race([op, timeout]);
  } catch (e) {
    if (!ac.signal.aborted) ac.abort(e);
    // A late finish must not land after we start putting things back; what it says is news.
    const late = await Promise.race([op.then(() => undefined, (err: unknown) => err), new Promise((r) => setTimeout(r, 5000))]);
    if (timedOut && e === timedOut && late instanceof Error) throw new Error(`${timedOut.message}: ${late.message}`);
    throw e;
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener("abort", onParent);
  }
}

async function emit(onEvent: TxOptions["onEvent"], e: EngineEvent): Promise<void> {
  try {
    await onEvent?.(e);
  } catch {
    /* observers must not break undo */
  }
}

/**
 * Put one system back to how it was before the apply. First the provider's own undo (when a
 * StepRecord was journaled); then read: reality whose fingerprint is `before` is done. Otherwise (a step
 * interrupted before its record was written, or an undo that did not take) apply `previous`, the
 * compiled desired state of the revision that was live before, and check it took.
 */
export async function restoreStep(
  p: Provider,
  s: { before: string | undefined; previous: () => unknown; record?: StepRecord },
  ctx: ProviderContext,
  timeoutMs: number,
): Promise<void> {
  if (s.record) {
    await withTimeout(`undo of ${p.system}`, timeoutMs, ctx.signal, (signal) => p.undo(s.record!, { ...ctx, signal }));
  }
  const read = () => withTimeout(`read of ${p.system}`, timeoutMs, ctx.signal, (signal) => p.read({ ...ctx, signal }));
  const now = await read();
  if (s.before !== undefined && fingerprint(now) === s.before) return;
  const previous = s.previous();
  if (previous === undefined) throw new Error(`${p.system} differs from before the apply and the earlier desired state is unknown`);
  const changes = p.diff(previous, now);
  if (changes.length === 0) return;
  await withTimeout(`restore of ${p.system}`, timeoutMs, ctx.signal, (signal) => p.apply(previous, now, changes, { ...ctx, signal }));
  const left = p.diff(previous, await read());
  if (left.length > 0) throw new Error(`${p.system} still differs from the previous revision in ${left.length} object(s)`);
}

export interface TxResult {
  status: "succeeded" | "rolled-back" | "failed";
  steps: StepOutcome[];
}

export async function runTransaction(steps: TxStep[], o: TxOptions): Promise<TxResult> {
  const { store, applyId } = o;
  const outcomes: StepOutcome[] = [];
  const touched: { step: TxStep; record?: StepRecord; outcome: StepOutcome }[] = [];
  let failed = false;

  for (const step of steps) {
    const p = step.provider;
    const system = p.system;
    const outcome: StepOutcome = { system, status: "applied" };
    outcomes.push(outcome);
    if (failed) {
      outcome.status = "skipped";
      continue;
    }
    // What is about to change, by name only: the plan holds the values, and a 10,000-route
    // create must not write every route's config into the journal before anything happens.
    const changes = step.changes.map((c) => ({ action: c.action, kind: c.kind, id: c.id, ...(c.resource ? { resource: c.resource } : {}) }));
    await store.journal({ applyId, event: "step.start", system, data: { changes, before: step.fingerprint } });
    const entry: (typeof touched)[number] = { step, outcome };
    touched.push(entry);
    try {
      await o.onEvent?.({ type: "step.start", system, changes: step.changes.length });
      entry.record = await withTimeout(`apply of ${system}`, o.stepTimeoutMs, o.ctx.signal, (signal) =>
        p.apply(step.desired, step.actual, step.changes, { ...o.ctx, signal }),
      );
      // Verify's read goes out first and the system answers it while the journal is written;
      // step.done is still on disk before the verification's outcome is looked at.
      const verifying = withTimeout(`verify of ${system}`, o.stepTimeoutMs, o.ctx.signal, (signal) => p.verify(step.desired, { ...o.ctx, signal }));
      verifying.catch(() => undefined); // a failing journal write must not leave it unhandled
      await ioStarted();
      await store.journal({ applyId, event: "step.done", system, data: await journalData(store, applyId, system, entry.record) });
      const diags = await verifying;
      if (o.probe) diags.push(...(await o.probe(system, step.desired)));
      if (hasErrors(diags)) {
        throw new Error(`verification failed: ${diags.filter((d) => d.severity === "error").map((d) => d.message).join("; ")}`);
      }
      await o.onEvent?.({ type: "step.done", system });
    } catch (e) {
      failed = true;
      outcome.status = "failed";
      outcome.error = errorText(e);
      await store.journal({ applyId, event: "step.failed", system, data: { error: outcome.error } });
      await emit(o.onEvent, { type: "step.failed", system, error: outcome.error });
    }
  }
  if (!failed) return { status: "succeeded", steps: outcomes };

  // Compensate in reverse: every step that started, including the failed one (it may be half done).
  let clean = true;
  for (const t of [...touched].reverse()) {
    const system = t.step.provider.system;
    await store.journal({ applyId, event: "undo.start", system });
    await emit(o.onEvent, { type: "undo.start", system });
    try {
      await restoreStep(t.step.provider, { before: t.step.fingerprint, previous: t.step.previous, ...(t.record ? { record: t.record } : {}) }, o.ctx, o.stepTimeoutMs);
      await store.journal({ applyId, event: "undo.done", system });
      await emit(o.onEvent, { type: "undo.done", system });
      if (t.outcome.status === "applied") t.outcome.status = "undone";
    } catch (e) {
      clean = false;
      const error = errorText(e);
      await store.journal({ applyId, event: "undo.failed", system, data: { error } });
      t.outcome.status = "undo-failed";
      t.outcome.error = t.outcome.error ? `${t.outcome.error}; undo failed: ${error}` : `undo failed: ${error}`;
    }
  }
  return { status: clean ? "rolled-back" : "failed", steps: outcomes };
}
