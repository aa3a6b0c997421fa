// Apply: under the lock, recover what a dead process left, prepare the plan, check the safety
// rails, store the desired state only now that the apply goes ahead, then run the transaction.
// Recovery of abandoned applies lives here too: it is an apply's undo, run by someone else.
import { randomUUID } from "node:crypto";
import { HecateError, hasErrors } from "../diag.js";
import type { ResolvedState } from "../model/resolved.js";
import type { Resource } from "../model/schema.js";
import { systemsInPlay, type ProvidersForOptions } from "../providers/index.js";
import { descriptorOf } from "../providers/registry.js";
import type { Provider, SystemName } from "../providers/provider.js";
import type { Revision } from "../store/store.js";
import { Core, emptyState, targetOf, type Target } from "./core.js";
import { headOrCommit, type CommitMeta } from "./history.js";
import { acquire, type HeldLock } from "./lock.js";
import { prepare, prepareSaved, savedTarget, targetFor, usageOf, type PlanOptions, type Prepared } from "./plan.js";
import { abandonedApplies, recoverApply, type RecoveryReport } from "./recovery.js";
import { dropSealed } from "./seal.js";
import { runTransaction, type TxStep, type TxSystem } from "./transaction.js";
import type { ApplyOptions, ApplyResult, EngineEvent, Plan } from "./types.js";

const DEFAULT_MAX_DELETES = 10;

export function isPlan(x: unknown): x is Plan {
  return !!x && typeof x === "object" && (x as Plan).format === "hecate-plan/1";
}

function address(r: Resource): string {
  return `${r.kind}/${r.metadata.name}`;
}

/** Addresses of a revision's protected resources, once per (frozen, shared) list a store hands out. */
const protectedLists = new WeakMap<readonly Resource[], string[]>();
function protectedIn(resources: readonly Resource[]): string[] {
  let found = protectedLists.get(resources);
  if (!found) {
    found = resources.filter((r) => r.metadata.protected).map(address);
    if (Object.isFrozen(resources)) protectedLists.set(resources, found);
  }
  return found;
}

function checkRails(prep: Prepared, opts: ApplyOptions, live: Revision | undefined): void {
  const { plan } = prep;
  if (hasErrors(plan.diagnostics)) {
    const notBuilt = plan.diagnostics.find((d) => (d.code === "not-built" || d.code === "not-configured") && d.severity === "error");
    throw new HecateError(notBuilt ? notBuilt.code : "invalid", notBuilt ? notBuilt.message : "the plan has errors; nothing applied", { diagnostics: plan.diagnostics });
  }
  const max = opts.maxDeletes ?? DEFAULT_MAX_DELETES;
  // A delete only some nodes of a fleet need (a node that kept an older revision) brings it to what
  // the other nodes already serve: the rail guards what the fleet serves, so it does not count.
  const deletes = plan.steps.reduce((n, st) => n + st.changes.filter((c) => c.action === "delete" && !c.nodes).length, 0);
  if (deletes > max) {
    throw new HecateError(
      "too-many-deletes",
      `the plan deletes ${deletes} objects, more than the limit of ${max}; check the plan, then raise the limit (--max-deletes ${deletes})`,
      { status: 409 },
    );
  }
  // Most states protect nothing: one pass finds that, instead of a set of 10,000 addresses.
  const guarded = opts.allowProtected || !live ? [] : protectedIn(live.resources);
  if (guarded.length) {
    const keep = new Set(prep.target.resources.map(address));
    const gone = guarded.filter((a) => !keep.has(a));
    const deleting = new Set(plan.steps.flatMap((s) => s.changes.filter((c) => c.action === "delete" && c.resource).map((c) => c.resource!)));
    const refused = [...new Set([...gone, ...[...deleting].filter((a) => guarded.includes(a))])];
    if (refused.length) {
      throw new HecateError("protected", `refusing to delete protected ${refused.join(", ")} (metadata.protected); pass --allow-protected to delete anyway`, { status: 409 });
    }
  }
}

function lock(core: Core, opts: ApplyOptions): Promise<HeldLock> {
  return acquire(core.store, core.holder, { ...core.lease, timeoutMs: opts.lockTimeoutMs ?? 30_000, onEvent: opts.onEvent, actor: opts.actor ?? core.actor });
}

/**
 * Apply a plan (saved or fresh) or a target (PlanOptions: a revision, default head, or resources
 * not stored yet) as one transaction. Resources are stored as a revision only once the lock is
 * held and the safety rails passed. dryRun computes the plan and checks the rails, nothing else.
 */
export async function apply(core: Core, planOrOpts: Plan | PlanOptions, opts: ApplyOptions): Promise<ApplyResult> {
  const saved = isPlan(planOrOpts) ? planOrOpts : undefined;
  const given = planOrOpts as PlanOptions;
  const exclude = [...(saved ? [] : (given.exclude ?? [])), ...(opts.exclude ?? [])];
  const sel: PlanOptions = saved
    ? {}
    : { ...given, ...(opts.systems ? { systems: opts.systems } : {}), ...(exclude.length ? { exclude } : {}), ...(opts.now !== undefined ? { now: opts.now } : {}) };
  const onEvent = opts.onEvent ?? sel.onEvent;
  const o: ApplyOptions = { ...opts, ...(onEvent ? { onEvent } : {}) };
  const resources = opts.resources ?? sel.resources;
  const targetNow = async (): Promise<Target> =>
    resources ? await targetFor(core, { resources }) : saved ? await savedTarget(core, saved) : await targetFor(core, sel);
  const prepareNow = async (live: Revision | null): Promise<Prepared> => {
    const target = await targetNow();
    return saved ? prepareSaved(core, saved, target, live) : prepare(core, target, sel, live, { assume: !o.dryRun });
  };
  if (o.dryRun) {
    const live = await core.liveFor(saved ? (Object.keys(saved.fingerprints) as SystemName[]) : sel.systems);
    const prep = await prepareNow(live);
    checkRails(prep, o, live ?? undefined);
    return { applyId: "", revision: prep.target.hash, status: "dry-run", steps: [], diagnostics: prep.plan.diagnostics, plan: prep.plan };
  }
  const held = await lock(core, o);
  try {
    await recoverHeld(core, held, o.actor);
    const live = await core.liveFor(saved ? (Object.keys(saved.fingerprints) as SystemName[]) : sel.systems);
    const prep = await prepareNow(live);
    checkRails(prep, o, live ?? undefined);
    o.check?.(prep.plan);
    if (!prep.target.revision) {
      const revision = await headOrCommit(core, prep.target.hash, prep.target.resources, { ...(o.commit ?? {}), ...(o.actor ? { actor: o.actor } : {}) });
      prep.target = targetOf(revision);
    }
    return await execute(core, prep, o, live ?? undefined, held, !!(saved || sel.systems || sel.exclude));
  } finally {
    await held.release();
  }
}

/** `filtered`: the apply was limited to some systems (or is a saved plan, which may have been), see appliedTo. */
async function execute(core: Core, prep: Prepared, o: ApplyOptions, live: Revision | undefined, held: HeldLock, filtered: boolean): Promise<ApplyResult> {
  const { plan, target } = prep;
  const actor = o.actor ?? core.actor;
  const fence = held.fence;
  if (plan.steps.length === 0) {
    // Reality already matches: remember that this revision is what is live (on the systems this
    // apply covered).
    if (plan.diagnostics.every((d) => d.code !== "not-built" && d.code !== "not-configured")) {
      const to = appliedTo(core, prep, filtered, live);
      // Unfiltered, `live` is the applied revision already read; a selection reads its own marks.
      const marked = to ? await Promise.all(to.map((s) => core.store.lastApplied(s))) : filtered ? [await core.store.lastApplied()] : [live];
      if (marked.some((r) => r?.hash !== target.hash)) await core.store.setApplied(target.hash, fence, to);
    }
    const usage = usageOf(prep.providers);
    return { applyId: "", revision: target.hash, status: "no-op", steps: [], diagnostics: plan.diagnostics, plan, ...(usage ? { usage } : {}) };
  }
  const applyId = randomUUID();
  const state = core.resolve(target);
  // Resolving the last applied revision (10k routes: a quarter second) is needed only to restore a failed apply.
  let prevMemo: { s: ResolvedState | undefined } | undefined;
  const previous = () => (prevMemo ??= { s: core.previousState(live, state) }).s;
  const begin = { event: "begin", data: { revision: target.hash, previous: live?.hash ?? null, summary: plan.summary, systems: [...new Set(plan.steps.map((s) => s.system))], actor } };
  const ctx = { ...core.ctx(target.resources, held.signal, fence, actor), revision: target.hash };
  const systems = new Map<SystemName, TxSystem>(
    [...prep.providers.values()].map((provider) => [provider.system, txSystem(core, provider, plan.fingerprints[provider.system], previous)]),
  );
  const steps: TxStep[] = plan.steps.map((s) => ({
    provider: prep.providers.get(s.system)!,
    phase: s.phase,
    desired: plan.desired[s.system],
    actual: prep.actual.get(s.system),
    changes: s.changes,
  }));
  const tx = await runTransaction(steps, {
    store: core.store,
    applyId,
    fence,
    ctx,
    timeoutMs: core.timeoutMs,
    systems,
    // The apply is recorded with its first step's start: nothing has been touched before it.
    begin: async (entries) => void (await core.store.beginApply({ applyId, revision: target.hash, holder: held.holder }, fence, [begin, ...entries])),
    ...(o.onEvent ? { onEvent: o.onEvent } : {}),
    ...(o.probe
      ? { probe: (system: SystemName, changes) => descriptorOf(system)?.probe?.(state, changes, core.timeoutMs) ?? Promise.resolve([]) }
      : {}),
  });
  // The end in one write: the journal's last entries, the status, the applied mark, the audit entry.
  const systemsApplied = tx.status === "succeeded" ? appliedTo(core, prep, filtered, live, state) : undefined;
  await core.store.endApply(applyId, tx.status, fence, {
    journal: [...tx.journal, { event: "end", data: { status: tx.status, steps: tx.steps } }],
    ...(tx.status === "succeeded" ? { applied: { hash: target.hash, ...(systemsApplied ? { systems: systemsApplied } : {}) } } : {}),
    audit: { actor, action: "apply", target: target.hash, detail: { applyId, status: tx.status, summary: plan.summary, steps: tx.steps } },
  });
  await dropSealed(core.store, applyId, fence);
  const usage = usageOf(prep.providers);
  return { applyId, revision: target.hash, status: tx.status, steps: tx.steps, diagnostics: plan.diagnostics, plan, ...(usage ? { usage } : {}) };
}

/**
 * The systems an apply marks its revision applied to: undefined when it covered every system in
 * play (the revision is then the applied one), else those it was limited to (`apply --system`,
 * reconcile of systems applied alone), so drift compares each system with what it was given.
 */
function appliedTo(core: Core, prep: Prepared, filtered: boolean, live: Revision | undefined, state?: ResolvedState): SystemName[] | undefined {
  // Unfiltered, the providers are every system in play by construction (providersFor).
  if (!filtered) return undefined;
  const chosen = [...prep.providers.keys()];
  const target = state ?? core.resolve(prep.target);
  // A system in play now and left out is enough to know (the last applied state, 10,000 routes to
  // resolve in a fresh process, can only add systems).
  if (systemsInPlay(target).some((s) => !chosen.includes(s))) return chosen;
  const opts: ProvidersForOptions = {};
  // The last applied state is resolved only if a system unused now must be asked whether it was used then.
  if (live && live.hash !== prep.target.hash) Object.defineProperty(opts, "previous", { enumerable: true, get: () => core.previousState(live, target) });
  return systemsInPlay(target, opts).every((s) => chosen.includes(s)) ? undefined : chosen;
}

function txSystem(core: Core, provider: Provider, before: string | undefined, previous: () => ResolvedState | undefined): TxSystem {
  let compiled: { value: unknown } | undefined;
  return {
    provider,
    before,
    previous: async () => {
      if (compiled) return compiled.value;
      const state = previous();
      // With the certificates Hecate holds now (their undo has put the earlier ones back), so a
      // restored Caddy still serves them.
      const issued = state ? await core.refreshIssued(state) : undefined;
      return (compiled = { value: state ? core.compile(provider, state, issued).desired : undefined }).value;
    },
  };
}

/** Undo applies left running by a dead process. Takes the lock (waits up to lockTimeoutMs). */
export async function recover(core: Core, opts: { lockTimeoutMs?: number; actor?: string } = {}): Promise<RecoveryReport[]> {
  const held = await lock(core, opts);
  try {
    return await recoverHeld(core, held, opts.actor);
  } finally {
    await held.release();
  }
}

/** Recovery for plan/drift: only when nobody live holds the lock (a live holder is not abandoned). */
export async function recoverIfFree(core: Core, onEvent?: (e: EngineEvent) => void | Promise<void>): Promise<void> {
  const abandoned = await abandonedApplies(core.store, core.holder);
  if (abandoned.length === 0) return;
  let held: HeldLock;
  try {
    held = await acquire(core.store, core.holder, { ...core.lease, timeoutMs: 0, actor: core.actor });
  } catch {
    return;
  }
  try {
    const done = await recoverHeld(core, held);
    for (const r of done) await onEvent?.({ type: "message", text: `recovered abandoned apply ${r.applyId}: ${r.status}` });
  } finally {
    await held.release();
  }
}

async function recoverHeld(core: Core, held: HeldLock, actor?: string): Promise<RecoveryReport[]> {
  const reports: RecoveryReport[] = [];
  for (const rec of await abandonedApplies(core.store, core.holder)) {
    let providers = new Map<SystemName, Provider>();
    let resources: Resource[] = [];
    let previous: ResolvedState | undefined;
    const rev = await core.store.getRevision(rec.revision);
    if (rev) {
      resources = rev.resources;
      try {
        const state = core.resolve(rev);
        const begin = (await core.store.readJournal(rec.applyId)).find((e) => e.event === "begin");
        const prevHash = (begin?.data as { previous?: string | null } | undefined)?.previous;
        const prevRev = prevHash ? await core.store.getRevision(prevHash) : undefined;
        previous = prevHash ? (prevRev ? core.previousState(prevRev, state) : undefined) : emptyState(state);
        providers = core.providers(state, {}, previous).providers;
      } catch {
        /* recoverApply reports each system it cannot undo */
      }
    }
    const system = (name: SystemName, before: string | undefined) => {
      const p = providers.get(name);
      return p ? txSystem(core, p, before, () => previous) : undefined;
    };
    reports.push(await recoverApply(core.store, rec, system, core.ctx(resources, held.signal, held.fence, actor), { actor: actor ?? core.actor, timeoutMs: core.timeoutMs, fence: held.fence }));
  }
  return reports;
}

export type { CommitMeta };
