// Name rules of the Hetzner Cloud DNS API: zone names (registrable domains by the Public Suffix List) and rrset names.
import { parse } from "tldts";

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;
/** Host names inside record values: case is not significant in DNS, so either case is accepted there. */
const VALUE_LABEL = /^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$/;

// Non-ASCII is refused rather than converted: the real API wants the client to send punycode.
const nonAscii = (s: string): boolean => /[^\x20-\x7e]/.test(s);

/** Problems with a zone name, or [] when it is a registrable domain as the real API accepts it. */
export function zoneNameProblems(name: string): string[] {
  if (nonAscii(name)) return ["must be ASCII; transcribe internationalized names to punycode (xn--…)"];
  if (name !== name.toLowerCase()) return ["must be lower case"];
  if (name.endsWith(".")) return ["must not end with a dot"];
  if (name.length > 253 || !name.split(".").every((l) => LABEL.test(l) && !l.includes("_"))) return ["is not a valid domain name"];
  // ICANN section only: a zone is what a registrar sells, and unknown TLDs are not "well-known public suffixes".
  const p = parse(name, { allowPrivateDomains: false });
  if (!p.isIcann) return ["has no well-known public suffix"];
  if (p.domain === null) return ["is a public suffix, not a registrable domain"];
  if (p.domain !== name) return [`is a subdomain; create the zone ${p.domain} instead`];
  return [];
}

/** Problems with an rrset name relative to its zone ("@" is the apex), or []. */
export function rrsetNameProblems(name: string, zone: string): string[] {
  if (name === "@") return [];
  if (name === "") return ["must not be empty; use @ for the zone apex"];
  if (nonAscii(name)) return ["must be ASCII; transcribe internationalized names to punycode (xn--…)"];
  if (name !== name.toLowerCase()) return ["must be lower case"];
  if (name.endsWith(".")) return ["must not end with a dot"];
  if (name === zone || name.endsWith(`.${zone}`)) return ["must be relative to the zone, without the zone name"];
  const labels = name.split(".");
  // A wildcard is only a whole leftmost label (RFC 4592).
  const ok = labels.every((l, i) => (i === 0 && l === "*") || LABEL.test(l));
  if (!ok) return ["is not a valid record name"];
  if (name.length + zone.length + 1 > 253) return ["is too long"];
  return [];
}

/** A target host name inside a record value: absolute with a trailing dot, else relative to the zone. */
export function isHostName(value: string): boolean {
  if (nonAscii(value)) return false;
  if (value === "@") return true;
  const bare = value.endsWith(".") ? value.slice(0, -1) : value;
  return bare.length > 0 && bare.length <= 253 && bare.split(".").every((l) => VALUE_LABEL.test(l));
}

/** The absolute name (no trailing dot, lower case) a relative or absolute target means in a zone. */
export function absolute(value: string, zone: string): string {
  if (value === "@") return zone;
  if (value === ".") return "";
  return (value.endsWith(".") ? value.slice(0, -1) : `${value}.${zone}`).toLowerCase();
}

/** The fully qualified owner name of an rrset name in a zone. */
export function ownerName(name: string, zone: string): string {
  return name === "@" ? zone : `${name}.${zone}`;
}
