// The Engine: commit, plan, apply (one transaction across systems), recover, drift, reconcile,
// rollback, backup/restore, render. Surfaces (CLI, API) call only this.
import { dropSealed } from "./seal.js";
import { randomUUID } from "node:crypto";
import { HecateError, hasErrors, type Diagnostic } from "../diag.js";
import { resolveState } from "../model/index.js";
import type { ResolvedState } from "../model/resolved.js";
import type { Resource } from "../model/schema.js";
import { providersFor, type ProvidersForOptions } from "../providers/index.js";
import { SYSTEM_ORDER, type Change, type Provider, type ProviderContext, type SecretResolver, type SystemName } from "../providers/provider.js";
import { createSecretResolver } from "../store/secrets.js";
import type { Revision, RevisionSource, Store } from "../store/store.js";
import { backup, restore, type BackupManifest, type RestoreReport } from "./backup.js";
import { fingerprint } from "./canonical.js";
import { acquire, newHolder, type HeldLock } from "./lock.js";
import { probeRoutes } from "./probe.js";
import { reconcileLoop, type ReconcileLoopOptions } from "./reconcile.js";
import { abandonedApplies, recoverApply, type RecoveryReport } from "./recovery.js";
import { renderConfig } from "./render-config.js";
import { resolveRevision } from "./revision-ref.js";
import { loadSource } from "./source.js";
import { errorText, ioStarted, runTransaction, withTimeout, type TxStep } from "./transaction.js";
import type { ApplyOptions, ApplyResult, DriftReport, EngineEvent, Plan, PlanStep, SourceSpec } from "./types.js";

export type { RecoveryReport, ReconcileLoopOptions };

/** Builds the providers for a desired state; the default is providersFor (real Caddy, nginx). */
export type ProviderFactory = (
  state: ResolvedState,
  opts: ProvidersForOptions,
) => Provider[] | { providers: Provider[]; diagnostics: Diagnostic[] };

export interface EngineOptions {
  store: Store;
  /** Who acts (user name, token name): recorded as author and in the audit log. */
  actor: string;
  providers?: ProviderFactory;
  /** Secret resolver; default resolves secret:/env:/file: through the store. */
  secrets?: SecretResolver | ((resources: Resource[]) => SecretResolver);
  /** Longest a single provider operation (apply, undo, read, verify) may take (default 120 s). */
  stepTimeoutMs?: number;
  /** Lock holder id; default actor@host/pid/random. */
  holder?: string;
}

export interface CommitMeta {
  message?: string;
  /** Default: the engine's actor. */
  author?: string;
  source?: RevisionSource;
}

export interface CommitResult {
  revision: Revision;
  /** Warnings (errors make commit throw HecateError "invalid"). */
  diagnostics: Diagnostic[];
}

export interface PlanOptions {
  /** Revision to plan (hash, prefix, #seq); default the head. */
  revision?: string;
  systems?: SystemName[];
  exclude?: SystemName[];
  onEvent?: (event: EngineEvent) => void | Promise<void>;
}

export interface RollbackResult {
  revision: Revision;
  result: ApplyResult;
}

/** Everything apply needs that a Plan (plain data) does not carry. */
interface Prepared {
  plan: Plan;
  revision: Revision;
  providers: Map<SystemName, Provider>;
  actual: Map<SystemName, unknown>;
  resources: Resource[];
}

const DEFAULT_MAX_DELETES = 10;

function isPlan(x: unknown): x is Plan {
  return !!x && typeof x === "object" && (x as Plan).format === "hecate-plan/1";
}

function address(r: Resource): string {
  return `${r.kind}/${r.metadata.name}`;
}

/** Steps with creates or updates go first in SYSTEM_ORDER; delete-only steps last, reversed. */
export function orderSteps<T extends { system: SystemName; changes: Change[] }>(steps: T[]): T[] {
  const idx = (s: SystemName) => SYSTEM_ORDER.indexOf(s);
  const deleteOnly = (s: T) => s.changes.length > 0 && s.changes.every((c) => c.action === "delete");
  const forward = steps.filter((s) => !deleteOnly(s)).sort((a, b) => idx(a.system) - idx(b.system));
  const backward = steps.filter(deleteOnly).sort((a, b) => idx(b.system) - idx(a.system));
  return [...forward, ...backward];
}

export function summarize(steps: PlanStep[]): Plan["summary"] {
  const s = { create: 0, update: 0, delete: 0 };
  for (const st of steps) for (const c of st.changes) s[c.action]++;
  return s;
}

export class Engine {
  readonly store: Store;
  readonly actor: string;
  readonly holder: string;
  private readonly factory: ProviderFactory;
  private readonly secretsOpt: EngineOptions["secrets"];
  private readonly stepTimeoutMs: number;
  private readonly stateCache = new Map<string, ResolvedState>();

  constructor(opts: EngineOptions) {
    this.store = opts.store;
    this.actor = opts.actor;
    this.holder = opts.holder ?? newHolder(opts.actor);
    this.factory = opts.providers ?? providersFor;
    this.secretsOpt = opts.secrets;
    this.stepTimeoutMs = opts.stepTimeoutMs ?? 120_000;
  }

  // ---- revisions --------------------------------------------------------------------------

  async commitFromSource(source: SourceSpec, meta: CommitMeta = {}): Promise<CommitResult> {
    const loaded = await loadSource(source);
    if (hasErrors(loaded.diagnostics)) {
      throw new HecateError("invalid", `the desired state has errors (${loaded.diagnostics.filter((d) => d.severity === "error").length})`, {
        diagnostics: loaded.diagnostics,
      });
    }
    const { state, diagnostics } = resolveState(loaded.docs);
    const all = loaded.relabel([...loaded.diagnostics, ...diagnostics]);
    if (hasErrors(all)) {
      throw new HecateError("invalid", `the desired state has errors (${all.filter((d) => d.severity === "error").length})`, { diagnostics: all });
    }
    const defaultMessage = loaded.source.type === "git" ? `from ${loaded.source.location}${loaded.source.commit ? ` at ${loaded.source.commit.slice(0, 12)}` : ""}` : `from ${loaded.source.location}`;
    const revision = await this.putRevision(loaded.resources, { ...meta, message: meta.message ?? defaultMessage, source: meta.source ?? loaded.source });
    if (state) this.remember(revision.hash, state);
    return { revision, diagnostics: all };
  }

  async commit(resources: Resource[], meta: CommitMeta = {}): Promise<CommitResult> {
    const { state, diagnostics } = resolveState(resources);
    if (hasErrors(diagnostics)) {
      throw new HecateError("invalid", `the desired state has errors (${diagnostics.filter((d) => d.severity === "error").length})`, { diagnostics });
    }
    const revision = await this.putRevision(resources, meta);
    if (state) this.remember(revision.hash, state);
    return { revision, diagnostics };
  }

  private async putRevision(resources: Resource[], meta: CommitMeta): Promise<Revision> {
    const revision = await this.store.putRevision({
      resources,
      author: meta.author ?? this.actor,
      message: meta.message ?? "",
      source: meta.source ?? { type: "api" },
    });
    await this.store.audit({ actor: this.actor, action: "revision.create", target: revision.hash, detail: { seq: revision.seq, source: revision.source } });
    return revision;
  }

  private async revisionOrHead(ref?: string): Promise<Revision> {
    return resolveRevision(this.store, ref ?? "head");
  }

  private resolve(rev: Revision): ResolvedState {
    const cached = this.stateCache.get(rev.hash);
    if (cached) return cached;
    const { state, diagnostics } = resolveState(rev.resources);
    if (!state || hasErrors(diagnostics)) {
      throw new HecateError("invalid", `revision ${rev.hash.slice(0, 12)} does not resolve`, { diagnostics });
    }
    this.remember(rev.hash, state);
    return state;
  }

  /** Keep a few resolved states (head, last applied, one more): resolving 10k routes is not free. */
  private remember(hash: string, state: ResolvedState): void {
    this.stateCache.delete(hash);
    this.stateCache.set(hash, state);
    while (this.stateCache.size > 4) this.stateCache.delete(this.stateCache.keys().next().value!);
  }

  private secretsFor(resources: Resource[]): SecretResolver {
    const s = this.secretsOpt;
    if (typeof s === "function") return s(resources);
    if (s) return s;
    return createSecretResolver(this.store, resources);
  }

  private async providersForRevision(
    rev: Revision,
    sel: ProvidersForOptions,
    live?: Revision | null,
  ): Promise<{ providers: Map<SystemName, Provider>; diagnostics: Diagnostic[] }> {
    const state = this.resolve(rev);
    const applied = live === undefined ? await this.store.lastApplied() : (live ?? undefined);
    let previous: ResolvedState | undefined;
    if (applied && applied.hash !== rev.hash) {
      try {
        previous = this.resolve(applied);
      } catch {
        previous = undefined; // an old revision that no longer resolves must not block new ones
      }
    }
    const built = this.factory(state, { ...sel, previous });
    const list = Array.isArray(built) ? built : built.providers;
    const diagnostics = Array.isArray(built) ? [] : built.diagnostics;
    const providers = new Map<SystemName, Provider>();
    for (const p of list) {
      if (sel.systems && !sel.systems.includes(p.system)) continue;
      if (sel.exclude?.includes(p.system)) continue;
      providers.set(p.system, p);
    }
    return { providers, diagnostics };
  }

  private ctx(resources: Resource[], signal?: AbortSignal): ProviderContext {
    return { secrets: this.secretsFor(resources), ...(signal ? { signal } : {}) };
  }

  /**
   * Read every system; when some cannot be read, one error names all of them, together with any
   * errors already known (`known`, e.g. a system not built yet), so the operator sees every
   * problem of this plan at once.
   */
  private async readAll(providers: Map<SystemName, Provider>, ctx: ProviderContext, known: Diagnostic[] = []): Promise<Map<SystemName, unknown>> {
    const list = [...providers.values()];
    const settled = await Promise.allSettled(
      list.map((p) => withTimeout(`read of ${p.system}`, this.stepTimeoutMs, ctx.signal, (signal) => p.read({ ...ctx, signal }))),
    );
    const failed = settled.flatMap((r, i) => (r.status === "rejected" ? [{ system: list[i]!.system, error: errorText(r.reason) }] : []));
    if (failed.length) {
      const messages = failed.map((f) => `cannot read the current ${f.system} state: ${f.error}`);
      const others = known.filter((d) => d.severity === "error");
      throw new HecateError("read-failed", messages.join("; "), {
        status: 502,
        ...(failed.length > 1 || others.length ? { diagnostics: [...others, ...failed.map((f, i) => ({ severity: "error" as const, code: "read-failed", message: messages[i]! }))] } : {}),
      });
    }
    return new Map(list.map((p, i) => [p.system, (settled[i] as PromiseFulfilledResult<unknown>).value] as const));
  }

  // ---- plan -------------------------------------------------------------------------------

  private async prepare(opts: PlanOptions, live?: Revision | null): Promise<Prepared> {
    const revision = await this.revisionOrHead(opts.revision);
    const state = this.resolve(revision);
    const sel = { ...(opts.systems ? { systems: opts.systems } : {}), ...(opts.exclude ? { exclude: opts.exclude } : {}) };
    const { providers, diagnostics } = await this.providersForRevision(revision, sel, live);
    // Reads first, compile while they run: a read is mostly the system's own work (Caddy
    // encoding 10,000 routes), compile is ours, so the two overlap instead of adding up.
    const ctx = this.ctx(revision.resources);
    const reading = this.readAll(providers, ctx, diagnostics);
    reading.catch(() => undefined); // a compile that throws must not leave the read's failure unhandled
    await ioStarted();
    const desired = new Map<SystemName, unknown>();
    for (const p of providers.values()) {
      const c = p.compile(state);
      desired.set(p.system, c.desired);
      diagnostics.push(...c.diagnostics.map((d) => ({ ...d, message: d.message })));
    }
    const actual = await reading;
    const steps: PlanStep[] = [];
    for (const p of providers.values()) {
      const changes = p.diff(desired.get(p.system), actual.get(p.system));
      if (changes.length > 0) steps.push({ system: p.system, changes });
    }
    const ordered = orderSteps(steps);
    const plan: Plan = {
      format: "hecate-plan/1",
      revision: revision.hash,
      createdAt: new Date().toISOString(),
      steps: ordered,
      summary: summarize(ordered),
      fingerprints: Object.fromEntries([...actual].map(([s, a]) => [s, fingerprint(a)])),
      desired: Object.fromEntries(desired),
      actual: Object.fromEntries(actual),
      diagnostics,
    };
    return { plan, revision, providers, actual, resources: revision.resources };
  }

  /** Desired revision (default head) against reality. Recovers abandoned applies first. */
  async plan(opts: PlanOptions = {}): Promise<Plan> {
    await this.recoverIfFree(opts.onEvent);
    return (await this.prepare(opts)).plan;
  }

  /** A saved plan, checked against reality now: refuse when any system moved since. */
  private async prepareSaved(plan: Plan, live?: Revision | null): Promise<Prepared> {
    const revision = await this.store.getRevision(plan.revision);
    if (!revision || revision.hash !== plan.revision) {
      throw new HecateError("unknown-revision", `the plan's revision ${plan.revision.slice(0, 12)} is not in the store`, { status: 404 });
    }
    const systems = Object.keys(plan.fingerprints) as SystemName[];
    const { providers } = await this.providersForRevision(revision, { systems }, live);
    const missing = systems.filter((s) => !providers.has(s));
    if (missing.length) throw new HecateError("stale-plan", `the plan covers ${missing.join(", ")} which this revision no longer needs; plan again`, { status: 409 });
    const actual = await this.readAll(providers, this.ctx(revision.resources));
    const moved = systems.filter((s) => fingerprint(actual.get(s)) !== plan.fingerprints[s]);
    if (moved.length) {
      throw new HecateError("stale-plan", `reality changed since the plan was made (${moved.join(", ")}); run plan again`, { status: 409 });
    }
    // Reality is byte-for-byte what the plan saw: work from what was just read, and the plan's desired.
    const steps: PlanStep[] = [];
    for (const s of systems) {
      const p = providers.get(s)!;
      const changes = p.diff(plan.desired[s], actual.get(s));
      if (changes.length > 0) steps.push({ system: s, changes });
    }
    const ordered = orderSteps(steps);
    return {
      plan: { ...plan, steps: ordered, summary: summarize(ordered), actual: Object.fromEntries(actual) },
      revision,
      providers,
      actual,
      resources: revision.resources,
    };
  }

  // ---- safety rails -----------------------------------------------------------------------

  private async checkRails(prep: Prepared, opts: ApplyOptions, live: Revision | undefined): Promise<void> {
    const { plan } = prep;
    if (hasErrors(plan.diagnostics)) {
      const notBuilt = plan.diagnostics.find((d) => d.code === "not-built" && d.severity === "error");
      throw new HecateError(notBuilt ? "not-built" : "invalid", notBuilt ? notBuilt.message : "the plan has errors; nothing applied", {
        diagnostics: plan.diagnostics,
      });
    }
    const max = opts.maxDeletes ?? DEFAULT_MAX_DELETES;
    if (plan.summary.delete > max) {
      throw new HecateError(
        "too-many-deletes",
        `the plan deletes ${plan.summary.delete} objects, more than the limit of ${max}; check the plan, then raise the limit (--max-deletes ${plan.summary.delete})`,
        { status: 409 },
      );
    }
    if (!opts.allowProtected) {
      const applied = live;
      if (applied) {
        const keep = new Set(prep.resources.map(address));
        const gone = applied.resources.filter((r) => r.metadata.protected && !keep.has(address(r))).map(address);
        const deleting = new Set(plan.steps.flatMap((s) => s.changes.filter((c) => c.action === "delete" && c.resource).map((c) => c.resource!)));
        const refused = [...new Set([...gone, ...[...deleting].filter((a) => applied.resources.some((r) => r.metadata.protected && address(r) === a))])];
        if (refused.length) {
          throw new HecateError("protected", `refusing to delete protected ${refused.join(", ")} (metadata.protected); pass --allow-protected to delete anyway`, {
            status: 409,
          });
        }
      }
    }
  }

  // ---- apply ------------------------------------------------------------------------------

  private async lock(opts: ApplyOptions): Promise<HeldLock> {
    return acquire(this.store, this.holder, { timeoutMs: opts.lockTimeoutMs ?? 30_000, onEvent: opts.onEvent, actor: this.actor });
  }

  /**
   * Apply a plan (saved or fresh) or the revision named in opts (default head) as one transaction.
   * dryRun computes the plan and checks the safety rails without touching anything.
   */
  async apply(planOrOpts: Plan | PlanOptions = {}, opts: ApplyOptions = {}): Promise<ApplyResult> {
    const onEvent = opts.onEvent ?? (isPlan(planOrOpts) ? undefined : planOrOpts.onEvent);
    const o: ApplyOptions = { ...opts, ...(onEvent ? { onEvent } : {}) };
    const sel: PlanOptions = isPlan(planOrOpts) ? {} : { ...planOrOpts, ...(opts.systems ? { systems: opts.systems } : {}) };
    if (o.dryRun) {
      const live = (await this.store.lastApplied()) ?? null;
      const prep = isPlan(planOrOpts) ? await this.prepareSaved(planOrOpts, live) : await this.prepare(sel, live);
      await this.checkRails(prep, o, live ?? undefined);
      return { applyId: "", revision: prep.revision.hash, status: "dry-run", steps: [], diagnostics: prep.plan.diagnostics, plan: prep.plan };
    }
    const held = await this.lock(o);
    try {
      await this.recoverHeld();
      const live = (await this.store.lastApplied()) ?? null;
      const prep = isPlan(planOrOpts) ? await this.prepareSaved(planOrOpts, live) : await this.prepare(sel, live);
      await this.checkRails(prep, o, live ?? undefined);
      return await this.execute(prep, o, live ?? undefined);
    } finally {
      await held.release();
    }
  }

  private async execute(prep: Prepared, o: ApplyOptions, live: Revision | undefined): Promise<ApplyResult> {
    const { plan, revision } = prep;
    if (plan.steps.length === 0) {
      const applied = live;
      // Reality already matches: remember that this revision is what is live.
      if (applied?.hash !== revision.hash && !o.systems && plan.diagnostics.every((d) => d.code !== "not-built")) await this.store.setApplied(revision.hash);
      return { applyId: "", revision: revision.hash, status: "no-op", steps: [], diagnostics: plan.diagnostics, plan };
    }
    const applyId = randomUUID();
    const state = this.resolve(revision);
    const previous = this.previousState(live, state);
    await this.store.beginApply({ applyId, revision: revision.hash, holder: this.holder });
    await this.store.journal({
      applyId,
      event: "begin",
      data: { revision: revision.hash, previous: live?.hash ?? null, summary: plan.summary, systems: plan.steps.map((s) => s.system), actor: this.actor },
    });
    const ctx = this.ctx(prep.resources);
    const steps: TxStep[] = plan.steps.map((s) => {
      const provider = prep.providers.get(s.system)!;
      return {
        provider,
        desired: plan.desired[s.system],
        actual: prep.actual.get(s.system),
        fingerprint: plan.fingerprints[s.system] ?? fingerprint(prep.actual.get(s.system)),
        changes: s.changes,
        previous: () => (previous ? provider.compile(previous).desired : undefined),
      };
    });
    const tx = await runTransaction(steps, {
      store: this.store,
      applyId,
      ctx,
      stepTimeoutMs: this.stepTimeoutMs,
      ...(o.onEvent ? { onEvent: o.onEvent } : {}),
      ...(o.probe ? { probe: (system) => (system === "caddy" ? probeRoutes(state, plan, this.stepTimeoutMs) : Promise.resolve([])) } : {}),
    });
    await this.store.journal({ applyId, event: "end", data: { status: tx.status, steps: tx.steps } });
    await this.store.endApply(applyId, tx.status);
    await dropSealed(this.store, applyId);
    if (tx.status === "succeeded") await this.store.setApplied(revision.hash);
    await this.store.audit({
      actor: this.actor,
      action: "apply",
      target: revision.hash,
      detail: { applyId, status: tx.status, summary: plan.summary, steps: tx.steps },
    });
    return { applyId, revision: revision.hash, status: tx.status, steps: tx.steps, diagnostics: plan.diagnostics, plan };
  }

  // ---- recovery ---------------------------------------------------------------------------

  /** Undo applies left running by a dead process. Takes the lock (waits up to lockTimeoutMs). */
  async recover(opts: { lockTimeoutMs?: number } = {}): Promise<RecoveryReport[]> {
    const held = await this.lock({ lockTimeoutMs: opts.lockTimeoutMs ?? 30_000 });
    try {
      return await this.recoverHeld();
    } finally {
      await held.release();
    }
  }

  /** Recovery for plan/drift: only when nobody live holds the lock (a live holder is not abandoned). */
  private async recoverIfFree(onEvent?: (e: EngineEvent) => void | Promise<void>): Promise<void> {
    const abandoned = await abandonedApplies(this.store, this.holder);
    if (abandoned.length === 0) return;
    let held: HeldLock;
    try {
      held = await acquire(this.store, this.holder, { timeoutMs: 0, actor: this.actor });
    } catch {
      return;
    }
    try {
      const done = await this.recoverHeld();
      for (const r of done) await onEvent?.({ type: "message", text: `recovered abandoned apply ${r.applyId}: ${r.status}` });
    } finally {
      await held.release();
    }
  }

  /** The state that was live before an apply: the last applied revision, else nothing at all. */
  private previousState(live: Revision | undefined, next: ResolvedState): ResolvedState | undefined {
    if (!live) return emptyState(next);
    try {
      return this.resolve(live);
    } catch {
      return undefined; // restore then relies on the providers' own undo records
    }
  }

  private async recoverHeld(): Promise<RecoveryReport[]> {
    const reports: RecoveryReport[] = [];
    for (const rec of await abandonedApplies(this.store, this.holder)) {
      let providers = new Map<SystemName, Provider>();
      let resources: Resource[] = [];
      let previous: ResolvedState | undefined;
      const rev = await this.store.getRevision(rec.revision);
      if (rev) {
        resources = rev.resources;
        try {
          providers = (await this.providersForRevision(rev, {})).providers;
          const begin = (await this.store.readJournal(rec.applyId)).find((e) => e.event === "begin");
          const prevHash = (begin?.data as { previous?: string | null } | undefined)?.previous;
          const prevRev = prevHash ? await this.store.getRevision(prevHash) : undefined;
          previous = prevHash ? (prevRev ? this.previousState(prevRev, this.resolve(rev)) : undefined) : emptyState(this.resolve(rev));
        } catch {
          /* recoverApply reports each step it cannot undo */
        }
      }
      const prevDesired = (p: Provider) => (previous ? p.compile(previous).desired : undefined);
      reports.push(await recoverApply(this.store, rec, providers, prevDesired, this.ctx(resources), { actor: this.actor, timeoutMs: this.stepTimeoutMs }));
    }
    return reports;
  }

  // ---- drift and reconcile ----------------------------------------------------------------

  /** Reality against the last applied revision: every unmanaged edit, per system. */
  async drift(opts: { systems?: SystemName[]; exclude?: SystemName[] } = {}): Promise<DriftReport> {
    await this.recoverIfFree();
    const applied = await this.store.lastApplied();
    if (!applied) return { systems: [], drifted: false };
    const state = this.resolve(applied);
    const { providers } = await this.providersForRevision(applied, opts);
    const ctx = this.ctx(applied.resources);
    const systems = await Promise.all(
      [...providers.values()].map(async (p) => {
        try {
          const actual = await withTimeout(`read of ${p.system}`, this.stepTimeoutMs, undefined, (signal) => p.read({ ...ctx, signal }));
          return { system: p.system, changes: p.diff(p.compile(state).desired, actual) };
        } catch (e) {
          return { system: p.system, changes: [] as Change[], error: `cannot read ${p.system}: ${errorText(e)}` };
        }
      }),
    );
    const ordered = SYSTEM_ORDER.flatMap((s) => systems.filter((x) => x.system === s));
    return { revision: applied.hash, systems: ordered, drifted: ordered.some((s) => s.changes.length > 0) };
  }

  /** Put reality back to the last applied revision (plan + apply of it). */
  async reconcile(opts: ApplyOptions = {}): Promise<ApplyResult> {
    const applied = await this.store.lastApplied();
    if (!applied) throw new HecateError("no-revision", "nothing has been applied yet, so there is nothing to reconcile to", { status: 404 });
    return this.apply({ revision: applied.hash }, opts);
  }

  reconcileLoop(opts: ReconcileLoopOptions): Promise<void> {
    return reconcileLoop(this, opts);
  }

  // ---- history ----------------------------------------------------------------------------

  /** A NEW revision with an old revision's resources, applied through the same transaction. */
  async rollback(to: string, opts: ApplyOptions & { message?: string } = {}): Promise<RollbackResult> {
    const old = await this.revisionOrHead(to);
    const revision = await this.putRevision(old.resources, {
      message: opts.message ?? `rollback to #${old.seq} (${old.hash.slice(0, 12)})`,
      source: { type: "rollback", location: old.hash },
    });
    await this.store.audit({ actor: this.actor, action: "rollback", target: revision.hash, detail: { to: old.hash, seq: old.seq } });
    const result = await this.apply({ revision: revision.hash }, opts);
    return { revision, result };
  }

  // ---- backup -----------------------------------------------------------------------------

  async backup(file: string): Promise<BackupManifest> {
    const m = await backup(this.store, file);
    await this.store.audit({ actor: this.actor, action: "backup", target: file, detail: { revisions: m.counts.revisions } });
    return m;
  }

  async restore(file: string, opts: { dryRun?: boolean; lockTimeoutMs?: number } = {}): Promise<RestoreReport> {
    if (opts.dryRun) return restore(this.store, file, { dryRun: true });
    const held = await this.lock({ lockTimeoutMs: opts.lockTimeoutMs ?? 30_000 });
    try {
      const r = await restore(this.store, file, { dryRun: false });
      await this.store.audit({ actor: this.actor, action: "restore", target: file, detail: { headBefore: r.headBefore, headAfter: r.headAfter } });
      return r;
    } finally {
      await held.release();
    }
  }

  // ---- render -----------------------------------------------------------------------------

  /** The compiled desired config of one system for a revision (default head), as text. */
  async render(system: SystemName, revision?: string): Promise<string> {
    return renderConfig(this.resolve(await this.revisionOrHead(revision)), system, this.factory).text;
  }
}

/** Nothing desired, same settings: what a system held before Hecate's first apply. */
function emptyState(like: ResolvedState): ResolvedState {
  return { settings: like.settings, routes: [], streams: [], dnsRecords: [], authPolicies: [], certificates: [], secrets: [] };
}

export function createEngine(opts: EngineOptions): Engine {
  return new Engine(opts);
}

export type { BackupManifest, RestoreReport };
