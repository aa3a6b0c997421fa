// The store interface: everything the engine remembers goes through it. The embedded SQLite
// store (store/sqlite.ts) is the default; distributed backends (etcd, Consul KV) implement the
// same interface. All methods are async so network backends fit.
//
// Two compare-and-set rules keep writers honest, the same on SQLite and etcd (one transaction
// with a compare each): a new revision names the head it was based on (expectedParent), and every
// write of an apply may carry the apply lock's fencing token (Fence), refused once that lease is
// no longer the current one. On etcd: the head is a key holding its seq, compared in the txn that
// writes the revision (bodies and chunks are content-addressed, so they can be put before it);
// the lock is a key on a lease, and its create revision is a ready-made fencing token.
import type { Resource } from "../model/schema.js";
import type { DerivedKey } from "./crypto.js";
import type { AuditVerification } from "./audit-chain.js";

export type { DerivedKey } from "./crypto.js";
export type { AuditVerification, AuditProblem } from "./audit-chain.js";

export interface RevisionSource {
  type: "cli" | "file" | "git" | "api" | "rollback" | "restore";
  /** Path, repository URL, or revision id rolled back to. */
  location?: string;
  ref?: string;
  commit?: string;
}

export interface RevisionMeta {
  /** Sequence number, 1-based, increasing. */
  seq: number;
  /** Content hash (sha256 hex of the canonical resources). */
  hash: string;
  parent?: string;
  author: string;
  message: string;
  source: RevisionSource;
  createdAt: string; // ISO 8601
}

export interface Revision extends RevisionMeta {
  resources: Resource[];
}

export interface AuditEntry {
  id?: number;
  at?: string;
  actor: string;
  action: string; // "revision.create", "apply", "rollback", "lock.break", ...
  target?: string;
  detail?: Record<string, unknown>;
  /** Where the change came from: the API client's address (absent for the local CLI). */
  address?: string;
  /** This entry's link in the hash chain (set by the store; see store/audit-chain.ts). */
  hash?: string;
}

/** read: GET only; write: changes to the desired state and the systems; admin: tokens, audit, backup. */
export type TokenScope = "read" | "write" | "admin";

/** An API token as stored: only a hash of its secret, never the secret. */
export interface TokenRecord {
  /** Public part of the token (it names the row; the secret part proves it). */
  id: string;
  /** Unique; the actor the audit log names for what the token does. */
  name: string;
  scope: TokenScope;
  /** sha256 (hex) of the secret part. */
  hash: string;
  createdAt: string;
  createdBy: string;
  expiresAt?: string;
  revokedAt?: string;
  /** sha256 (hex) of the secret before the last rotation, still accepted until previousUntil (its grace window). */
  previousHash?: string;
  previousUntil?: string;
  /** When the secret was last rotated (`hecate token rotate`). */
  rotatedAt?: string;
}

/** What a rotation (or the end of its grace window) sets on a token; a field left out is cleared. */
export type TokenSecret = Pick<TokenRecord, "hash"> & Partial<Pick<TokenRecord, "previousHash" | "previousUntil" | "rotatedAt">>;

export interface JournalEntry {
  applyId: string;
  seq?: number;
  at?: string;
  /** "begin" | "step.start" | "step.done" | "step.failed" | "undo.start" | "undo.done" | "undo.failed" | "end" */
  event: string;
  system?: string;
  data?: unknown;
}

/** A journal entry written with its apply's begin or end (the apply's id is that apply's). */
export type ApplyJournalEntry = Omit<JournalEntry, "applyId">;

/** What is written with an apply's end, in the same transaction. */
export interface ApplyEnding {
  journal?: readonly ApplyJournalEntry[];
  /** The revision the apply leaves applied, as setApplied(hash, fence, systems) marks it. */
  applied?: { hash: string; systems?: readonly string[] };
  audit?: AuditEntry;
}

export interface ApplyRecord {
  applyId: string;
  revision: string; // hash
  status: "running" | "succeeded" | "rolled-back" | "failed" | "abandoned";
  startedAt: string;
  endedAt?: string;
  holder: string;
}

export interface LockInfo {
  name: string;
  holder: string;
  /**
   * Fencing token: increases with every new acquisition of this lock name (never reused, also
   * after unlock), unchanged by renewals.
   */
  token: number;
  acquiredAt: string;
  expiresAt: string;
}

/** tryLock's answer: the lock is ours now (lock.token is our fence), or someone else's lock. */
export type LockAttempt = { acquired: true; lock: LockInfo } | { acquired: false; lock: LockInfo };

/**
 * Presented with a write to make it conditional on a lease: the write happens only while lock
 * `lock` is live and its current token is `token`; otherwise it is refused with HecateError
 * "fenced" (409) and nothing is written. A holder whose lease lapsed or was broken cannot write.
 */
export interface Fence {
  lock: string;
  token: number;
}

export interface PutRevisionInput {
  resources: Resource[];
  author: string;
  message: string;
  source: RevisionSource;
  /**
   * Seq of the head the writer read and based this revision on; 0 when the store was empty.
   * The revision is stored only if that is still the head (compare-and-set); otherwise
   * HecateError "head-moved" (409): read the head again, redo the change, retry.
   */
  expectedParent: number;
}

export interface Store {
  /**
   * Store a revision whose parent is the head at input.expectedParent, or fail with "head-moved".
   * Identical content to the head still creates a new revision (new message). Each resource body
   * is kept once, by content, so a revision costs about what changed, not the whole state.
   */
  putRevision(input: PutRevisionInput): Promise<Revision>;
  /** By hash, unique hash prefix (>= 4 chars), or "#seq"/seq number. */
  getRevision(ref: string): Promise<Revision | undefined>;
  head(): Promise<Revision | undefined>;
  listRevisions(opts?: { limit?: number }): Promise<RevisionMeta[]>;

  /**
   * The revision last applied successfully (drift compares against it). With `systems`, it was
   * applied to those systems alone (`apply --system`): each of them remembers it and the others
   * keep what they had; an apply to every system marks the revision and clears these.
   */
  setApplied(hash: string, fence?: Fence, systems?: readonly string[]): Promise<void>;
  /** The revision last applied to every system; given a system, the one last applied to it. */
  lastApplied(system?: string): Promise<Revision | undefined>;

  /**
   * Appended and chained to the previous entry's hash (store/audit-chain.ts). Several entries are
   * appended in order in one write (the edits of one group commit: one sync, not one per entry).
   */
  audit(entry: AuditEntry | readonly AuditEntry[]): Promise<void>;
  listAudit(opts?: { limit?: number }): Promise<AuditEntry[]>;
  /** Walk the whole chain: edited, deleted or missing newest entries are problems. */
  verifyAudit(): Promise<AuditVerification>;

  /** A new API token; HecateError "exists" (409) when the name is taken (revoked tokens keep theirs). */
  putToken(token: Omit<TokenRecord, "createdAt" | "revokedAt">): Promise<TokenRecord>;
  getToken(id: string): Promise<TokenRecord | undefined>;
  /** Oldest first, revoked ones included. */
  listTokens(): Promise<TokenRecord[]>;
  /** By name or id; the token as it is now revoked, or undefined when there is no such token. */
  revokeToken(nameOrId: string): Promise<TokenRecord | undefined>;
  /**
   * Set a token's secret hashes (a rotation, or its grace window closed), only while its hash and
   * window end are still `expect`'s (so a rotation made meanwhile is never undone, and a window is
   * closed once). The record as it is now; undefined when there is no such token or it had changed.
   */
  setTokenSecret(id: string, expect: Pick<TokenRecord, "hash" | "previousUntil">, next: TokenSecret): Promise<TokenRecord | undefined>;

  /**
   * The write methods of an apply take the apply lock's fence; without one they are unconditional.
   * Each is one transaction (one sync): an apply begins with its first journal entries, and ends
   * with its last ones, the revision it leaves applied and its audit entry, so a crash leaves
   * either all of an ending or none of it.
   */
  beginApply(rec: Omit<ApplyRecord, "status" | "startedAt">, fence?: Fence, journal?: readonly ApplyJournalEntry[]): Promise<ApplyRecord>;
  /** Several entries of one apply are appended in order in one write. */
  journal(entry: JournalEntry | readonly JournalEntry[], fence?: Fence): Promise<void>;
  endApply(applyId: string, status: ApplyRecord["status"], fence?: Fence, ending?: ApplyEnding): Promise<void>;
  getApply(applyId: string): Promise<ApplyRecord | undefined>;
  listApplies(opts?: { status?: ApplyRecord["status"]; limit?: number }): Promise<ApplyRecord[]>;
  readJournal(applyId: string): Promise<JournalEntry[]>;

  /**
   * Acquire (free or expired: a new token) or renew (ours and live: same token, later expiry).
   * A holder whose own lease expired gets a NEW token: whatever it held before is fenced off.
   */
  tryLock(name: string, holder: string, ttlMs: number): Promise<LockAttempt>;
  /**
   * Extend the lease of exactly this acquisition (holder and token) while it is live; false when
   * it is not ours any more (taken, broken, or expired). Never acquires: a holder that lost the
   * lock must not get it back behind the back of whoever broke it.
   */
  renewLock(name: string, holder: string, token: number, ttlMs: number): Promise<boolean>;
  unlock(name: string, holder: string): Promise<void>;
  getLock(name: string): Promise<LockInfo | undefined>;
  /** Remove a lock whoever holds it (an operator's `unlock --force`); returns what was removed. */
  breakLock(name: string): Promise<LockInfo | undefined>;

  /** Encrypted at rest; values never logged. The fence is for an apply's sealed undo data. */
  putSecret(name: string, value: string, fence?: Fence): Promise<void>;
  getSecret(name: string): Promise<string | undefined>;
  deleteSecret(name: string, fence?: Fence): Promise<void>;
  listSecrets(): Promise<string[]>;
  /**
   * Every sealed value opened and sealed again with `newKey` in one transaction (refused, nothing
   * written, when a value does not open with the current key); then this instance seals with
   * `newKey`, and the old key opens nothing in the store. Persisting the new key is the caller's.
   */
  rekey(newKey: Buffer, fence?: Fence): Promise<RekeyResult>;
  /** Blobs (base64) sealed with `oldKey`, sealed again with this store's key; writes nothing (restore of an older backup). */
  reseal(blobs: Record<string, string>, oldKey: Buffer): Promise<Record<string, string>>;

  /** Key/value settings the engine keeps (reconcile suspended, ...). */
  getSetting(key: string): Promise<string | undefined>;
  setSetting(key: string, value: string | undefined): Promise<void>;

  /** A key derived from the secret key for one purpose (backup signing); never the secret key itself. */
  deriveKey(purpose: string, opts: { create: boolean }): Promise<DerivedKey>;

  /** Everything, for backup; secrets stay encrypted. */
  dump(): Promise<StoreDump>;
  /** Replace everything from a dump (restore); fenced like an apply's writes when given. */
  load(dump: StoreDump, fence?: Fence): Promise<void>;

  close(): Promise<void>;
}

export interface RekeyResult {
  /** Values sealed again. */
  secrets: number;
  keyId: string;
  previousKeyId: string;
}

export interface StoreDump {
  format: "hecate-store/1";
  revisions: Revision[];
  applied?: string;
  /** Revisions applied to one system alone since `applied` (system -> hash). */
  appliedTo?: Record<string, string>;
  audit: AuditEntry[];
  applies: ApplyRecord[];
  journal: JournalEntry[];
  /** name -> encrypted blob (base64), never plaintext. */
  secrets: Record<string, string>;
  settings: Record<string, string>;
}
