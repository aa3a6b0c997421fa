// ACME words operators type, free of the ACME client so the CLI can name them without loading it:
// CAs by name (`--provider letsencrypt`) and revocation reasons (`--reason key-compromise`).
export const ACME_PROVIDERS = {
  letsencrypt: "https://acme-v02.api.letsencrypt.org/directory",
  "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
} as const;
export type AcmeProvider = keyof typeof ACME_PROVIDERS;

/** RFC 5280 CRLReason codes that ACME CAs accept from subscribers (Let's Encrypt: these five). */
export const REVOKE_REASONS = { unspecified: 0, "key-compromise": 1, "affiliation-changed": 3, superseded: 4, "cessation-of-operation": 5 } as const;
export type RevokeReason = keyof typeof REVOKE_REASONS;
