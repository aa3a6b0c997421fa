// Diff and findings for DNS: desired rrsets against the ones read from Hetzner. Only rrsets that
// carry Hecate's owner label are ever changed; the others are reported, never touched. Pure.
import type { Diagnostic } from "../../diag.js";
import { diffKeyed } from "../differ.js";
import type { Change, FieldChange } from "../provider.js";
import { OWNER_LABEL, OWNER_VALUE, type DnsDesired, type RRSet } from "./records.js";

export interface ActualRRSet extends RRSet {
  /** Carries hecate.io/managed-by=hecate. */
  owned: boolean;
  /** Change protection is on: Hetzner refuses every write until it is turned off. */
  protected: boolean;
}

export interface DnsActual {
  /** Zones of the project by name. */
  zones: Record<string, { id: number; ttl: number; mode: string }>;
  /** "zone/name/type" → rrset, every rrset of every primary zone except SOA. */
  rrsets: Record<string, ActualRRSet>;
}

/** Hecate's own labels of a label set (hecate.io/...); the rest belong to someone else. */
export const hecateLabels = (labels: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(labels).filter(([k]) => k.startsWith("hecate.io/")).sort(([a], [b]) => (a < b ? -1 : 1)));

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** What an update must change: records, ttl, Hecate's labels. */
export function rrsetFields(before: RRSet, after: RRSet): FieldChange[] {
  const f: FieldChange[] = [];
  if (!same(before.records, after.records)) f.push({ path: "records", before: before.records, after: after.records });
  if (before.ttl !== after.ttl) f.push({ path: "ttl", before: before.ttl, after: after.ttl });
  const bl = hecateLabels(before.labels), al = hecateLabels(after.labels);
  if (!same(bl, al)) f.push({ path: "labels", before: bl, after: al });
  return f;
}

/** The part of an rrset a change shows and undo needs. */
export const view = (r: RRSet) => ({ zone: r.zone, name: r.name, type: r.type, ttl: r.ttl, records: r.records, labels: r.labels });

/** What a change compares of an rrset: its records, TTL and Hecate's labels (others' labels are theirs). */
const compared = (r: RRSet) => ({ zone: r.zone, name: r.name, type: r.type, ttl: r.ttl, records: r.records, labels: hecateLabels(r.labels) });

/**
 * Through the one keyed differ: Hecate's side is every desired rrset that is missing or owned at
 * Hetzner (one someone else owns is left alone: findings say so), the live side every owned rrset.
 */
export function diffDns(desired: DnsDesired | undefined, actual: DnsActual): Change[] {
  const want = Object.entries(desired?.rrsets ?? {})
    .filter(([key]) => !actual.rrsets[key] || actual.rrsets[key]!.owned)
    .map(([key, d]) => ({ kind: "rrset", id: key, value: compared(d), ...(d.resource ? { resource: d.resource } : {}) }));
  const have = Object.entries(actual.rrsets)
    .filter(([, a]) => a.owned)
    .map(([key, a]) => ({ kind: "rrset", id: key, value: compared(a) }));
  const d = diffKeyed("dns", want, have);
  return [...d.creates, ...d.updates, ...d.deletes].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

/** A CNAME may not share its name with any other type. */
export const clashes = (a: string, b: string) => a !== b && (a === "CNAME" || b === "CNAME");

/** What the plan must say that is no change: zones that are missing, rrsets someone else owns. */
export function findingsDns(desired: DnsDesired | undefined, actual: DnsActual): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (!desired) return out;
  const zones = Object.keys(actual.zones).sort();
  for (const zone of desired.zones) {
    const z = actual.zones[zone];
    const n = Object.values(desired.rrsets).filter((r) => r.zone === zone).length;
    if (!z) {
      out.push({
        severity: "error",
        code: "dns-zone-missing",
        message: `zone ${zone} is not in this Hetzner project (${zones.length ? `it has ${zones.join(", ")}` : "it has no zones"}), so its ${n} record set(s) cannot be written; create the zone in Hetzner first (Hecate never creates or deletes zones)`,
      });
    } else if (z.mode !== "primary") {
      out.push({ severity: "error", code: "dns-zone-secondary", message: `zone ${zone} is a secondary zone at Hetzner: its records come from its primary server and cannot be written through the API` });
    }
  }
  const byName = new Map<string, ActualRRSet[]>();
  for (const a of Object.values(actual.rrsets)) {
    const k = `${a.zone}/${a.name}`;
    byName.set(k, [...(byName.get(k) ?? []), a]);
  }
  for (const [key, d] of Object.entries(desired.rrsets)) {
    const a = actual.rrsets[key];
    const where = `${d.name === "@" ? d.zone : `${d.name}.${d.zone}`} ${d.type}`;
    const by = d.resource ? { address: d.resource } : {};
    if (a && !a.owned) {
      const differs = rrsetFields(a, { ...d, labels: a.labels }).length > 0;
      out.push({
        severity: "warning",
        code: "dns-not-owned",
        message: `${where} exists at Hetzner without Hecate's label ${OWNER_LABEL}=${OWNER_VALUE}, so Hecate leaves it alone${differs ? ` (it holds ${a.records.join(", ")}, not ${d.records.join(", ")})` : " (it already holds the wanted records)"}; adopt it with \`hecate import dns\`, or delete it at Hetzner`,
        ...by,
      });
    }
    if (a?.owned && a.protected && rrsetFields(a, d).length) {
      out.push({ severity: "error", code: "dns-protected", message: `${where} has change protection on at Hetzner: turn it off before Hecate can change it`, ...by });
    }
    for (const o of byName.get(`${d.zone}/${d.name}`) ?? []) {
      if (!o.owned && clashes(o.type, d.type)) {
        out.push({ severity: "error", code: "dns-conflict", message: `${where} cannot be created: ${o.type} records exist at that name and are not Hecate's (a CNAME cannot share its name with other records)`, ...by });
      }
    }
  }
  return out;
}
