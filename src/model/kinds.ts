// The resource kinds, in the order plans and stored revisions list them: their own module so the
// store and the CLI name them without loading the schemas (zod).
export const KINDS = [
  "Route",
  "Upstream",
  "AuthPolicy",
  "Middleware",
  "Stream",
  "DnsRecord",
  "Certificate",
  "Secret",
  "CompliancePolicy",
  "Settings",
] as const;
export type Kind = (typeof KINDS)[number];
