// Remote mode without a second implementation of the commands: the store and the engine a command
// gets from its context are, in remote mode, these stand-ins that ask `hecate serve` through its
// API. A command that reads revisions, the audit log or tokens, stores an edit, rolls back, backs
// up or restores runs its own code unchanged and prints what it prints locally. What the API does
// not offer (locks, settings, secret values, ...) is refused by name, so a new command works
// remotely as soon as it uses only what is offered, and says clearly what is missing otherwise.
import { readFile, rename, writeFile } from "node:fs/promises";
import { HecateError } from "../../diag.js";
import type { ApplyOptions, ApplyResult, Plan } from "../../engine/types.js";
import type { BackupManifest, RestoreReport } from "../../engine/backup.js";
import type { AuditEntry, AuditVerification, Revision, RevisionMeta, Store, TokenRecord } from "../../store/store.js";
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
    close: async () => undefined,
  };
  return only<Store>(api, store, (name) => (name === "putSecret" ? "to store a secret's value (never sent over the API: give a reference, --from env:VAR or file:/path)" : `the store's ${name}`));
}

/** The part of the engine the API offers; plan, apply and drift have their own remote paths. */
export interface RemoteEngine {
  rollback(hash: string, opts: ApplyOptions & { message?: string }): Promise<{ revision?: Revision; result: ApplyResult }>;
  backup(file: string): Promise<BackupManifest>;
  restore(file: string, opts?: { dryRun?: boolean; skipSignature?: boolean }): Promise<RestoreReport>;
}

/** An apply-failed answer still carries the result: the CLI reports it as it does locally. */
async function result<T>(p: Promise<T>): Promise<T | { result: ApplyResult; revision?: undefined }> {
  try {
    return await p;
  } catch (e) {
    const r = (e as { answer?: { result?: ApplyResult } }).answer?.result;
    if (e instanceof HecateError && e.code === "apply-failed" && r) return { result: r };
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
        ...(o.dryRun ? { dryRun: true } : {}),
        ...(o.message !== undefined ? { message: o.message } : {}),
        ...(o.maxDeletes !== undefined ? { maxDeletes: o.maxDeletes } : {}),
        ...(o.allowProtected ? { allowProtected: true } : {}),
        ...(o.lockTimeoutMs !== undefined ? { lockTimeoutMs: o.lockTimeoutMs } : {}),
        ...(o.probe ? { probe: true } : {}),
        ...(o.systems ? { systems: o.systems } : {}),
      };
      type Answer = { revision: { seq: number; hash: string } | null; result: ApplyResult; plan?: { plan: Plan } };
      const a = await result(api.call<Answer>("POST", "/v1/rollback", body));
      const plan = "plan" in a && a.plan ? { plan: a.plan.plan } : {};
      return { ...(a.revision ? { revision: a.revision as Revision } : {}), result: { ...a.result, ...plan } };
    },
    async backup(file) {
      const { bytes, manifest } = await api.download(`/v1/backup?name=${encodeURIComponent(file)}`, "hecate-backup-manifest");
      const tmp = `${file}.tmp-${process.pid}`;
      await writeFile(tmp, bytes, { mode: 0o600 });
      await rename(tmp, file);
      return JSON.parse(manifest) as BackupManifest;
    },
    async restore(file, o = {}) {
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
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
