// Fingerprints of system state: sha256 of canonical JSON (the model's), so they depend on
// content only, never on key order or formatting.
import { createHash } from "node:crypto";
import { canonicalJson } from "../model/serialize.js";

export { canonicalJson };

export function sha256(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

export function fingerprint(value: unknown): string {
  return sha256(canonicalJson(value ?? null));
}
