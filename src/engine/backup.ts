// Backup and restore of the whole store as one tar.gz: manifest.json (format, time, sha256 of every
// member) and store.json (the store dump; secrets stay encrypted). Restore verifies before it writes.
import { readFile, writeFile, rename, mkdtemp, rm, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import * as tar from "tar";
import { HecateError } from "../diag.js";
import type { Store, StoreDump } from "../store/store.js";
import { sha256 } from "./canonical.js";

export const BACKUP_FORMAT = "hecate-backup/1";

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  created: string;
  members: Record<string, { sha256: string; size: number }>;
  counts: { revisions: number; audit: number; applies: number; journal: number; secrets: number; settings: number };
  head?: string;
  applied?: string;
}

export interface RestoreReport {
  dryRun: boolean;
  created: string;
  revisions: { added: string[]; removed: string[]; total: number };
  headBefore?: string;
  headAfter?: string;
  appliedBefore?: string;
  appliedAfter?: string;
  secrets: { before: number; after: number };
}

function headOf(dump: StoreDump): string | undefined {
  let best: StoreDump["revisions"][number] | undefined;
  for (const r of dump.revisions) if (!best || r.seq > best.seq) best = r;
  return best?.hash;
}

export async function backup(store: Store, file: string): Promise<BackupManifest> {
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
  };
  const dir = await mkdtemp(join(tmpdir(), "hecate-backup-"));
  try {
    await writeFile(join(dir, "store.json"), body, { mode: 0o600 });
    await writeFile(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2), { mode: 0o600 });
    const tmp = `${file}.tmp-${process.pid}`;
    await tar.c({ gzip: true, file: tmp, cwd: dir, portable: true, mode: 0o600 } as tar.TarOptionsWithAliasesAsyncFile, ["manifest.json", "store.json"]);
    await rename(tmp, file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return manifest;
}

function bad(file: string, why: string): HecateError {
  return new HecateError("bad-backup", `${file} is not a usable Hecate backup: ${why}; nothing was restored`);
}

/** Read and verify an archive: every member listed in the manifest, with the right sha256. */
export async function readBackup(file: string): Promise<{ manifest: BackupManifest; dump: StoreDump }> {
  let raw: Buffer;
  try {
    raw = await readFile(file);
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
      await tar.x({ file, cwd: dir, strict: true, preservePaths: false } as tar.TarOptionsWithAliasesAsyncFile);
    } catch (e) {
      throw bad(file, `the archive cannot be unpacked (${(e as Error).message})`);
    }
    const names = await readdir(dir);
    if (!names.includes("manifest.json")) throw bad(file, "manifest.json is missing");
    let manifest: BackupManifest;
    try {
      manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as BackupManifest;
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
    return { manifest, dump };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function restore(store: Store, file: string, opts: { dryRun: boolean }): Promise<RestoreReport> {
  const { manifest, dump } = await readBackup(file);
  const current = await store.dump();
  const before = new Set(current.revisions.map((r) => r.hash));
  const after = new Set(dump.revisions.map((r) => r.hash));
  const report: RestoreReport = {
    dryRun: opts.dryRun,
    created: manifest.created,
    revisions: {
      added: [...after].filter((h) => !before.has(h)),
      removed: [...before].filter((h) => !after.has(h)),
      total: dump.revisions.length,
    },
    ...(headOf(current) ? { headBefore: headOf(current) } : {}),
    ...(headOf(dump) ? { headAfter: headOf(dump) } : {}),
    ...(current.applied ? { appliedBefore: current.applied } : {}),
    ...(dump.applied ? { appliedAfter: dump.applied } : {}),
    secrets: { before: Object.keys(current.secrets).length, after: Object.keys(dump.secrets).length },
  };
  if (!opts.dryRun) await store.load(dump);
  return report;
}
