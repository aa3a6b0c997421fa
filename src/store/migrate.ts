// Copy one store into another (SQLite to etcd, or back): every revision, the applied marker, the
// audit log, applies and their journal, sealed secrets and settings. Both stores' apply locks are
// held for the copy, so no apply changes either side meanwhile; the copy is read back and compared
// with the source before the command says it is done.
import { isDeepStrictEqual } from "node:util";
import { hostname } from "node:os";
import { HecateError } from "../diag.js";
import type { Store, StoreDump } from "./store.js";

export interface MigrateReport {
  revisions: number;
  audit: number;
  applies: number;
  secrets: number;
  settings: number;
  head?: string;
  applied?: string;
}

const LOCK = "apply";

/** The target must be empty unless `replace`; a target that differs from the source afterwards is an error. */
export async function migrateStore(from: Store, to: Store, opts: { replace?: boolean; ttlMs?: number } = {}): Promise<MigrateReport> {
  const holder = `migrate-store@${hostname()}:${process.pid}`;
  const ttl = opts.ttlMs ?? 120_000;
  const src = await from.tryLock(LOCK, holder, ttl);
  if (!src.acquired) throw new HecateError("locked", `the source store is locked by ${src.lock.holder} (an apply is running); try again when it is done`, { status: 409 });
  try {
    const dst = await to.tryLock(LOCK, holder, ttl);
    if (!dst.acquired) throw new HecateError("locked", `the target store is locked by ${dst.lock.holder}; try again when it is free`, { status: 409 });
    try {
      const [head, audit] = await Promise.all([to.head(), to.listAudit({ limit: 1 })]);
      if (!opts.replace && (head || audit.length > 0)) {
        throw new HecateError("store-not-empty", `the target store already holds ${head ? `revisions (head #${head.seq})` : "an audit log"}; pass --replace to overwrite it`, { status: 409 });
      }
      const dump = await from.dump();
      await to.load(dump, { lock: LOCK, token: dst.lock.token });
      const copy = await to.dump();
      const differs = firstDifference(dump, copy);
      if (differs) throw new HecateError("migrate-mismatch", `the copy differs from the source in ${differs}; the source is unchanged, the target is not to be used`, { status: 500 });
      const verify = await to.verifyAudit();
      if (!verify.ok) throw new HecateError("migrate-mismatch", `the copied audit log does not verify: ${verify.problems.map((p) => p.message).join("; ")}`, { status: 500 });
      const newest = dump.revisions.reduce<StoreDump["revisions"][number] | undefined>((a, r) => (!a || r.seq > a.seq ? r : a), undefined);
      return {
        revisions: dump.revisions.length,
        audit: dump.audit.length,
        applies: dump.applies.length,
        secrets: Object.keys(dump.secrets).length,
        settings: Object.keys(dump.settings).length,
        ...(newest ? { head: newest.hash } : {}),
        ...(dump.applied ? { applied: dump.applied } : {}),
      };
    } finally {
      await to.unlock(LOCK, holder);
    }
  } finally {
    await from.unlock(LOCK, holder);
  }
}

/** The first part of the dump that did not come across unchanged (undefined: none). */
function firstDifference(a: StoreDump, b: StoreDump): string | undefined {
  for (const key of ["revisions", "applied", "audit", "applies", "journal", "secrets", "settings"] as const) {
    if (!isDeepStrictEqual(a[key], b[key])) return key;
  }
  return undefined;
}
