// Editing a backup archive the way an attacker with write access to it would.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tar from "tar";
import type { StoreDump } from "../../src/store/store.js";

/**
 * What an attacker with write access to the backup can do: unpack, edit store.json, fix its sha256
 * and size in manifest.json, pack again. `drop` removes a member (the signature) instead.
 */
export async function tamper(file: string, out: string, edit: (d: StoreDump) => void, opts: { drop?: string } = {}): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "hecate-tamper-"));
  try {
    await tar.x({ file, cwd: dir });
    const dump = JSON.parse(readFileSync(join(dir, "store.json"), "utf8")) as StoreDump;
    edit(dump);
    const body = Buffer.from(JSON.stringify(dump));
    writeFileSync(join(dir, "store.json"), body);
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { members: Record<string, { sha256: string; size: number }> };
    manifest.members["store.json"] = { sha256: createHash("sha256").update(body).digest("hex"), size: body.length };
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2));
    const members = readdirSync(dir).filter((m) => m !== opts.drop);
    await tar.c({ gzip: true, file: out, cwd: dir }, members);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
