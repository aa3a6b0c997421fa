// The API's shapes for zones and rrsets, and their conversion to Hecate's normalized RRSet: values
// read in Hecate's spelling (relative targets made absolute), so a diff compares like with like.
import { apiValue, OWNER_LABEL, OWNER_VALUE, type RRSet } from "./records.js";
import type { ActualRRSet } from "./diff.js";
import { HetznerApiError, seg } from "./client.js";

export interface ApiRRSet {
  name: string;
  type: string;
  ttl: number | null;
  labels?: Record<string, string>;
  protection?: { change?: boolean };
  records: { value: string; comment?: string | null }[];
}
export interface ApiZone {
  id: number;
  name: string;
  ttl: number;
  mode: string;
}

/** A value as read, in the spelling Hecate writes: relative targets made absolute, AAAA compressed. */
export function readValue(type: string, value: string, zone: string): string {
  const abs = (h: string) => (h.endsWith(".") ? h : h === "@" ? `${zone}.` : `${h}.${zone}.`);
  const f = value.trim().split(/\s+/);
  if (type === "CNAME" || type === "NS" || type === "PTR") return apiValue(type, abs(value.trim()));
  if (type === "MX" && f.length === 2) return apiValue(type, `${f[0]} ${abs(f[1]!)}`);
  if (type === "SRV" && f.length === 4) return apiValue(type, `${f[0]} ${f[1]} ${f[2]} ${abs(f[3]!)}`);
  return apiValue(type, value);
}

export const rrsetPath = (r: { zone: string; name: string; type: string }) => `/zones/${seg(r.zone)}/rrsets/${seg(r.name)}/${seg(r.type)}`;
export const body = (r: Omit<RRSet, "resource">) => ({ name: r.name, type: r.type, ttl: r.ttl, records: r.records.map((value) => ({ value })), labels: r.labels });
export const isNotFound = (e: unknown) => e instanceof HetznerApiError && e.httpStatus === 404;

/**
 * An rrset as read, normalized: values in Hecate's spelling, sorted, distinct; a null TTL (the
 * zone's default) as that default, so an adopted rrset compares equal to a record that names it.
 */
export function fromApi(zone: string, r: ApiRRSet, zoneTtl: number | null = null): ActualRRSet {
  const labels = r.labels ?? {};
  return {
    zone,
    name: r.name,
    type: r.type,
    ttl: r.ttl ?? zoneTtl,
    records: [...new Set(r.records.map((x) => readValue(r.type, x.value, zone)))].sort(),
    labels,
    owned: labels[OWNER_LABEL] === OWNER_VALUE,
    protected: r.protection?.change === true,
  };
}

/** The API shape of an rrset Hecate read (for writes that compare with it). */
export function toApi(r: RRSet): ApiRRSet {
  return { name: r.name, type: r.type, ttl: r.ttl, labels: r.labels, records: r.records.map((value) => ({ value })) };
}
