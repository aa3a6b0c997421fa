// A resource's name: the rule the schema checks, and the name a host name gives a resource when
// the CLI is given none. Free of zod, so the CLI can use it without loading the schemas.
import { domainToASCII } from "node:url";

export const RESOURCE_NAME = /^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/;

/**
 * The spelling of a host name as a resource name ("*.Example.com." → "wildcard.example.com",
 * "_dmarc.example.com" → "dmarc.example.com", IDN → punycode), checked only by the caller.
 */
export function hostAsName(host: string): string {
  const h = host.toLowerCase().replace(/\.$/, "").replace(/^\*\./, "wildcard.").replace(/_/g, "").replace(/^[-.]+/, "");
  return domainToASCII(h) || h;
}

/** A resource name for a host, or undefined when the host makes no valid name. */
export function nameForHost(host: string): string | undefined {
  const name = hostAsName(host);
  return RESOURCE_NAME.test(name) ? name : undefined;
}
