// Secret values at rest: AES-256-GCM with a random 12-byte IV per value and the secret's name as
// additional data (a blob cannot be moved to another name). Backend-neutral: any store can use it.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, statSync, writeFileSync, chmodSync } from "node:fs";
import { dirname } from "node:path";
import { HecateError } from "../diag.js";
import { defaultKeyFile } from "./paths.js";

/** Blob layout: version byte, IV, GCM tag, ciphertext. */
const VERSION = 1;
const IV_LEN = 12;
const TAG_LEN = 16;

/** A key derived from the secret key for one purpose; the secret key itself never leaves the box. */
export interface DerivedKey {
  key: Buffer;
  /** Identifies the secret key (not this derived key) in messages: 16 hex chars, safe to show. */
  keyId: string;
  /** Where the secret key came from, for messages: "$HECATE_SECRET_KEY", "key file PATH", ... */
  source: string;
  /** The key file this store reads when $HECATE_SECRET_KEY is unset, for "put the key here" hints. */
  keyFile: string;
}

/**
 * HKDF-SHA256 of the secret key with `purpose` as info, so each use (backup signing, key ids)
 * gets its own key and none of them can stand in for the encryption key or for each other.
 */
export function deriveKey(secretKey: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secretKey, Buffer.alloc(0), Buffer.from(purpose, "utf8"), 32));
}

/** A short public name for a secret key, so "signed with another key" can be told from "tampered". */
export function keyIdOf(secretKey: Buffer): string {
  return deriveKey(secretKey, "hecate:key-id:v1").subarray(0, 8).toString("hex");
}

export interface SecretBoxOptions {
  /** The raw 32-byte key (tests, or a caller that fetched it elsewhere). */
  key?: Buffer;
  /** Key file path; default `$XDG_CONFIG_HOME/hecate/secret.key`. */
  keyFile?: string;
  env?: NodeJS.ProcessEnv;
}

/** Seals and opens secret values. The key is loaded on first use, never before. */
export class SecretBox {
  private key: Buffer | undefined;
  /** Set by useKey: the key no longer comes from where describeKey says. */
  private replaced = false;
  private readonly env: NodeJS.ProcessEnv;
  private readonly keyFile: string;

  constructor(private readonly opts: SecretBoxOptions = {}) {
    this.env = opts.env ?? process.env;
    this.keyFile = opts.keyFile ?? defaultKeyFile(this.env);
    this.key = opts.key;
    if (this.key && this.key.length !== 32) throw new HecateError("secret-key", `the secret key must be 32 bytes, got ${this.key.length}`);
  }

  /** Where the key comes from, for messages (never the key itself). */
  describeKey(): string {
    if (this.opts.key || this.replaced) return "the key given to the store";
    if (this.env.HECATE_SECRET_KEY) return "$HECATE_SECRET_KEY";
    return `key file ${this.keyFile}`;
  }

  /**
   * A key for `purpose` derived from the secret key. With `create`, a missing key file is made (as
   * sealing a secret would); without it, a missing key is an error that names where it was looked for.
   */
  derive(purpose: string, opts: { create: boolean }): DerivedKey {
    const key = this.loadKey(opts.create, `a key derived from it ("${purpose}") is needed`);
    return { key: deriveKey(key, purpose), keyId: keyIdOf(key), source: this.describeKey(), keyFile: this.keyFile };
  }

  seal(name: string, value: string): Buffer {
    const key = this.loadKey(true);
    const iv = randomBytes(IV_LEN);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(aad(name));
    const ct = Buffer.concat([cipher.update(value, "utf8"), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), ct]);
  }

  open(name: string, blob: Buffer): string {
    if (blob.length < 1 + IV_LEN + TAG_LEN || blob[0] !== VERSION) {
      throw new HecateError("store-corrupt", `secret ${name}: the stored value is not a Hecate encrypted blob (format ${blob[0] ?? "empty"})`);
    }
    const key = this.loadKey(false);
    const iv = blob.subarray(1, 1 + IV_LEN);
    const tag = blob.subarray(1 + IV_LEN, 1 + IV_LEN + TAG_LEN);
    const ct = blob.subarray(1 + IV_LEN + TAG_LEN);
    try {
      const decipher = createDecipheriv("aes-256-gcm", key, iv);
      decipher.setAAD(aad(name));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ct), decipher.final()]).toString("utf8");
    } catch {
      // GCM only says "unable to authenticate": a wrong key (or a tampered blob). Never echo data.
      throw new HecateError(
        "secret-key",
        `the secret key does not match: secret ${name} was encrypted with a different key than ${this.describeKey()}`,
      );
    }
  }

  /** The id of the key this box seals with (loads it; never creates one). */
  keyId(): string {
    return keyIdOf(this.loadKey(false));
  }

  /** A blob sealed by `from` (another key), sealed again by this box; the value never leaves memory. */
  resealFrom(from: SecretBox, name: string, blob: Buffer): Buffer {
    return this.seal(name, from.open(name, blob));
  }

  /**
   * Seal with `key` from now on (after `rekey` re-sealed every stored value with it). The source
   * that gave the old key (file or environment) is the caller's to update.
   */
  useKey(key: Buffer): void {
    if (key.length !== 32) throw new HecateError("secret-key", `the secret key must be 32 bytes, got ${key.length}`);
    this.key = key;
    this.replaced = true;
  }

  /** Load (and on `create`, make) the key. Without `create`, a missing key file is an error. */
  private loadKey(create: boolean, why = "the store holds encrypted secrets"): Buffer {
    if (this.key) return this.key;
    const fromEnv = this.env.HECATE_SECRET_KEY;
    if (fromEnv) {
      const key = Buffer.from(fromEnv.trim(), "base64");
      if (key.length !== 32) {
        throw new HecateError(
          "secret-key",
          `$HECATE_SECRET_KEY must be the base64 of 32 random bytes (e.g. from \`openssl rand -base64 32\`); it decodes to ${key.length} bytes`,
        );
      }
      return (this.key = key);
    }
    this.key = this.readKeyFile() ?? (create ? this.createKeyFile() : undefined);
    if (!this.key) {
      throw new HecateError(
        "secret-key",
        `no secret key: ${this.keyFile} does not exist and $HECATE_SECRET_KEY is not set, but ${why}; restore the key file or set $HECATE_SECRET_KEY`,
      );
    }
    return this.key;
  }

  private readKeyFile(): Buffer | undefined {
    let raw: Buffer;
    try {
      raw = readFileSync(this.keyFile);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new HecateError("secret-key", `cannot read key file ${this.keyFile}: ${(e as Error).message}`);
    }
    const mode = statSync(this.keyFile).mode & 0o777;
    if (process.platform !== "win32" && (mode & 0o077) !== 0) {
      throw new HecateError(
        "secret-key",
        `key file ${this.keyFile} is accessible by other users (mode ${mode.toString(8).padStart(4, "0")}); run: chmod 600 ${this.keyFile}`,
      );
    }
    return parseKeyFile(raw, this.keyFile);
  }

  private createKeyFile(): Buffer {
    mkdirSync(dirname(this.keyFile), { recursive: true, mode: 0o700 });
    const key = randomBytes(32);
    try {
      // wx: if another process created it in the meantime, use theirs rather than overwrite it.
      writeFileSync(this.keyFile, key.toString("base64") + "\n", { flag: "wx", mode: 0o600 });
      chmodSync(this.keyFile, 0o600);
      return key;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") {
        const theirs = this.readKeyFile();
        if (theirs) return theirs;
      }
      throw new HecateError("secret-key", `cannot create key file ${this.keyFile}: ${(e as Error).message}`);
    }
  }
}

function aad(name: string): Buffer {
  return Buffer.from(`hecate/secret/${name}`, "utf8");
}

/** A secret key as a key file holds it (base64 of 32 bytes, one line), or an error naming the file. */
export function parseKeyFile(raw: Buffer, file: string): Buffer {
  const b64 = Buffer.from(raw.toString("utf8").trim(), "base64");
  if (b64.length === 32) return b64;
  if (raw.length === 32) return raw;
  throw new HecateError("secret-key", `key file ${file} does not hold a key (expected the base64 of 32 bytes)`);
}

/** Every blob (base64, by secret name) opened by `from` and sealed by `to`; the first that does not open stops it all. */
export function resealAll(blobs: Record<string, string>, from: SecretBox, to: SecretBox): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, b64] of Object.entries(blobs)) out[name] = to.resealFrom(from, name, Buffer.from(b64, "base64")).toString("base64");
  return out;
}
