// `hecate secret rekey`: a new secret key for the store. Every sealed value is re-sealed in one
// store transaction under the apply lock; then the new key replaces the old where it came from.
// Order keeps the store openable at every step: the new key is written beside the key file first
// (`KEYFILE.new`), the store re-sealed, then the new file renamed over the old one.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { HecateError } from "../diag.js";
import { acquire, newHolder } from "../engine/lock.js";
import { keyIdOf, parseKeyFile } from "../store/crypto.js";
import type { RekeyResult, Store } from "../store/store.js";

export interface RekeyOptions {
  actor: string;
  /**
   * Where the new key goes. Needed when the current key comes from $HECATE_SECRET_KEY (the
   * environment cannot be rewritten from here); a file that already holds a key supplies it.
   */
  newKeyFile?: string;
}

export interface RekeyReport extends RekeyResult {
  /** Where the new key is now: the key file, or the file the operator puts into $HECATE_SECRET_KEY. */
  keyFile: string;
  fromEnv: boolean;
}

/** Read a key from a file (base64 of 32 bytes), or undefined when the file does not exist. */
export function readKeyFile(file: string): Buffer | undefined {
  if (!existsSync(file)) return undefined;
  return parseKeyFile(readFileSync(file), file);
}

function writeKey(file: string, key: Buffer): void {
  writeFileSync(file, key.toString("base64") + "\n", { mode: 0o600 });
  chmodSync(file, 0o600);
}

export async function rekey(store: Store, opts: RekeyOptions): Promise<RekeyReport> {
  const current = await store.deriveKey("hecate:key-id:probe", { create: false });
  const inFile = current.source.startsWith("key file ");
  if (!inFile && !opts.newKeyFile) {
    throw new HecateError("secret-key", `the secret key comes from ${current.source}, which rekey cannot change: give --new-key-file FILE (the new key is written there), then set $HECATE_SECRET_KEY to its contents on every machine`);
  }
  const newKey = (opts.newKeyFile ? readKeyFile(opts.newKeyFile) : undefined) ?? randomBytes(32);
  if (keyIdOf(newKey) === current.keyId) throw new HecateError("secret-key", `${opts.newKeyFile} holds the store's current key: a new key is needed`);
  if (opts.newKeyFile) writeKey(opts.newKeyFile, newKey);
  const staged = `${current.keyFile}.new`;
  if (inFile) writeKey(staged, newKey);
  const held = await acquire(store, newHolder(opts.actor), { timeoutMs: 30_000, actor: opts.actor });
  let result: RekeyResult;
  try {
    result = await store.rekey(newKey, held.fence);
  } finally {
    await held.release();
  }
  if (inFile) renameSync(staged, current.keyFile);
  await store.audit({ actor: opts.actor, action: "secret.rekey", detail: { secrets: result.secrets, keyId: result.keyId, previousKeyId: result.previousKeyId } });
  return { ...result, keyFile: inFile ? current.keyFile : opts.newKeyFile!, fromEnv: !inFile };
}
