// Running a plan's steps as one transaction. Each change a provider reports is journaled before
// the next one starts; after the last step every touched system is verified; on any failure the
// changes are undone one by one in reverse, and every touched system is read back and, if it is
// still not as it was, restored to the revision live before. Recovery runs the same undo from the
// journal alone (recovery.ts).
import { hasErrors, type Diagnostic } from "../diag.js";
import { changeRef, type Change, type ChangeRecord, type Phase, type Provider, type ProviderContext, type SystemName } from "../providers/provider.js";
import type { ApplyJournalEntry, Fence, Store } from "../store/store.js";
import { fingerprint } from "./canonical.js";
import { sealRecord } from "./seal.js";
import type { EngineEvent, StepOutcome } from "./types.js";

export interface TxStep {
  provider: Provider;
  phase: Phase;
  desired: unknown;
  /** Reality when planned. */
  actual: unknown;
  changes: Change[];
}

/** What the engine knows of a system it may have to put back. */
export interface TxSystem {
  provider: Provider;
  /** fingerprint of reality before the apply: a read that matches it needs no restore. */
  before: string | undefined;
  /** Compiled desired state of the revision live before this apply (the restore target); lazy. */
  previous: () => unknown | Promise<unknown>;
}

/** One journaled change: which one it was (its number in the apply) and what the provider said. */
export interface DoneChange {
  n: number;
  system: SystemName;
  record: ChangeRecord;
}

export interface TxOptions {
  store: Store;
  applyId: string;
  /** The apply lock's fence: every journal write carries it, and is refused once the lock is lost. */
  fence?: Fence;
  ctx: ProviderContext;
  timeoutMs: number;
  /** The systems of the plan, by name: desired states to verify, restore targets. */
  systems: Map<SystemName, TxSystem>;
  onEvent?: (e: EngineEvent) => void | Promise<void>;
  /** Extra checks after verify (HTTP probes through the proxy), per system with its changes. */
  probe?: (system: SystemName, changes: Change[]) => Promise<Diagnostic[]>;
  /**
   * Begins the apply in the store with the transaction's first journal entries, in one write.
   * Without it the apply was begun before.
   */
  begin?: (entries: ApplyJournalEntry[]) => Promise<void>;
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
  if (parent?.aborted) onParent();
  else parent?.addEventListener("abort", onParent, { once: true });
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
 * Put one system back to how it was before the apply, after its changes were undone: reality
 * whose fingerprint is `before` is done. Otherwise (a change interrupted before it was reported,
 * or an undo that did not take) apply `previous`, the compiled desired state of the revision that
 * was live before, and check it took.
 */
export async function restoreSystem(s: TxSystem, ctx: ProviderContext, timeoutMs: number): Promise<void> {
  const p = s.provider;
  const read = () => withTimeout(`read of ${p.system}`, timeoutMs, ctx.signal, (signal) => p.read({ ...ctx, signal }));
  const now = await read();
  if (s.before !== undefined && fingerprint(now) === s.before) return;
  const previous = await s.previous();
  if (previous === undefined) throw new Error(`${p.system} differs from before the apply and the earlier desired state is unknown`);
  const changes = p.diff(previous, now);
  if (changes.length === 0) return;
  // Restoring is not journaled change by change: it is itself the last resort, and repeatable.
  const report = async () => undefined;
  await withTimeout(`restore of ${p.system}`, timeoutMs * Math.max(1, changes.length), ctx.signal, (signal) => p.apply({ desired: previous, actual: now, changes, phase: "all" }, { ...ctx, signal, report }));
  const left = p.diff(previous, await read());
  if (left.length > 0) throw new Error(`${p.system} still differs from the previous revision in ${left.length} object(s)`);
}

export interface UndoReport {
  clean: boolean;
  /** Per system: undone, or why not. */
  systems: Map<SystemName, string | undefined>;
}

/**
 * Undo journaled changes in reverse (skipping those already undone), then read every touched
 * system back and restore what is still not as before. Used by a failed apply and by recovery.
 */
export async function undoChanges(
  done: readonly DoneChange[],
  touched: readonly SystemName[],
  systems: Map<SystemName, TxSystem | undefined>,
  o: { store: Store; applyId: string; fence?: Fence; ctx: ProviderContext; timeoutMs: number; onEvent?: TxOptions["onEvent"]; undone?: ReadonlySet<number> },
): Promise<UndoReport> {
  const { store, applyId, fence } = o;
  const problems = new Map<SystemName, string | undefined>(touched.map((s) => [s, undefined]));
  const note = (system: SystemName, error: string) => problems.set(system, problems.get(system) ? `${problems.get(system)}; ${error}` : error);
  for (const d of [...done].reverse()) {
    if (o.undone?.has(d.n)) continue;
    const s = systems.get(d.system);
    await store.journal({ applyId, event: "undo.start", system: d.system, data: { n: d.n, change: d.record.change } }, fence);
    await emit(o.onEvent, { type: "undo.start", system: d.system });
    try {
      if (!s) throw new Error(`no ${d.system} provider available to undo ${d.record.change.kind} ${d.record.change.id}`);
      await withTimeout(`undo of ${d.system} ${d.record.change.kind} ${d.record.change.id}`, o.timeoutMs, o.ctx.signal, (signal) => s.provider.undo(d.record, { ...o.ctx, signal }));
      await store.journal({ applyId, event: "undo.done", system: d.system, data: { n: d.n } }, fence);
    } catch (e) {
      // The restore pass below still gets its chance at this system.
      await store.journal({ applyId, event: "undo.failed", system: d.system, data: { n: d.n, error: errorText(e) } }, fence);
      note(d.system, `undo of ${d.record.change.kind} ${d.record.change.id} failed: ${errorText(e)}`);
    }
  }
  for (const system of [...touched].reverse()) {
    const s = systems.get(system);
    try {
      if (!s) throw new Error(`no ${system} provider available to restore it`);
      await restoreSystem(s, o.ctx, o.timeoutMs);
      await store.journal({ applyId, event: "restore.done", system }, fence);
      problems.set(system, undefined); // reality is as before, whatever single undos said
      await emit(o.onEvent, { type: "undo.done", system });
    } catch (e) {
      await store.journal({ applyId, event: "restore.failed", system, data: { error: errorText(e) } }, fence);
      note(system, `restore failed: ${errorText(e)}`);
    }
  }
  return { clean: [...problems.values()].every((p) => p === undefined), systems: problems };
}

export interface TxResult {
  status: "succeeded" | "rolled-back" | "failed";
  steps: StepOutcome[];
  /** Journal entries not written yet (the last step's end): the caller writes them with the apply's end. */
  journal: ApplyJournalEntry[];
}

/**
 * The transaction's journal. An entry that announces something is written before it happens; one
 * that only records an end (step.done) waits for the next write, so each store write (one sync)
 * carries as much as is safe.
 */
class Journal {
  private pending: ApplyJournalEntry[] = [];
  private begin: TxOptions["begin"];
  constructor(private readonly o: Pick<TxOptions, "store" | "applyId" | "fence" | "begin">) {
    this.begin = o.begin;
  }
  async write(entry: ApplyJournalEntry): Promise<void> {
    const entries = [...this.pending, entry];
    this.pending = [];
    const begin = this.begin;
    this.begin = undefined;
    if (begin) await begin(entries);
    else await this.o.store.journal(entries.map((e) => ({ ...e, applyId: this.o.applyId })), this.o.fence);
  }
  later(entry: ApplyJournalEntry): void {
    this.pending.push(entry);
  }
  rest(): ApplyJournalEntry[] {
    return this.pending.splice(0);
  }
}

export async function runTransaction(steps: TxStep[], o: TxOptions): Promise<TxResult> {
  const { store, applyId, fence } = o;
  const journal = new Journal(o);
  const outcomes: StepOutcome[] = steps.map((s) => ({ system: s.provider.system, phase: s.phase, status: "skipped" }));
  const done: DoneChange[] = [];
  const touched: SystemName[] = [];
  let failure: { at: number; error: string } | undefined;

  for (const [i, step] of steps.entries()) {
    const p = step.provider;
    const system = p.system;
    const outcome = outcomes[i]!;
    // What is about to change, by name only: the plan holds the values, and a 10,000-route
    // create must not write every route's config into the journal before anything happens.
    await journal.write({ event: "step.start", system, data: { phase: step.phase, changes: step.changes.map(changeRef), before: o.systems.get(system)?.before } });
    if (!touched.includes(system)) touched.push(system);
    try {
      await o.onEvent?.({ type: "step.start", system, changes: step.changes.length });
      const report = async (record: ChangeRecord) => {
        const n = done.length;
        await journal.write({ event: "change.done", system, data: { n, record: await sealRecord(store, applyId, n, record, fence) } });
        done.push({ n, system, record });
        await emit(o.onEvent, { type: "change.done", system, change: record.change });
      };
      // A system applied change by change (one API write each, paced by a rate limit) gets the step timeout per change.
      const budget = step.phase === "all" ? o.timeoutMs : o.timeoutMs * Math.max(1, step.changes.length);
      await withTimeout(`apply of ${system}`, budget, o.ctx.signal, (signal) => p.apply({ desired: step.desired, actual: step.actual, changes: step.changes, phase: step.phase }, { ...o.ctx, signal, report }));
      journal.later({ event: "step.done", system });
      outcome.status = "applied";
      await o.onEvent?.({ type: "step.done", system });
    } catch (e) {
      failure = { at: i, error: errorText(e) };
      outcome.status = "failed";
      outcome.error = failure.error;
      await journal.write({ event: "step.failed", system, data: { error: failure.error } });
      await emit(o.onEvent, { type: "step.failed", system, error: failure.error });
      break;
    }
  }

  if (!failure) {
    // Every system is verified once its last step ran: in between, a system is half way by design
    // (upserted, not yet pruned).
    const verdicts = await Promise.all(
      touched.map(async (system) => {
        const s = o.systems.get(system)!;
        try {
          const records = done.filter((d) => d.system === system).map((d) => d.record);
          const diags = await withTimeout(`verify of ${system}`, o.timeoutMs * Math.max(1, records.length), o.ctx.signal, (signal) => s.provider.verify(desiredOf(steps, system), records, { ...o.ctx, signal }));
          if (o.probe && !hasErrors(diags)) diags.push(...(await o.probe(system, steps.filter((st) => st.provider.system === system).flatMap((st) => st.changes))));
          const errors = diags.filter((d) => d.severity === "error");
          return errors.length ? `verification failed: ${errors.map((d) => d.message).join("; ")}` : undefined;
        } catch (e) {
          return `verification failed: ${errorText(e)}`;
        }
      }),
    );
    for (const [k, system] of touched.entries()) {
      const error = verdicts[k];
      if (!error) continue;
      const at = steps.map((st) => st.provider.system).lastIndexOf(system);
      outcomes[at]!.status = "failed";
      outcomes[at]!.error = error;
      failure ??= { at, error };
      await journal.write({ event: "step.failed", system, data: { error } });
      await emit(o.onEvent, { type: "step.failed", system, error });
    }
  }
  if (!failure) return { status: "succeeded", steps: outcomes, journal: journal.rest() };

  const undo = await undoChanges(done, touched, o.systems, { store, applyId, ...(fence ? { fence } : {}), ctx: o.ctx, timeoutMs: o.timeoutMs, ...(o.onEvent ? { onEvent: o.onEvent } : {}) });
  for (const outcome of outcomes) {
    const problem = undo.systems.get(outcome.system);
    if (problem) {
      outcome.status = "undo-failed";
      outcome.error = outcome.error ? `${outcome.error}; ${problem}` : problem;
    } else if (outcome.status === "applied") outcome.status = "undone";
  }
  return { status: undo.clean ? "rolled-back" : "failed", steps: outcomes, journal: journal.rest() };
}

/** The desired state a system's steps were applied toward (every step of a system carries it). */
function desiredOf(steps: TxStep[], system: SystemName): unknown {
  return steps.find((s) => s.provider.system === system)!.desired;
}
