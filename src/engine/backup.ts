// Backup and restore of the whole store as one tar.gz: manifest.json (format, time, sha256 of every
// member, key id), signature.json (HMAC-SHA256 of manifest.json under a key derived from the store's
// secret key) and store.json (the store dump; secrets stay encrypted). Restore verifies the
// signature and checksums before it writes, and reports exactly what it changes.
import { createHmac, timingSafeEqual } from "node:crypto";
import { readFile, writeFile, rename, mkdtemp, rm, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import * as tar from "tar";
import { HecateError } from "../diag.js";
import type { DerivedKey, JournalEntry, Store, StoreDump } from "../store/store.js";
import { deriveKey, keyIdOf } from "../store/crypto.js";
import { sha256 } from "./canonical.js";
import { sealPrefix } from "./seal.js";

export const BACKUP_FORMAT = "hecate-backup/1";
/** HKDF info for the signing key: a backup key can never serve as another key, or the reverse. */
const SIGNING_PURPOSE = "hecate:backup:v1";
const SIGNATURE = "signature.json";
/** Named the way the CLI flag is, so the message tells the operator exactly what to type. */
const SKIP_FLAG = "--insecure-skip-signature";

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  created: string;
  members: Record<string, { sha256: string; size: number }>;
  counts: { revisions: number; audit: number; applies: number; journal: number; secrets: number; settings: number };
  head?: string;
  applied?: string;
  /** Which secret key signed the backup (and encrypted its secrets); see store/crypto.ts keyIdOf. */
  keyId: string;
}

interface SignatureFile {
  alg: "hmac-sha256";
  /** Hex HMAC of the exact bytes of manifest.json, which holds the sha256 of every other member. */
  mac: string;
}

/** A running apply in the backup: its process is long gone, so it is closed, never replayed. */
export interface AbandonedApply {
  applyId: string;
  revision: string;
  holder: string;
  startedAt: string;
}

export interface RestoreReport {
  dryRun: boolean;
  file: string;
  created: string;
  /** "skipped" only with skipSignature; `reason` says why the signature did not verify. */
  signature: { status: "valid"; keyId: string } | { status: "skipped"; keyId?: string; reason: string };
  revisions: { added: string[]; removed: string[]; total: number };
  headBefore?: string;
  headAfter?: string;
  appliedBefore?: string;
  appliedAfter?: string;
  /** Rows, compared whole: a row edited in the backup counts as one removed and one added. */
  audit: { before: number; after: number; added: number; removed: number };
  /** By name only; "changed" means the stored ciphertext differs (re-setting a value changes it). */
  secrets: { before: number; after: number; added: string[]; removed: string[]; changed: string[] };
  settings: { added: string[]; removed: string[]; changed: string[] };
  applies: { before: number; after: number; abandoned: AbandonedApply[] };
}

export interface RestoreOptions {
  dryRun: boolean;
  /** Restore even when the signature is missing or does not verify (lost key, pre-signing backup). */
  skipSignature?: boolean;
  /** What the report and messages call the file (an upload through the API: the client's name for it). */
  name?: string;
  /**
   * The secret key the backup was made with, when the store has been rekeyed since: the signature
   * is checked with it and every secret is sealed again with the store's current key.
   */
  key?: Buffer;
}

function headOf(dump: StoreDump): string | undefined {
  let best: StoreDump["revisions"][number] | undefined;
  for (const r of dump.revisions) if (!best || r.seq > best.seq) best = r;
  return best?.hash;
}

function mac(key: DerivedKey, manifest: Buffer): Buffer {
  return createHmac("sha256", key.key).update(manifest).digest();
}

export async function backup(store: Store, file: string): Promise<BackupManifest> {
  const key = await store.deriveKey(SIGNING_PURPOSE, { create: true });
  const dump = await store.dump();
  const body = Buffer.from(JSON.stringify(dump));
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    created: new Date().toISOString(),
    members: { "store.json": { sha256: sha256(body), size: body.length } },
    counts: {
      revisions: dump.revisions.length,
      audit: dump.audit.length,
      applies: dump.applies.length,
      journal: dump.journal.length,
      secrets: Object.keys(dump.secrets).length,
      settings: Object.keys(dump.settings).length,
    },
    ...(headOf(dump) ? { head: headOf(dump) } : {}),
    ...(dump.applied ? { applied: dump.applied } : {}),
    keyId: key.keyId,
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2));
  const signature: SignatureFile = { alg: "hmac-sha256", mac: mac(key, manifestBytes).toString("hex") };
  const dir = await mkdtemp(join(tmpdir(), "hecate-backup-"));
  try {
    await writeFile(join(dir, "store.json"), body, { mode: 0o600 });
    await writeFile(join(dir, "manifest.json"), manifestBytes, { mode: 0o600 });
    await writeFile(join(dir, SIGNATURE), JSON.stringify(signature, null, 2), { mode: 0o600 });
    const tmp = `${file}.tmp-${process.pid}`;
    await tar.c({ gzip: true, file: tmp, cwd: dir, portable: true, mode: 0o600 } as tar.TarOptionsWithAliasesAsyncFile, ["manifest.json", SIGNATURE, "store.json"]);
    await rename(tmp, file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return manifest;
}

/** "FILE is not a usable Hecate backup: WHY; nothing was restored" (also what the CLI says of a file it cannot send). */
export function bad(file: string, why: string): HecateError {
  return new HecateError("bad-backup", `${file} is not a usable Hecate backup: ${why}; nothing was restored`);
}

function unsigned(file: string, why: string, keyHint = ""): HecateError {
  return new HecateError(
    "backup-signature",
    `${file} cannot be trusted: ${why}; nothing was restored.${keyHint} Only if you made this file yourself and trust it, re-run with ${SKIP_FLAG} (the restore is then audited as unverified)`,
  );
}

/**
 * Check manifest.json against its signature. Returns the signature part of the report; throws
 * "backup-signature" unless `skip`, in which case the failure becomes the report's reason.
 */
async function verify(store: Store, file: string, manifestBytes: Buffer, sigBytes: Buffer | undefined, skip: boolean, givenKey?: Buffer): Promise<RestoreReport["signature"]> {
  // Untrusted until the MAC checks out: read only for the key id, to tell "other key" from "tampered".
  let claimed: string | undefined;
  try {
    const id = (JSON.parse(manifestBytes.toString("utf8")) as { keyId?: unknown }).keyId;
    if (typeof id === "string" && /^[0-9a-f]{16}$/.test(id)) claimed = id;
  } catch {
    /* a manifest that is not JSON fails the MAC below, or the format check after it */
  }
  const fail = (e: HecateError, reason: string): RestoreReport["signature"] => {
    if (!skip) throw e;
    return { status: "skipped", ...(claimed ? { keyId: claimed } : {}), reason };
  };
  if (!sigBytes) return fail(unsigned(file, `it has no ${SIGNATURE} (made before Hecate signed backups, or the signature was removed)`), "the backup has no signature");
  let given: Buffer;
  try {
    const sig = JSON.parse(sigBytes.toString("utf8")) as Partial<SignatureFile>;
    if (sig.alg !== "hmac-sha256" || typeof sig.mac !== "string" || !/^[0-9a-f]{64}$/.test(sig.mac)) throw new Error("unknown form");
    given = Buffer.from(sig.mac, "hex");
  } catch {
    return fail(unsigned(file, `its ${SIGNATURE} is not a Hecate backup signature`), "the signature is unreadable");
  }
  let key: DerivedKey;
  try {
    key = givenKey
      ? { key: deriveKey(givenKey, SIGNING_PURPOSE), keyId: keyIdOf(givenKey), source: "the key given with --key-file", keyFile: "" }
      : await store.deriveKey(SIGNING_PURPOSE, { create: false });
  } catch (e) {
    if (!(e instanceof HecateError)) throw e;
    const made = claimed ? ` (it was signed with key id ${claimed})` : "";
    return fail(new HecateError("backup-signature", `cannot check the signature of ${file}${made}: ${e.message}; nothing was restored`), `no secret key to check it with (${e.message})`);
  }
  if (timingSafeEqual(given, mac(key, manifestBytes))) return { status: "valid", keyId: key.keyId };
  if (claimed !== undefined && claimed !== key.keyId) {
    // Not necessarily tampering: most often the backup comes from another machine or an old key.
    const hint =
      ` Restore with the key the backup was made with (its secrets are encrypted with it too): set $HECATE_SECRET_KEY` +
      ` to it (base64) or put it in the key file ${key.keyFile}, then run the restore again; or, if this store was rekeyed` +
      ` since (\`hecate secret rekey\`), give the old key with --key-file FILE (the secrets are sealed again with the store's key).`;
    return fail(
      unsigned(file, `it was signed with a different secret key (key id ${claimed}) than this store's (key id ${key.keyId}, from ${key.source})`, hint),
      `signed with key id ${claimed}, this store's key is ${key.keyId}: its secrets cannot be read with this key`,
    );
  }
  return fail(unsigned(file, `it was modified after it was made (its signature does not match its contents, with this store's key id ${key.keyId})`, " Use another backup."), "the signature does not match the contents");
}

/** Read and verify an archive: signature, then every member listed in the manifest with the right sha256. */
export async function readBackup(
  store: Store,
  path: string,
  opts: { skipSignature?: boolean; name?: string; key?: Buffer } = {},
): Promise<{ manifest: BackupManifest; dump: StoreDump; signature: RestoreReport["signature"] }> {
  // What messages call the file: its path, or the name the API client gave (the server holds an upload).
  const file = opts.name ?? path;
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (e) {
    throw bad(file, `cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    gunzipSync(raw); // a truncated or corrupted gzip stream fails here, before anything is extracted
  } catch (e) {
    throw bad(file, `the archive is truncated or corrupted (${(e as Error).message})`);
  }
  const dir = await mkdtemp(join(tmpdir(), "hecate-restore-"));
  try {
    try {
      await tar.x({ file: path, cwd: dir, strict: true, preservePaths: false } as tar.TarOptionsWithAliasesAsyncFile);
    } catch (e) {
      throw bad(file, `the archive cannot be unpacked (${(e as Error).message})`);
    }
    const names = await readdir(dir);
    if (!names.includes("manifest.json")) throw bad(file, "manifest.json is missing");
    const manifestBytes = await readFile(join(dir, "manifest.json"));
    const sigBytes = names.includes(SIGNATURE) ? await readFile(join(dir, SIGNATURE)) : undefined;
    const signature = await verify(store, file, manifestBytes, sigBytes, opts.skipSignature ?? false, opts.key);
    let manifest: BackupManifest;
    try {
      manifest = JSON.parse(manifestBytes.toString("utf8")) as BackupManifest;
    } catch {
      throw bad(file, "manifest.json is not valid JSON");
    }
    if (manifest.format !== BACKUP_FORMAT || !manifest.members || !manifest.members["store.json"]) {
      throw bad(file, `unknown manifest format ${JSON.stringify(manifest.format)} (expected ${BACKUP_FORMAT})`);
    }
    const bodies: Record<string, Buffer> = {};
    for (const [name, m] of Object.entries(manifest.members)) {
      if (!names.includes(name)) throw bad(file, `${name} is missing`);
      const b = await readFile(join(dir, name));
      if (sha256(b) !== m.sha256 || b.length !== m.size) throw bad(file, `${name} does not match its checksum`);
      bodies[name] = b;
    }
    let dump: StoreDump;
    try {
      dump = JSON.parse(bodies["store.json"]!.toString("utf8")) as StoreDump;
    } catch {
      throw bad(file, "store.json is not valid JSON");
    }
    if (dump.format !== "hecate-store/1" || !Array.isArray(dump.revisions)) throw bad(file, "store.json is not a hecate-store/1 dump");
    return { manifest, dump, signature };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Applies left "running" in the backup are closed as "abandoned" (journal "end" entry, sealed undo
 * data dropped): recovery must never undo them, since the live systems have moved on since.
 */
function closeRunning(dump: StoreDump, now: string): { dump: StoreDump; abandoned: AbandonedApply[] } {
  const running = dump.applies.filter((a) => a.status === "running");
  if (running.length === 0) return { dump, abandoned: [] };
  const ids = new Set(running.map((a) => a.applyId));
  const lastSeq = new Map<string, number>();
  for (const j of dump.journal) if (ids.has(j.applyId)) lastSeq.set(j.applyId, Math.max(lastSeq.get(j.applyId) ?? 0, j.seq ?? 0));
  const ends: JournalEntry[] = running.map((a) => ({
    applyId: a.applyId,
    seq: (lastSeq.get(a.applyId) ?? 0) + 1,
    at: now,
    event: "end",
    data: { status: "abandoned", reason: "running when the backup was made; closed on restore, not recovered" },
  }));
  const sealed = (name: string) => running.some((a) => name.startsWith(sealPrefix(a.applyId)));
  return {
    dump: {
      ...dump,
      applies: dump.applies.map((a) => (ids.has(a.applyId) ? { ...a, status: "abandoned", endedAt: now } : a)),
      journal: [...dump.journal, ...ends],
      secrets: Object.fromEntries(Object.entries(dump.secrets).filter(([name]) => !sealed(name))),
    },
    abandoned: running.map((a) => ({ applyId: a.applyId, revision: a.revision, holder: a.holder, startedAt: a.startedAt })),
  };
}

function keyDiff(before: Record<string, string>, after: Record<string, string>): { added: string[]; removed: string[]; changed: string[] } {
  const has = (o: Record<string, string>, k: string) => Object.prototype.hasOwnProperty.call(o, k);
  return {
    added: Object.keys(after).filter((k) => !has(before, k)).sort(),
    removed: Object.keys(before).filter((k) => !has(after, k)).sort(),
    changed: Object.keys(after).filter((k) => has(before, k) && before[k] !== after[k]).sort(),
  };
}

export async function restore(store: Store, file: string, opts: RestoreOptions): Promise<RestoreReport> {
  const read = await readBackup(store, file, { skipSignature: opts.skipSignature ?? false, ...(opts.name !== undefined ? { name: opts.name } : {}), ...(opts.key ? { key: opts.key } : {}) });
  const closed = closeRunning(read.dump, new Date().toISOString());
  const abandoned = closed.abandoned;
  // Sealed with the key given: opened with it and sealed with the store's (the first that does not open stops the restore).
  const dump = opts.key ? { ...closed.dump, secrets: await store.reseal(closed.dump.secrets, opts.key) } : closed.dump;
  const current = await store.dump();
  const before = new Set(current.revisions.map((r) => r.hash));
  const after = new Set(dump.revisions.map((r) => r.hash));
  // Both sides come from dump(), so equal rows serialize identically.
  const rowsBefore = new Set(current.audit.map((a) => JSON.stringify(a)));
  const rowsAfter = new Set(dump.audit.map((a) => JSON.stringify(a)));
  const report: RestoreReport = {
    dryRun: opts.dryRun,
    file: opts.name ?? file,
    created: read.manifest.created,
    signature: read.signature,
    revisions: {
      added: [...after].filter((h) => !before.has(h)),
      removed: [...before].filter((h) => !after.has(h)),
      total: dump.revisions.length,
    },
    ...(headOf(current) ? { headBefore: headOf(current) } : {}),
    ...(headOf(dump) ? { headAfter: headOf(dump) } : {}),
    ...(current.applied ? { appliedBefore: current.applied } : {}),
    ...(dump.applied ? { appliedAfter: dump.applied } : {}),
    audit: {
      before: current.audit.length,
      after: dump.audit.length,
      added: [...rowsAfter].filter((r) => !rowsBefore.has(r)).length,
      removed: [...rowsBefore].filter((r) => !rowsAfter.has(r)).length,
    },
    secrets: { before: Object.keys(current.secrets).length, after: Object.keys(dump.secrets).length, ...keyDiff(current.secrets, dump.secrets) },
    settings: keyDiff(current.settings, dump.settings),
    applies: { before: current.applies.length, after: dump.applies.length, abandoned },
  };
  if (!opts.dryRun) await store.load(dump);
  return report;
}

/** What the audit log keeps of a restore: the summary, never secret values (names only). */
export function restoreAuditDetail(r: RestoreReport): Record<string, unknown> {
  return {
    signature: r.signature.status,
    ...(r.signature.status === "skipped" ? { signatureProblem: r.signature.reason } : {}),
    created: r.created,
    headBefore: r.headBefore,
    headAfter: r.headAfter,
    appliedBefore: r.appliedBefore,
    appliedAfter: r.appliedAfter,
    revisionsAdded: r.revisions.added.length,
    revisionsRemoved: r.revisions.removed.length,
    auditAdded: r.audit.added,
    auditRemoved: r.audit.removed,
    secrets: { added: r.secrets.added, removed: r.secrets.removed, changed: r.secrets.changed },
    settings: r.settings,
    abandonedApplies: r.applies.abandoned.map((a) => a.applyId),
  };
}
