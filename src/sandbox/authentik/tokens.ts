// Constant-time comparison of secrets (API tokens, session ids) through fixed-length hashes.

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

const digest = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest();

/** True when `given` equals `expected`, in time independent of where they differ. */
export function secretEquals(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** A random URL-safe secret of `bytes` random bytes. */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

/** Stable short hex hash of `s` (not a secret). */
export function shortHash(s: string, len = 8): string {
  return createHash("sha256").update(s).digest("hex").slice(0, len);
}
