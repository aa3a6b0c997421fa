// The audit log's hash chain: each entry's hash covers its own fields and the previous entry's
// hash, so an entry edited or deleted by hand breaks the chain from there on. Pure, so every
// store backend chains the same way and `hecate audit verify` reads any of them alike.
import { createHash } from "node:crypto";

/** What the first entry chains to. */
export const GENESIS = "";

/** The fields of one audit entry exactly as stored (detail as its stored JSON text). */
export interface ChainedFields {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  detail: string | null;
  address: string | null;
}

export function entryHash(prev: string, e: ChainedFields): string {
  return createHash("sha256").update(JSON.stringify([prev, e.id, e.at, e.actor, e.action, e.target, e.detail, e.address])).digest("hex");
}

export interface AuditProblem {
  /** The entry where the chain breaks (absent: the newest entries are missing). */
  id?: number;
  message: string;
}

export interface AuditVerification {
  ok: boolean;
  /** Entries read. */
  entries: number;
  problems: AuditProblem[];
}

/**
 * Walk the entries oldest first. An edited entry no longer matches its hash; a deleted entry leaves
 * a gap in the ids and the next entry chained to a hash nobody holds; deleted newest entries leave
 * the recorded head (`head`: id and hash of the newest entry written) pointing past the end.
 */
export function verifyChain(rows: readonly (ChainedFields & { hash: string | null })[], head: { id: number; hash: string } | undefined): AuditVerification {
  const problems: AuditProblem[] = [];
  let prev = GENESIS;
  let prevId = 0;
  for (const r of rows) {
    if (r.id !== prevId + 1) {
      const gap = r.id - prevId - 1;
      problems.push({ id: r.id, message: gap > 0 ? `entr${gap === 1 ? "y" : "ies"} ${gap === 1 ? `#${prevId + 1}` : `#${prevId + 1}..#${r.id - 1}`} before #${r.id} ${gap === 1 ? "is" : "are"} missing (deleted)` : `entry #${r.id} is out of order` });
    }
    const expected = entryHash(prev, r);
    if (r.hash === null) problems.push({ id: r.id, message: `entry #${r.id} has no hash (written outside Hecate)` });
    else if (r.hash !== expected) {
      problems.push({ id: r.id, message: `entry #${r.id} does not match its hash: it was edited, or the entry before it was removed` });
    }
    // Go on from the stored hash: an edited entry is named once, not every entry after it.
    prev = r.hash ?? expected;
    prevId = r.id;
  }
  const last = rows[rows.length - 1];
  if (head && (!last || last.id < head.id)) {
    problems.push({ message: `the newest entries are missing: the log ends at ${last ? `#${last.id}` : "nothing"}, but #${head.id} was written` });
  } else if (head && last && last.id === head.id && last.hash !== head.hash) {
    problems.push({ id: last.id, message: `entry #${last.id} is not the entry that was written last (its hash differs from the recorded head)` });
  }
  return { ok: problems.length === 0, entries: rows.length, problems };
}
