// What every store backend decides alike, so SQLite and etcd answer with the same errors: the
// expected-parent and fencing refusals, revision references, dump checks, JSON in and out.
import { HecateError } from "../diag.js";
import { hashResources } from "../model/canonical-json.js";
import type { ChainedFields } from "./audit-chain.js";
import type { ApplyRecord, AuditEntry, Fence, StoreDump } from "./store.js";

export const STATUSES: readonly ApplyRecord["status"][] = ["running", "succeeded", "rolled-back", "failed", "abandoned"];

/** expectedParent must be a seq (0 for an empty store): refused before anything is read. */
export function checkExpectedParent(expected: unknown): asserts expected is number {
  if (!Number.isInteger(expected) || (expected as number) < 0) {
    throw new HecateError("store-value", `expectedParent must be the seq of the head the change was based on (0 for an empty store), got ${String(expected)}`);
  }
}

export function checkTtl(ttlMs: number): void {
  if (!(ttlMs > 0) || !Number.isFinite(ttlMs)) throw new HecateError("store-value", `lock ttl must be a positive number of milliseconds, got ${ttlMs}`);
}

/** The compare-and-set on the head failed: name the head the writer lost to. */
export function headMoved(expected: number, head: { seq: number; author: string; message: string } | undefined): HecateError {
  const now = head ? `#${head.seq} (${head.author}: "${head.message}")` : "empty";
  return new HecateError(
    "head-moved",
    `the head moved: this change was based on ${expected ? `revision #${expected}` : "an empty store"}, but the head is now ${now}; read the head again and redo the change`,
    { status: 409 },
  );
}

/** A write carrying `fence` was refused; `now` is the lock as the store holds it. */
export function fenced(fence: Fence, now: { holder: string; token: number; live: boolean } | undefined): HecateError {
  const state = !now ? "it is free" : !now.live ? `its lease ran out (${now.holder}, token ${now.token})` : `it is held by ${now.holder} with token ${now.token}`;
  return new HecateError(
    "fenced",
    `write refused: it carries token ${fence.token} of the "${fence.lock}" lock, but ${state}; this writer lost the lock and must stop (the current holder, or recovery, takes over)`,
    { status: 409 },
  );
}

const HEX = /^[0-9a-f]+$/;

/** What a revision reference needs looked up: a seq, hashes starting with a prefix, or nothing. */
export function refLookups(ref: string): { seq?: number; prefix?: string } {
  const r = ref.trim().toLowerCase();
  const hashMatch = /^#(\d+)$/.exec(r);
  if (hashMatch) return { seq: Number(hashMatch[1]) };
  if (!HEX.test(r)) return {};
  return { ...(/^\d+$/.test(r) ? { seq: Number(r) } : {}), ...(r.length >= 4 ? { prefix: r } : {}) };
}

/**
 * "#N" is sequence N; digits alone are sequence N, or a hash prefix if no such sequence exists;
 * hex of 4+ characters is a hash prefix (full hash included). Ambiguity is an error, never a guess.
 * `seqExists` and `hashes` (distinct hashes with the prefix, up to 11) answer refLookups(ref).
 */
export function resolveRef(ref: string, seqExists: (seq: number) => boolean, hashes: (prefix: string) => string[]): { seq: number } | { hash: string } | undefined {
  const r = ref.trim().toLowerCase();
  const hashMatch = /^#(\d+)$/.exec(r);
  if (hashMatch) return seqExists(Number(hashMatch[1])) ? { seq: Number(hashMatch[1]) } : undefined;
  if (!HEX.test(r)) return undefined;
  const bySeq = /^\d+$/.test(r) && seqExists(Number(r)) ? Number(r) : undefined;
  if (r.length < 4) {
    if (bySeq !== undefined || /^\d+$/.test(r)) return bySeq === undefined ? undefined : { seq: bySeq };
    throw new HecateError("revision-ref", `revision "${ref}" is too short: give at least 4 characters of the hash, or #N for a sequence number`);
  }
  const found = hashes(r);
  const candidates = [...(bySeq !== undefined ? [`#${bySeq}`] : []), ...found.map((h) => h.slice(0, 12))];
  if (candidates.length > 1) {
    const more = found.length > 10 ? ", ..." : "";
    throw new HecateError(
      "ambiguous-revision",
      `revision "${ref}" is ambiguous: it matches ${candidates.slice(0, 10).join(", ")}${more}; give more characters of the hash or #N`,
      { status: 409 },
    );
  }
  if (bySeq !== undefined) return { seq: bySeq };
  return found.length === 0 ? undefined : { hash: found[0]! };
}

export function parseJson<T>(text: string, what: string, where: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new HecateError("store-corrupt", `the store ${where} holds unreadable JSON in ${what}; restore it from a backup`, { status: 500 });
  }
}

export function toJson(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw new HecateError("store-value", `${what} cannot be stored as JSON: ${(e as Error).message}`);
  }
  if (text === undefined) throw new HecateError("store-value", `${what} cannot be stored as JSON`);
  return text;
}

/** Reject a malformed or tampered dump before touching anything. */
export function checkDump(dump: StoreDump): void {
  const bad = (msg: string) => new HecateError("store-dump", `not a usable store dump: ${msg}`);
  if (!dump || typeof dump !== "object") throw bad("expected an object");
  if (dump.format !== "hecate-store/1") throw bad(`format is ${JSON.stringify(dump.format)}, expected "hecate-store/1"`);
  for (const key of ["revisions", "audit", "applies", "journal"] as const) if (!Array.isArray(dump[key])) throw bad(`${key} must be a list`);
  for (const key of ["secrets", "settings"] as const) if (!dump[key] || typeof dump[key] !== "object") throw bad(`${key} must be a map`);
  for (const r of dump.revisions) {
    if (!Number.isInteger(r.seq) || r.seq < 1) throw bad(`a revision has no valid seq`);
    if (hashResources(r.resources) !== r.hash) throw bad(`revision #${r.seq}: its hash ${r.hash} does not match its resources`);
  }
  for (const a of dump.applies) if (!STATUSES.includes(a.status)) throw bad(`apply ${a.applyId} has unknown status "${a.status}"`);
  const applyIds = new Set(dump.applies.map((a) => a.applyId));
  for (const j of dump.journal) if (!applyIds.has(j.applyId)) throw bad(`journal entry for apply ${j.applyId}, which the dump does not hold`);
  for (const [name, b64] of Object.entries(dump.secrets)) {
    if (typeof b64 !== "string" || Buffer.from(b64, "base64").length < 29) throw bad(`secret ${name} is not an encrypted blob`);
  }
  for (const [k, v] of Object.entries(dump.settings)) if (typeof v !== "string") throw bad(`setting ${k} is not a string`);
}

export function deepFreeze<T>(v: T): T {
  if (v && typeof v === "object" && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as object)) deepFreeze(x);
  }
  return v;
}

/** The fields of an audit entry the chain hashes (all but its id), as every backend stores them. */
export function auditRow(e: AuditEntry, at: string): Omit<ChainedFields, "id"> {
  const detail = e.detail === undefined ? null : toJson(e.detail, "the audit detail");
  return { at, actor: e.actor, action: e.action, target: e.target ?? null, detail, address: e.address ?? null };
}

/** An audit entry as stored (chained fields and hash) as the store hands it out. */
export function auditEntryOf(r: ChainedFields & { hash: string | null }, where: string): AuditEntry {
  return {
    id: r.id,
    at: r.at,
    actor: r.actor,
    action: r.action,
    ...(r.target !== null ? { target: r.target } : {}),
    ...(r.detail !== null ? { detail: parseJson<Record<string, unknown>>(r.detail, `audit entry ${r.id}`, where) } : {}),
    ...(r.address !== null ? { address: r.address } : {}),
    ...(r.hash !== null ? { hash: r.hash } : {}),
  };
}
