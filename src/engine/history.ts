// History: desired state read and validated (resolveChecked, for every surface), and stored as
// revisions on top of the head.
import { HecateError, hasErrors, invalidState, type Diagnostic } from "../diag.js";
import { resolveState } from "../model/index.js";
import type { ResolveMemo } from "../model/resolve.js";
import type { ResolvedState } from "../model/resolved.js";
import type { Resource } from "../model/schema.js";
import type { Revision, RevisionSource } from "../store/store.js";
import { contentHash } from "../store/content.js";
import { loadSource, type LoadedSource } from "../sources/index.js";
import type { Core } from "./core.js";
import type { SourceSpec } from "./types.js";

export interface CommitMeta {
  /**
   * Seq of the head this commit builds on (0: an empty store): the commit fails with "head-moved"
   * when the head is another by then. Default: whatever the head is at that moment.
   */
  expectedParent?: number;
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

/**
 * Resolve loaded files, a git checkout or stored resources without storing anything: the state
 * and every diagnostic at its file position, or HecateError "invalid" with all of them at once.
 * `what` names it in the error ("the desired state", "revision #3").
 */
export function resolveChecked(input: LoadedSource | { docs: readonly Resource[] }, what = "the desired state", memo?: ResolveMemo): { state: ResolvedState; diagnostics: Diagnostic[] } {
  const known = "diagnostics" in input ? input.diagnostics : [];
  const relabel = "relabel" in input ? input.relabel : (d: Diagnostic[]) => d;
  if (hasErrors(known)) throw invalidState(relabel(known), what); // what did not load cannot resolve
  const { state, diagnostics } = resolveState(input.docs, memo ? { memo } : {});
  const all = relabel([...known, ...diagnostics]);
  if (hasErrors(all) || !state) throw invalidState(all, what);
  return { state, diagnostics: all };
}

/** Desired state read from a source and validated, not stored: what plan and apply take. */
export interface Desired {
  hash: string;
  resources: Resource[];
  /** Warnings, at their file positions (errors make load throw HecateError "invalid"). */
  diagnostics: Diagnostic[];
  /** How the revision made of it is recorded: its source and a default message. */
  commit: { message: string; source: RevisionSource };
}

/** Read a source once (each file parsed once), resolve and validate it; nothing is stored. */
export async function loadDesired(core: Core, source: SourceSpec): Promise<Desired> {
  const loaded = await loadSource(source, { documents: core.documents });
  Object.freeze(loaded.resources); // hashed once (contentHash), then planned, applied and stored as it is
  const { state, diagnostics: all } = resolveChecked(loaded, undefined, core.resolveMemo);
  const hash = contentHash(loaded.resources);
  // Documents a reader remembered are known bodies, as stored ones are: routes may be shared (Core.share).
  core.remember(hash, state, loaded.resources);
  const message = loaded.source.type === "git" ? `from ${loaded.source.location}${loaded.source.commit ? ` at ${loaded.source.commit.slice(0, 12)}` : ""}` : `from ${loaded.source.location}`;
  return { hash, resources: loaded.resources, diagnostics: all, commit: { message, source: loaded.source } };
}

export async function commitFromSource(core: Core, source: SourceSpec, meta: CommitMeta = {}): Promise<CommitResult> {
  const d = await loadDesired(core, source);
  const revision = await putRevision(core, d.resources, { ...meta, message: meta.message ?? d.commit.message, source: meta.source ?? d.commit.source });
  return { revision, diagnostics: d.diagnostics };
}

export async function commit(core: Core, resources: Resource[], meta: CommitMeta = {}): Promise<CommitResult> {
  const { state, diagnostics } = resolveChecked({ docs: resources }, undefined, core.resolveMemo);
  const revision = await putRevision(core, resources, meta);
  // The stored bodies (the same hashes as `resources`): what lets a later revision share routes.
  core.remember(revision.hash, state, revision.resources);
  return { revision, diagnostics };
}

/** Store resources as a new revision on top of the head, and audit it. */
export async function putRevision(core: Core, resources: Resource[], meta: CommitMeta & { actor?: string }): Promise<Revision> {
  const actor = meta.actor ?? core.actor;
  const revision = await core.store.putRevision({
    expectedParent: meta.expectedParent ?? (await core.store.listRevisions({ limit: 1 }))[0]?.seq ?? 0,
    resources,
    author: meta.author ?? actor,
    message: meta.message ?? "",
    source: meta.source ?? { type: "api" },
  });
  await core.store.audit({ actor, action: "revision.create", target: revision.hash, detail: { seq: revision.seq, source: revision.source } });
  return revision;
}

/** The head when it holds exactly these resources, else a new revision with them. */
export async function headOrCommit(core: Core, hash: string, resources: Resource[], meta: CommitMeta & { actor?: string }): Promise<Revision> {
  const head = await core.store.head();
  if (head && head.hash === hash) return head;
  return putRevision(core, resources, { expectedParent: head?.seq ?? 0, ...meta });
}
