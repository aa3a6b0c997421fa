// Fingerprints of system state: sha256 of canonical JSON (the model's), so they depend on
// content only, never on key order or formatting.
import { createHash } from "node:crypto";
import { canonicalJson } from "../model/canonical-json.js";

export { canonicalJson };

export function sha256(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * A value that knows its own fingerprint (e.g. a provider's reading that keeps the hash of a
 * part it read before): it must return exactly sha256 of its canonical JSON, as below.
 */
export interface Fingerprinted {
  fingerprint(): string;
}

function isFingerprinted(v: unknown): v is Fingerprinted {
  return typeof v === "object" && v !== null && typeof (v as { fingerprint?: unknown }).fingerprint === "function";
}

export function fingerprint(value: unknown): string {
  if (isFingerprinted(value)) return value.fingerprint();
  return sha256(canonicalJson(value ?? null));
}
