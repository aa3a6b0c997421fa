// Remote mode without a second implementation of the commands: the store and the engine a command
// gets from its context are, in remote mode, these stand-ins that ask `hecate serve` through its
// API. A command that reads revisions, the audit log or tokens, stores an edit, rolls back, backs
// up or restores runs its own code unchanged and prints what it prints locally. What the API does
// not offer (settings, reading a secret's value, ...) is refused by name, so a new command works
// remotely as soon as it uses only what is offered, and says clearly what is missing otherwise.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { HecateError } from "../../diag.js";
import type { ApplyOptions, ApplyResult, Plan } from "../../engine/types.js";
import type { PlanOptions } from "../../engine/plan.js";
import type { ReconcileStatus } from "../../engine/reconcile.js";
import type { CanaryRow, DeliveryEvent } from "../../engine/delivery/round.js";
import type { DeliveryAction } from "../../engine/delivery/actions.js";
import type { Delivered } from "../../engine/delivery/index.js";
import type { ManualRenewal, RevokedFacts } from "../../certs/manual.js";
import type { RevokeReason } from "../../certs/words.js";
import type { Finding } from "../../certs/chain.js";
import type { CertRow } from "../../certs/list.js";
import type { HealthReport } from "../../engine/health.js";
import type { AuthReport } from "../../engine/debug-auth.js";
import type { SystemName } from "../../providers/provider.js";
import type { AdoptReport, CheckOptions, CheckRow } from "../../providers/dns/ops.js";
import type { RRSet } from "../../providers/dns/records.js";
import type { ActualRRSet } from "../../providers/dns/diff.js";
import type { RotateResult } from "../../secrets/rotate.js";
import type { SecretSchedule } from "../../secrets/schedule.js";
import type { SecretCheck } from "../../secrets/check.js";
import type { AuthentikRotation } from "../../secrets/authentik-token.js";
import type { BackupManifest, RestoreReport } from "../../engine/backup.js";
import type { ApplyRecord, AuditEntry, AuditVerification, LockInfo, Revision, RevisionMeta, Store, TokenRecord } from "../../store/store.js";
import type { RemoteApi } from "./remote.js";

/** What remote mode says of a store or engine call the API does not offer. */
export function unsupported(api: RemoteApi, what: string): HecateError {
  return new HecateError(
    "remote-unsupported",
    `this command needs ${what}, which the API does not offer, and HECATE_API_ENDPOINT (or --endpoint) says to use ${api.endpoint}: unset it to use the local store`,
  );
}

/** A proxy whose missing members refuse by name (`what(name)`), around the members given. */
function only<T extends object>(api: RemoteApi, members: Partial<T>, what: (name: string) => string): T {
  return new Proxy(members, {
    get(target, prop) {
      if (prop in target) return (target as Record<PropertyKey, unknown>)[prop];
      if (typeof prop !== "string" || prop === "then") return undefined;
      return () => Promise.reject(unsupported(api, what(prop)));
    },
  }) as T;
}

/** undefined for a 404 (the caller words "not found" itself, as locally). */
async function orMissing<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof HecateError && e.status === 404) return undefined;
    throw e;
  }
}

const revision = (api: RemoteApi, ref: string) => orMissing(api.call<Revision>("GET", `/v1/revisions/${encodeURIComponent(ref)}`));

/** The store as the API offers it. */
export function remoteStore(api: RemoteApi): Store {
  const store: Partial<Store> = {
    head: () => revision(api, "head"),
    lastApplied: () => revision(api, "applied"),
    getRevision: (ref) => revision(api, ref),
    listRevisions: async (opts = {}) => (await api.history(opts.limit ?? 50)).map(({ applied: _a, ...r }) => r as RevisionMeta),
    // The edit is sent whole with the head it was made on; the server stores it only on that head.
    putRevision: async (input) => {
      const r = await api.putState(input.expectedParent ?? 0, input.resources, input.message ?? "");
      return { ...r.revision!, resources: input.resources } as Revision;
    },
    // The server audits what it does, as the token's name, with the client's address.
    audit: async () => undefined,
    listAudit: async (opts = {}) => (await api.call<{ items: AuditEntry[] }>("GET", `/v1/audit?limit=${opts.limit ?? 50}`)).items,
    verifyAudit: () => api.call<AuditVerification>("GET", "/v1/audit/verify"),
    // Never a hash over the API: the listing has none to hide.
    listTokens: async () => (await api.call<{ items: Omit<TokenRecord, "hash">[] }>("GET", "/v1/tokens")).items.map((t) => ({ ...t, hash: "" })),
    // A free lock is a 404, as undefined is locally; the server audits a break as the token.
    getLock: (name) => orMissing(api.call<LockInfo>("GET", `/v1/locks/${encodeURIComponent(name)}`)),
    breakLock: (name) => orMissing(api.call<LockInfo>("DELETE", `/v1/locks/${encodeURIComponent(name)}`)),
    listApplies: async (opts = {}) => {
      const q = new URLSearchParams({ ...(opts.status ? { status: opts.status } : {}), ...(opts.limit !== undefined ? { limit: String(opts.limit) } : {}) });
      return (await api.call<{ items: ApplyRecord[] }>("GET", `/v1/applies${q.size ? `?${q}` : ""}`)).items;
    },
    // The value goes in the body only, sealed by the server; nothing answers it back.
    putSecret: async (name, value) => void (await api.call("PUT", `/v1/secrets/${encodeURIComponent(name)}/value`, { value })),
    close: async () => undefined,
  };
  return only<Store>(api, store, (name) => `the store's ${name}`);
}

/** The part of the engine the API offers; plan, apply and drift have their own remote paths. */
export interface RemoteEngine {
  rollback(hash: string, opts: ApplyOptions & { message?: string }): Promise<{ revision?: Revision; result: ApplyResult }>;
  backup(file: string): Promise<BackupManifest>;
  restore(file: string, opts?: { dryRun?: boolean; skipSignature?: boolean }): Promise<RestoreReport>;
  apply(target: PlanOptions, opts?: ApplyOptions): Promise<ApplyResult>;
  reconcile(opts: ApplyOptions): Promise<ApplyResult>;
  reconcileStatus(): Promise<ReconcileStatus>;
  suspendReconcile(suspended: boolean): Promise<ReconcileStatus>;
  deliveryRound(): Promise<DeliveryEvent[]>;
  deliverAction(action: DeliveryAction, opts: ApplyOptions): Promise<Delivered>;
  canaryStatus(route?: string): Promise<CanaryRow[]>;
  certificates(): Promise<CertRow[]>;
  dnsZone(zone: string): Promise<ActualRRSet[]>;
  dnsZoneFile(zone: string): Promise<string>;
  checkDns(host: string, opts?: CheckOptions): Promise<CheckRow[]>;
  adoptDns(zone: string, rrsets: readonly RRSet[], survey: boolean): Promise<AdoptReport>;
  health(opts?: { systems?: SystemName[] }): Promise<HealthReport>;
  debugAuth(route: string, opts?: { user?: string; host?: string }): Promise<AuthReport>;
  renewCertificate(word: string, opts?: { force?: boolean; log?: (msg: string) => void }): Promise<ManualRenewal>;
  revokeCertificate(word: string, reason: RevokeReason): Promise<RevokedFacts>;
  validateCertificate(word: string, opts?: { checkChain?: boolean; caBundle?: { pem: string; from: string }; checkExpiry?: boolean }): Promise<{ name: string; findings: Finding[] }>;
  rotateSecret(name: string, value: string, opts: { graceMs: number }): Promise<RotateResult>;
  secretSchedules(): Promise<SecretSchedule[]>;
  /** env: the server's own (it resolves references where it applies them). */
  checkSecrets(opts?: { expiry?: boolean }): Promise<SecretCheck>;
  rotateAuthentikToken(name: string): Promise<AuthentikRotation>;
}

/**
 * What an apply on the server did, told to onEvent as a local apply tells it while it runs: each
 * step started (with the plan's count of its changes), done or failed.
 */
export function replaySteps(onEvent: ApplyOptions["onEvent"], plan: Plan | undefined, r: ApplyResult): void {
  if (!onEvent) return;
  for (const st of r.steps) {
    const changes = (plan?.steps ?? []).filter((p) => p.system === st.system && p.phase === st.phase).reduce((n, p) => n + p.changes.length, 0);
    void onEvent({ type: "step.start", system: st.system, changes });
    if (st.status === "applied") void onEvent({ type: "step.done", system: st.system });
    else if (st.error) void onEvent({ type: "step.failed", system: st.system, error: st.error });
  }
}

/** The apply options the API takes (the CLI's flags), from the engine's. */
function rails(o: ApplyOptions): Record<string, unknown> {
  return {
    ...(o.dryRun ? { dryRun: true } : {}),
    ...(o.maxDeletes !== undefined ? { maxDeletes: o.maxDeletes } : {}),
    ...(o.allowProtected ? { allowProtected: true } : {}),
    ...(o.lockTimeoutMs !== undefined ? { lockTimeoutMs: o.lockTimeoutMs } : {}),
    ...(o.probe ? { probe: true } : {}),
    ...(o.systems ? { systems: o.systems } : {}),
  };
}

/** An apply-failed answer still carries the result (and what else the server sent): the CLI reports it as it does locally. */
async function result<T>(p: Promise<T>): Promise<T | { result: ApplyResult; revision?: undefined; message?: string; plan?: { plan: Plan } }> {
  try {
    return await p;
  } catch (e) {
    const answer = (e as { answer?: { result?: ApplyResult; message?: string; plan?: { plan: Plan } } }).answer;
    if (e instanceof HecateError && e.code === "apply-failed" && answer?.result) return answer as { result: ApplyResult };
    throw e;
  }
}

export function remoteEngine(api: RemoteApi): import("./context.js").Engine {
  const engine: RemoteEngine = {
    async rollback(hash, o) {
      const body = {
        to: hash,
        // The CLI asked already (confirmPlan); the server's own rail would refuse a delete without it.
        yes: true,
        ...rails(o),
        ...(o.message !== undefined ? { message: o.message } : {}),
      };
      type Answer = { revision: { seq: number; hash: string } | null; result: ApplyResult; plan?: { plan: Plan } };
      const a = await result(api.call<Answer>("POST", "/v1/rollback", body));
      const plan = "plan" in a && a.plan ? { plan: a.plan.plan } : {};
      if (!o.dryRun) replaySteps(o.onEvent, plan.plan, a.result);
      return { ...(a.revision ? { revision: a.revision as Revision } : {}), result: { ...a.result, ...plan } };
    },
    // Only what the CLI asks of apply besides `hecate apply` (which has its own remote path): a
    // stored revision, some systems; the command confirmed what needs it.
    async apply(target, o = {}) {
      if ("steps" in target || target.resources) throw unsupported(api, "to apply a plan or resources made here");
      const answer = await api.apply({ ...rails(o), ...(target.revision ? { revision: target.revision } : {}), ...(target.systems ? { systems: target.systems } : {}), yes: true });
      // The answer's plan is the API's {plan, text}.
      const { plan, ...r } = answer as Omit<ApplyResult, "plan"> & { plan?: { plan: Plan } };
      if (!o.dryRun) replaySteps(o.onEvent, plan?.plan, r);
      return { ...r, ...(plan ? { plan: plan.plan } : {}) };
    },
    async reconcile(o) {
      const a = await result(api.call<{ result: ApplyResult; plan?: { plan: Plan } }>("POST", "/v1/reconcile", { ...rails(o), yes: true }));
      const plan = a.plan?.plan;
      if (!o.dryRun) replaySteps(o.onEvent, plan, a.result);
      return { ...a.result, ...(plan ? { plan } : {}) };
    },
    reconcileStatus: () => api.call<ReconcileStatus>("GET", "/v1/reconcile"),
    suspendReconcile: (suspended) => api.call<ReconcileStatus>("PUT", "/v1/reconcile", { suspended }),
    deliveryRound: async () => (await api.call<{ items: DeliveryEvent[] }>("POST", "/v1/delivery/round")).items,
    async deliverAction(action, o) {
      const q = new URLSearchParams({ ...(o.dryRun ? { dryRun: "true" } : {}), ...(o.probe ? { probe: "true" } : {}), ...(o.lockTimeoutMs !== undefined ? { lockTimeoutMs: String(o.lockTimeoutMs) } : {}) });
      const a = await result(api.call<Delivered & { plan?: { plan: Plan } }>("POST", `/v1/delivery${q.size ? `?${q}` : ""}`, action));
      const plan = a.plan?.plan;
      if (!o.dryRun) replaySteps(o.onEvent, plan, a.result);
      return { message: a.message ?? "", ...("pending" in a && a.pending ? { pending: a.pending } : {}), result: { ...a.result, ...(plan ? { plan } : {}) } };
    },
    canaryStatus: async (route) => (await api.call<{ items: CanaryRow[] }>("GET", `/v1/canaries${route !== undefined ? `?route=${encodeURIComponent(route)}` : ""}`)).items,
    health: (o = {}) => api.call<HealthReport>("GET", `/v1/health${o.systems ? `?systems=${encodeURIComponent(o.systems.join(","))}` : ""}`),
    debugAuth: (route, o = {}) => {
      const q = new URLSearchParams({ ...(o.user ? { user: o.user } : {}), ...(o.host ? { host: o.host } : {}) });
      return api.call<AuthReport>("GET", `/v1/debug/auth/${encodeURIComponent(route)}${q.size ? `?${q}` : ""}`);
    },
    dnsZone: async (zone) => (await api.call<{ items: ActualRRSet[] }>("GET", `/v1/dns/zones/${encodeURIComponent(zone)}`)).items,
    dnsZoneFile: async (zone) => (await api.call<{ zonefile: string }>("GET", `/v1/dns/zones/${encodeURIComponent(zone)}/zonefile`)).zonefile,
    checkDns: async (host, o = {}) => {
      const q = new URLSearchParams({ ...(o.servers?.length ? { servers: o.servers.join(",") } : {}), ...(o.resolver ? { resolver: o.resolver } : {}) });
      return (await api.call<{ items: CheckRow[] }>("GET", `/v1/dns/check/${encodeURIComponent(host)}${q.size ? `?${q}` : ""}`)).items;
    },
    adoptDns: (zone, rrsets, survey) => api.call<AdoptReport>("POST", `/v1/dns/zones/${encodeURIComponent(zone)}/adopt`, { rrsets, survey }),
    certificates: async () => (await api.call<{ items: CertRow[] }>("GET", "/v1/certificates")).items,
    async renewCertificate(word, o = {}) {
      const a = await api.call<ManualRenewal & { log?: string[] }>("POST", `/v1/certs/${encodeURIComponent(word)}/renew${o.force ? "?force=true" : ""}`);
      const { log = [], ...r } = a;
      for (const line of log) o.log?.(line);
      return r as ManualRenewal;
    },
    revokeCertificate: (word, reason) => api.call<RevokedFacts>("POST", `/v1/certs/${encodeURIComponent(word)}/revoke`, { reason }),
    validateCertificate: (word, o = {}) => api.call<{ name: string; findings: Finding[] }>("POST", `/v1/certs/${encodeURIComponent(word)}/validate`, o),
    secretSchedules: async () => (await api.call<{ items: SecretSchedule[] }>("GET", "/v1/secret-rotations")).items,
    checkSecrets: (o = {}) => api.call<SecretCheck>("GET", `/v1/secret-validation${o.expiry ? "?expiry=true" : ""}`),
    rotateSecret: (name, value, o) => api.call<RotateResult>("POST", `/v1/secrets/${encodeURIComponent(name)}/rotate`, { value, grace: `${o.graceMs}ms` }),
    rotateAuthentikToken: (name) => api.call<AuthentikRotation>("POST", `/v1/secrets/${encodeURIComponent(name)}/rotate`, {}),
    async backup(file) {
      const { bytes, manifest } = await api.download(`/v1/backup?name=${encodeURIComponent(file)}`, "hecate-backup-manifest");
      const tmp = `${file}.tmp-${process.pid}`;
      writeFileSync(tmp, bytes, { mode: 0o600 });
      renameSync(tmp, file);
      return JSON.parse(manifest) as BackupManifest;
    },
    async restore(file, o = {}) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch (e) {
        const { bad } = await import("../../engine/backup.js");
        throw bad(file, `cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      const q = new URLSearchParams({ name: file, ...(o.dryRun ? { dryRun: "true" } : { yes: "true" }), ...(o.skipSignature ? { skipSignature: "true" } : {}) });
      return api.upload<RestoreReport>(`/v1/restore?${q}`, bytes, "application/gzip");
    },
  };
  return only(api, engine as unknown as Record<string, unknown>, (name) => `the engine's ${name}`) as unknown as import("./context.js").Engine;
}
