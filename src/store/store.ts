// The store interface: everything the engine remembers goes through it. The embedded SQLite
// store (store/sqlite.ts) is the default; distributed backends (etcd, Consul KV) implement the
// same interface. All methods are async so network backends fit.
import type { Resource } from "../model/schema.js";
import type { DerivedKey } from "./crypto.js";

export type { DerivedKey } from "./crypto.js";

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
}

export interface JournalEntry {
  applyId: string;
  seq?: number;
  at?: string;
  /** "begin" | "step.start" | "step.done" | "step.failed" | "undo.start" | "undo.done" | "undo.failed" | "end" */
  event: string;
  system?: string;
  data?: unknown;
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
  acquiredAt: string;
  expiresAt: string;
}

export interface Store {
  /** Store a revision. Identical content to the head still creates a new revision (new message). */
  putRevision(input: { resources: Resource[]; author: string; message: string; source: RevisionSource }): Promise<Revision>;
  /** By hash, unique hash prefix (>= 4 chars), or "#seq"/seq number. */
  getRevision(ref: string): Promise<Revision | undefined>;
  head(): Promise<Revision | undefined>;
  listRevisions(opts?: { limit?: number }): Promise<RevisionMeta[]>;

  /** The revision last applied successfully (drift compares against it). */
  setApplied(hash: string): Promise<void>;
  lastApplied(): Promise<Revision | undefined>;

  audit(entry: AuditEntry): Promise<void>;
  listAudit(opts?: { limit?: number }): Promise<AuditEntry[]>;

  beginApply(rec: Omit<ApplyRecord, "status" | "startedAt">): Promise<ApplyRecord>;
  journal(entry: JournalEntry): Promise<void>;
  endApply(applyId: string, status: ApplyRecord["status"]): Promise<void>;
  getApply(applyId: string): Promise<ApplyRecord | undefined>;
  listApplies(opts?: { status?: ApplyRecord["status"]; limit?: number }): Promise<ApplyRecord[]>;
  readJournal(applyId: string): Promise<JournalEntry[]>;

  /** Acquire or renew; returns undefined on success or the current holder's lock when taken. */
  tryLock(name: string, holder: string, ttlMs: number): Promise<LockInfo | undefined>;
  unlock(name: string, holder: string): Promise<void>;
  getLock(name: string): Promise<LockInfo | undefined>;
  /** Remove a lock whoever holds it (an operator's `unlock --force`); returns what was removed. */
  breakLock(name: string): Promise<LockInfo | undefined>;

  /** Encrypted at rest; values never logged. */
  putSecret(name: string, value: string): Promise<void>;
  getSecret(name: string): Promise<string | undefined>;
  deleteSecret(name: string): Promise<void>;
  listSecrets(): Promise<string[]>;

  /** Key/value settings the engine keeps (reconcile suspended, ...). */
  getSetting(key: string): Promise<string | undefined>;
  setSetting(key: string, value: string | undefined): Promise<void>;

  /** A key derived from the secret key for one purpose (backup signing); never the secret key itself. */
  deriveKey(purpose: string, opts: { create: boolean }): Promise<DerivedKey>;

  /** Everything, for backup; secrets stay encrypted. */
  dump(): Promise<StoreDump>;
  /** Replace everything from a dump (restore). */
  load(dump: StoreDump): Promise<void>;

  close(): Promise<void>;
}

export interface StoreDump {
  format: "hecate-store/1";
  revisions: Revision[];
  applied?: string;
  audit: AuditEntry[];
  applies: ApplyRecord[];
  journal: JournalEntry[];
  /** name -> encrypted blob (base64), never plaintext. */
  secrets: Record<string, string>;
  settings: Record<string, string>;
}
