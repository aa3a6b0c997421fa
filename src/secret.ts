// The one rule for what is secret, everywhere: compiled config holds {"$secret": ref} markers,
// never values; what is read back from a system has secret values replaced by markers; what is
// shown (plans, drift, JSON output) shows neither. Providers resolve markers just before sending.

/**
 * How a resolved value is placed:
 * - "raw": the string as is;
 * - "base64": base64 of the value unless it already is base64 (Caddy < 2.8 basic-auth hashes);
 * - "pem-der-list": a PEM bundle becomes the array of base64 DER certificates (root_ca_pool).
 */
export type SecretEncoding = "raw" | "base64" | "pem-der-list";

export interface SecretMarker {
  $secret: string;
  encoding?: Exclude<SecretEncoding, "raw">;
}

export function secretMarker(ref: string, encoding: SecretEncoding = "raw"): SecretMarker {
  return encoding === "raw" ? { $secret: ref } : { $secret: ref, encoding };
}

/** What a read puts where it found a secret value. */
export const REDACTED_MARKER: SecretMarker = Object.freeze({ $secret: "redacted" });

/** `{"$secret": ref}` (optionally with its encoding) and nothing else. */
export function isSecretMarker(v: unknown): v is SecretMarker {
  if (!v || typeof v !== "object" || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return typeof o["$secret"] === "string" && Object.keys(o).every((k) => k === "$secret" || k === "encoding");
}

/** Field names whose values are never shown, whatever they hold. */
export const SECRET_FIELD = /password|passwd|token|secret|credential|authorization|cookie|private|(^|[-_.])?key$/i;

const SECRET_VALUE = [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, /^\$2[abxy]\$\d\d\$/];

/** A value that is a secret by its look alone: a PEM private key, a bcrypt hash. */
export function looksSecret(v: string): boolean {
  return (v.charCodeAt(0) === 36 /* $ */ || v.includes("-----BEGIN")) && SECRET_VALUE.some((r) => r.test(v));
}

/** The secret-marker ref of a rotated secret's previous value (`previous:secret:NAME`), accepted during its grace window. */
export const previousRef = (ref: string) => `previous:${ref}`;
/** Where a rotated secret's previous value is kept (sealed) in the store during its grace window. */
export const previousName = (name: string) => `previous/${name}`;
