// Compile: the DNS records a resolved state asks for, as Hetzner rrsets (zone, relative name,
// type, values in the API's own spelling) with Hecate's ownership labels. Pure.
import type { Diagnostic } from "../../diag.js";
import { isIPv6, zoneOf } from "../../model/net.js";
import type { ResolvedDnsRecord, ResolvedState } from "../../model/resolved.js";
import ipaddr from "ipaddr.js";

/** The label that marks an rrset as Hecate's: Hecate never changes an rrset without it. */
export const OWNER_LABEL = "hecate.io/managed-by";
export const OWNER_VALUE = "hecate";
/** Which resource an rrset comes from ("Route.app", "DnsRecord.mx"), for people reading Hetzner's console. */
export const RESOURCE_LABEL = "hecate.io/resource";

/** An rrset as Hecate wants it, or as it was read (then `owned` says whether it carries the owner label). */
export interface RRSet {
  zone: string;
  /** Relative to the zone; "@" is the apex. */
  name: string;
  type: string;
  /** null: the zone's default. */
  ttl: number | null;
  /** Sorted, distinct, in the API's spelling (absolute targets end with a dot, TXT quoted). */
  records: string[];
  /** Hecate's labels only (hecate.io/*): other labels are someone else's and kept as they are. */
  labels: Record<string, string>;
  /** Which Hecate resource asks for it, e.g. "Route/app". Desired side only. */
  resource?: string;
}

export interface DnsDesired {
  /** "zone/name/type" → rrset. */
  rrsets: Record<string, RRSet>;
  /** Zones the desired records live in, sorted. */
  zones: string[];
}

export const rrsetKey = (r: Pick<RRSet, "zone" | "name" | "type">): string => `${r.zone}/${r.name}/${r.type}`;

/** The name relative to its zone, as Hetzner spells it. */
export function relativeName(fqdn: string, zone: string): string {
  return fqdn === zone ? "@" : fqdn.slice(0, -(zone.length + 1));
}

/** A host name as an absolute target (trailing dot), so Hetzner never appends the zone to it. */
const absolute = (host: string): string => (host.endsWith(".") ? host.toLowerCase() : `${host.toLowerCase()}.`);

/**
 * TXT text as the API takes it: one or more double-quoted strings of at most 255 bytes each,
 * inner quotes and backslashes escaped. A value already in that form is kept as written.
 */
export function txtValue(text: string): string {
  if (/^"(?:[^"\\]|\\.)*"(?:\s+"(?:[^"\\]|\\.)*")*$/.test(text)) return text;
  const bytes = Buffer.from(text, "utf8");
  const parts: string[] = [];
  for (let i = 0; i < bytes.length || parts.length === 0; ) {
    // Cut at 255 bytes, never inside a UTF-8 sequence.
    let end = Math.min(i + 255, bytes.length);
    while (end < bytes.length && end > i && (bytes[end]! & 0xc0) === 0x80) end--;
    parts.push(bytes.subarray(i, end).toString("utf8"));
    i = end;
    if (i >= bytes.length) break;
  }
  return parts.map((p) => `"${p.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`).join(" ");
}

/** One value in the API's spelling for its type. */
export function apiValue(type: string, value: string): string {
  const f = value.trim().split(/\s+/);
  switch (type) {
    case "AAAA":
      return isIPv6(value) ? ipaddr.IPv6.parse(value).toString() : value;
    case "CNAME":
    case "NS":
    case "PTR":
      return absolute(value);
    case "MX":
      return f.length === 2 ? `${f[0]} ${absolute(f[1]!)}` : value;
    case "SRV":
      return f.length === 4 ? `${f[0]} ${f[1]} ${f[2]} ${absolute(f[3]!)}` : value;
    case "TXT":
      return txtValue(value);
    default:
      return value;
  }
}

const resourceOf = (r: ResolvedDnsRecord): string => (r.name.startsWith("route:") ? `Route/${r.name.slice(6)}` : `DnsRecord/${r.name}`);

/** Label values allow [a-zA-Z0-9._-], at most 63 characters, alphanumeric at both ends. */
function labelValue(resource: string): string | undefined {
  const v = resource.replace("/", ".");
  return v.length <= 63 && /^[a-zA-Z0-9]([-_.a-zA-Z0-9]*[a-zA-Z0-9])?$/.test(v) ? v : undefined;
}

export function compileDns(state: ResolvedState): { desired: DnsDesired; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const rrsets: Record<string, RRSet> = {};
  const zones = new Set<string>();
  for (const r of state.dnsRecords) {
    const zone = zoneOf(r.fqdn);
    if (!zone) continue; // resolve already reported it
    const resource = resourceOf(r);
    const lv = labelValue(resource);
    const set: RRSet = {
      zone,
      name: relativeName(r.fqdn, zone),
      type: r.type,
      ttl: r.ttl,
      records: [...new Set(r.values.map((v) => apiValue(r.type, v)))].sort(),
      labels: { [OWNER_LABEL]: OWNER_VALUE, ...(lv ? { [RESOURCE_LABEL]: lv } : {}) },
      resource,
    };
    rrsets[rrsetKey(set)] = set;
    zones.add(zone);
  }
  return { desired: { rrsets, zones: [...zones].sort() }, diagnostics };
}
