// The Engine: the verbs surfaces (CLI, API) call, each a thin door to its own module over one
// shared Core: history (commit, rollback), plan, apply and recovery, drift and reconcile,
// backup and restore, render.
import type { Resource } from "../model/schema.js";
import type { ProviderContext, SystemName } from "../providers/provider.js";
import type { ResolvedState } from "../model/resolved.js";
import type { Revision, RevisionSource } from "../store/store.js";
import { apply, recover, recoverIfFree } from "./apply.js";
import { backup, restore, restoreAuditDetail, type BackupManifest, type RestoreReport } from "./backup.js";
import { Core, targetOf, type EngineOptions, type ProviderFactory } from "./core.js";
import { drift, reconcile } from "./drift.js";
import { debugAuth, type AuthReport } from "./debug-auth.js";
import { health, type HealthReport } from "./health.js";
import { acquire } from "./lock.js";
import { assertRenderable, renderConfig } from "../render/config.js";
import { commit, commitFromSource, loadDesired, type CommitMeta, type CommitResult, type Desired } from "./history.js";
import { prepare, targetFor, type PlanOptions } from "./plan.js";
import { reconcileLoop, reconcileStatus, suspendReconcile, type ReconcileLoopOptions, type ReconcileStatus } from "./reconcile.js";
import type { RecoveryReport } from "./recovery.js";
import type { Delivered, DeliveryMeta } from "./delivery/index.js";
import type { Edited } from "./delivery/edits.js";
import type { DeliveryAction } from "./delivery/actions.js";
import type { CanaryRow, DeliveryEvent } from "./delivery/round.js";
import type { UpkeepReport } from "../secrets/upkeep.js";
import type { RotateResult } from "../secrets/rotate.js";
import type { SecretSchedule } from "../secrets/schedule.js";
import type { SecretCheck } from "../secrets/check.js";
import type { AuthentikRotation } from "../secrets/authentik-token.js";
import type { ManualRenewal, RevokedFacts } from "../certs/manual.js";
import type { RevokeReason } from "../certs/words.js";
import type { Finding } from "../certs/chain.js";
import type { CertRow } from "../certs/list.js";
import type { AdoptReport, CheckOptions, CheckRow } from "../providers/dns/ops.js";
import type { RRSet } from "../providers/dns/records.js";
import type { ActualRRSet } from "../providers/dns/diff.js";
import type { ApplyOptions, ApplyResult, DriftReport, Plan, SourceSpec } from "./types.js";

export type { HealthReport, SystemHealth } from "./health.js";
export type { RecoveryReport, ReconcileLoopOptions, EngineOptions, ProviderFactory, CommitMeta, CommitResult, PlanOptions, Desired };

export interface RollbackResult {
  /** The revision applied (absent on a dry run: nothing is stored). */
  revision?: Revision;
  result: ApplyResult;
}

export class Engine {
  private readonly core: Core;

  constructor(opts: EngineOptions) {
    this.core = new Core(opts);
  }

  get store() {
    return this.core.store;
  }
  get actor() {
    return this.core.actor;
  }
  get holder() {
    return this.core.holder;
  }

  commitFromSource(source: SourceSpec, meta: CommitMeta = {}): Promise<CommitResult> {
    return commitFromSource(this.core, source, meta);
  }

  /** A source read and validated, not stored: give its resources to plan or apply. */
  load(source: SourceSpec): Promise<Desired> {
    return loadDesired(this.core, source);
  }

  commit(resources: Resource[], meta: CommitMeta = {}): Promise<CommitResult> {
    return commit(this.core, resources, meta);
  }

  /** Desired state (a revision, default head, or resources) against reality. Recovers abandoned applies first. */
  async plan(opts: PlanOptions = {}): Promise<Plan> {
    await recoverIfFree(this.core, opts.onEvent);
    return (await prepare(this.core, await targetFor(this.core, opts), opts)).plan;
  }

  apply(planOrOpts: Plan | PlanOptions = {}, opts: ApplyOptions = {}): Promise<ApplyResult> {
    return apply(this.core, planOrOpts, opts);
  }

  recover(opts: { lockTimeoutMs?: number } = {}): Promise<RecoveryReport[]> {
    return recover(this.core, opts);
  }

  drift(opts: { systems?: SystemName[]; exclude?: SystemName[] } = {}): Promise<DriftReport> {
    return drift(this.core, opts);
  }

  /** Each system read now against the last applied revision (or the head): reachable, how fast, drifted. */
  health(opts: { systems?: SystemName[] } = {}): Promise<HealthReport> {
    return health(this.core, opts);
  }

  reconcile(opts: ApplyOptions = {}): Promise<ApplyResult> {
    return reconcile(this.core, opts);
  }

  reconcileLoop(opts: ReconcileLoopOptions): Promise<void> {
    return reconcileLoop(this, opts);
  }

  /** A delivery edit (canary, switch, disable, block, bypass) applied as a new revision and audited. */
  async deliver(edit: (resources: Resource[]) => Edited, meta: DeliveryMeta): Promise<Delivered> {
    const { deliver } = await import("./delivery/index.js");
    return deliver(this, edit, meta);
  }

  /** A delivery action given as data (the CLI's flags, the API's body): its edit delivered as `deliver` does. */
  async deliverAction(a: DeliveryAction, apply: ApplyOptions = {}, source?: RevisionSource): Promise<Delivered> {
    const { deliveryOf } = await import("./delivery/actions.js");
    const { edit, meta } = deliveryOf(a);
    return this.deliver(edit, { ...meta, apply, ...(source ? { source } : {}) });
  }

  /** `hecate canary status`: each canary of what is live (or one route's), judged now. */
  async canaryStatus(route?: string): Promise<CanaryRow[]> {
    const { canaryStatus } = await import("./delivery/round.js");
    return canaryStatus(this, route);
  }

  /** Whether reconciling is suspended, the circuit breaker, fleet nodes found down. */
  reconcileStatus(): Promise<ReconcileStatus> {
    return reconcileStatus(this.store);
  }

  /** Pause or let run again every reconcile loop sharing the store (audited as this engine's actor). */
  suspendReconcile(suspended: boolean): Promise<ReconcileStatus> {
    return suspendReconcile(this.store, suspended, this.actor);
  }

  /** The reconcile loop's delivery round: expiries carried out, canaries judged, stepped, promoted or rolled back. */
  async deliveryRound(opts: { now?: Date } = {}): Promise<DeliveryEvent[]> {
    // Most rounds have nothing due: decide that from the live revision without loading the module.
    const live = await this.store.lastApplied();
    const due = live?.resources.some((r) => (r.kind === "Route" && (r.spec.canary || r.spec.bypassAuth || r.spec.blocks?.some((b) => b.until))) || (r.kind === "Settings" && r.spec.blocks?.some((b) => b.until)));
    if (!due) return [];
    const { deliveryRound } = await import("./delivery/round.js");
    return deliveryRound(this, opts);
  }

  /** A zone as the DNS provider holds it now, with who owns each rrset (`list dns --zone`, `export dns --format yaml`). */
  async dnsZone(zone: string): Promise<ActualRRSet[]> {
    const { listZone } = await import("../providers/dns/ops.js");
    const { state, ctx } = await this.context();
    return listZone(state.settings, ctx, zone);
  }

  /** A zone as a BIND zone file, in the DNS provider's own export (`export dns`). */
  async dnsZoneFile(zone: string): Promise<string> {
    const { exportZone } = await import("../providers/dns/ops.js");
    const { state, ctx } = await this.context();
    return exportZone(state.settings, ctx, zone);
  }

  /** Each authoritative server and the resolver asked for what the head wants at `host` (`check dns`). */
  async checkDns(host: string, opts: CheckOptions = {}): Promise<CheckRow[]> {
    const [{ checkName }, { compileDns }] = await Promise.all([import("../providers/dns/ops.js"), import("../providers/dns/records.js")]);
    const { state, ctx } = await this.context();
    return checkName(state.settings, ctx, compileDns(state).desired, host, opts);
  }

  /** Label rrsets that exist at the DNS provider as Hecate's, changing no record (`import dns`); survey: only say what would happen. */
  async adoptDns(zone: string, rrsets: readonly RRSet[], survey: boolean): Promise<AdoptReport> {
    const { adopt } = await import("../providers/dns/ops.js");
    const { state, ctx } = await this.context();
    return adopt(state.settings, ctx, zone, rrsets, survey);
  }

  /** `hecate list certs`: each Certificate of the head with what is held (not-after, days left, source). */
  async certificates(): Promise<CertRow[]> {
    const { certificateRows } = await import("../certs/list.js");
    return certificateRows(this);
  }

  /** `hecate cert renew WORD`: a dns-01 certificate (by name or host) obtained again when due, or now with force; the next apply to Caddy loads it. */
  async renewCertificate(word: string, opts: { force?: boolean; log?: (msg: string) => void } = {}): Promise<ManualRenewal> {
    const { renewByHand } = await import("../certs/manual.js");
    return renewByHand(this, word, opts);
  }

  /** `hecate cert revoke WORD`: revoked at its ACME CA and marked revoked (the next renewal replaces it). */
  async revokeCertificate(word: string, reason: RevokeReason): Promise<RevokedFacts> {
    const { revokeByHand } = await import("../certs/manual.js");
    return revokeByHand(this, word, reason);
  }

  /** `hecate cert validate WORD`: the key is the leaf's, dates, hosts covered; optionally the chain to a root and expiry. */
  async validateCertificate(word: string, opts: { checkChain?: boolean; caBundle?: { pem: string; from: string }; checkExpiry?: boolean } = {}): Promise<{ name: string; findings: Finding[] }> {
    const { validateByHand } = await import("../certs/manual.js");
    return validateByHand(this, word, opts);
  }

  /** `hecate list secrets --show-expiry`: each Secret of the head's rotation schedule and open grace window. */
  async secretSchedules(): Promise<SecretSchedule[]> {
    const { secretSchedules } = await import("../secrets/schedule.js");
    return secretSchedules(this.store, (await this.store.head())?.resources ?? []);
  }

  /** `hecate secret validate`: every Secret and secret reference of the head resolved now (`env`: where env: references are read), values never returned. */
  async checkSecrets(opts: { expiry?: boolean; env?: Record<string, string | undefined> } = {}): Promise<SecretCheck> {
    const [{ checkSecrets }, { createSecretResolver }] = await Promise.all([import("../secrets/check.js"), import("../store/secrets.js")]);
    const resources = (await this.store.head())?.resources ?? [];
    return checkSecrets(this.store, resources, createSecretResolver(this.store, resources, (opts.env ?? process.env) as NodeJS.ProcessEnv), { expiry: Boolean(opts.expiry) });
  }

  /** `hecate secret rotate NAME`: a store Secret's new value, the old one accepted for graceMs (0: dropped at once). */
  async rotateSecret(name: string, value: string, opts: { graceMs: number; reason?: string }): Promise<RotateResult> {
    const { rotateStoreSecret } = await import("../secrets/rotate.js");
    return rotateStoreSecret(this.store, name, value, { graceMs: opts.graceMs, actor: this.actor, reason: opts.reason ?? "manual" });
  }

  /** The authentik API token Settings names, replaced by a new one made, verified and switched to. */
  async rotateAuthentikToken(name: string): Promise<AuthentikRotation> {
    const { rotateAuthentikToken } = await import("../secrets/authentik-token.js");
    const { state } = await this.context();
    return rotateAuthentikToken(this.store, state, name, { actor: this.actor });
  }

  /**
   * The reconcile loop's secret and certificate upkeep (src/secrets/upkeep.ts) against the last
   * applied revision: grace windows closed, due rotations made, expiring certificates found.
   */
  async upkeep(opts: { now?: number; thresholdsDays?: readonly number[] } = {}): Promise<UpkeepReport | undefined> {
    const applied = await this.store.lastApplied();
    const { upkeep, endAllGraces } = await import("../secrets/upkeep.js");
    // Grace windows end on time with nothing applied yet too (API tokens, webhook secrets).
    if (!applied) return { ...(await endAllGraces(this.store, this.actor, opts.now)), rotated: [], failed: [], expiring: [] };
    const state = this.core.resolve(targetOf(applied));
    return upkeep({ store: this.store, actor: this.actor, resources: applied.resources, state, secrets: this.core.secretsFor(applied.resources), ...opts });
  }

  /**
   * An old revision's resources applied through the same transaction, stored as a NEW revision
   * once the apply goes ahead (dryRun: the plan only, nothing stored).
   */
  async rollback(to: string, opts: ApplyOptions & { message?: string } = {}): Promise<RollbackResult> {
    const old = await this.core.revisionOrHead(to);
    const { message, ...o } = opts;
    const result = await this.apply(
      { resources: old.resources },
      { ...o, resources: old.resources, commit: { message: message ?? `rollback to #${old.seq} (${old.hash.slice(0, 12)})`, source: { type: "rollback", location: old.hash } } },
    );
    if (opts.dryRun) return { result };
    const revision = (await this.store.getRevision(result.revision))!;
    await this.store.audit({ actor: opts.actor ?? this.actor, action: "rollback", target: revision.hash, detail: { to: old.hash, seq: old.seq } });
    return { revision, result };
  }

  /** `name`: what the audit log calls the file (through the API: a download, not a path on the server). */
  async backup(file: string, name = file): Promise<BackupManifest> {
    const m = await backup(this.store, file);
    await this.store.audit({ actor: this.actor, action: "backup", target: name, detail: { revisions: m.counts.revisions } });
    return m;
  }

  async restore(file: string, opts: { dryRun?: boolean; skipSignature?: boolean; lockTimeoutMs?: number; name?: string; key?: Buffer } = {}): Promise<RestoreReport> {
    if (opts.dryRun) return restore(this.store, file, { ...opts, dryRun: true });
    const held = await acquire(this.store, this.holder, { timeoutMs: opts.lockTimeoutMs ?? 30_000, actor: this.actor });
    try {
      const r = await restore(this.store, file, { ...opts, dryRun: false });
      await this.store.audit({ actor: this.actor, action: "restore", target: opts.name ?? file, detail: restoreAuditDetail(r) });
      return r;
    } finally {
      await held.release();
    }
  }

  /**
   * The resolved state of a revision (default head; no revision yet: an empty state with default
   * settings) and a provider context with its secrets: for commands that talk to one system
   * directly (dns export, check dns).
   */
  async context(revision?: string): Promise<{ state: ResolvedState; ctx: ProviderContext; revision?: Revision }> {
    const head = revision ? await this.core.revisionOrHead(revision) : await this.store.head();
    const target = head ? targetOf(head) : { hash: "empty", resources: [] };
    return { state: this.core.resolve(target), ctx: this.core.ctx(target.resources), ...(head ? { revision: head } : {}) };
  }

  /** Walk a protected route's forward-auth chain as it is live and name the first broken link. */
  async debugAuth(route: string, opts: { user?: string; host?: string } = {}): Promise<AuthReport> {
    const { state, ctx } = await this.context();
    return debugAuth(state, ctx, route, opts);
  }

  /** The compiled desired config of one system for a revision (default head), as its own text. */
  async render(system: SystemName, revision?: string): Promise<string> {
    assertRenderable(system);
    return renderConfig(this.core.resolve(targetOf(await this.core.revisionOrHead(revision))), system, this.core.factory).text;
  }
}

export function createEngine(opts: EngineOptions): Engine {
  return new Engine(opts);
}

export type { BackupManifest, RestoreReport, AuthReport };
