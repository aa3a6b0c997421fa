// In-memory zones and rrsets with the state rules of the real API (uniqueness, CNAME exclusivity, managed SOA/NS).
import { ApiError, invalidField, notFound } from "./errors.js";
import type { Labels } from "./labels.js";
import { parseSoa, type RRSetType } from "./values.js";

export const ASSIGNED_NAMESERVERS = ["hydrogen.ns.hetzner.com.", "oxygen.ns.hetzner.com.", "helium.ns.hetzner.de."];
const HOSTMASTER = "dns.hetzner.com.";
// refresh retry expire minimum, as Hetzner's SOA carries them.
const SOA_TIMERS = "86400 10800 3600000 3600";

export interface PrimaryNameserver {
  address: string;
  port: number;
  tsig_algorithm?: string;
  tsig_key?: string;
}

export interface Zone {
  id: number;
  name: string;
  created: string;
  mode: "primary" | "secondary";
  primary_nameservers?: PrimaryNameserver[];
  labels: Labels;
  protection: { delete: boolean };
  ttl: number;
  status: "ok";
  record_count: number;
  authoritative_nameservers: {
    assigned: string[];
    delegated: string[];
    delegation_last_check: string | null;
    delegation_status: "unknown";
  };
  registrar: "other";
}

export interface RecordValue {
  value: string;
  comment: string;
}

export interface RRSet {
  id: string;
  name: string;
  type: RRSetType;
  ttl: number | null;
  labels: Labels;
  protection: { change: boolean };
  records: RecordValue[];
  zone: number;
}

export interface NewZone {
  name: string;
  mode: "primary" | "secondary";
  ttl: number;
  labels: Labels;
  primary_nameservers?: PrimaryNameserver[];
}

export interface NewRRSet {
  name: string;
  type: RRSetType;
  ttl: number | null;
  records: RecordValue[];
  labels: Labels;
}

/** What a failed action restores: the zone and its rrsets as they were, or nothing if the zone did not exist. */
export interface ZoneSnapshot {
  id: number;
  zone?: Zone;
  rrsets?: Map<string, RRSet>;
  serial?: number;
}

const key = (name: string, type: string): string => `${name}/${type}`;
// Apex first and its SOA before anything, as zone files start; then by name and type, a stable order for paging.
const order = (r: RRSet): string => `${r.name === "@" ? "\u0000" : r.name}\u0001${r.type === "SOA" ? "\u0000" : r.type}`;
const clone = <T>(v: T): T => structuredClone(v);

/** True for the rrsets the zone itself owns: the SOA and the apex NS. */
export const isManaged = (name: string, type: string): boolean => name === "@" && (type === "SOA" || type === "NS");

export class HetznerStore {
  private readonly zones = new Map<number, Zone>();
  private readonly rrsets = new Map<number, Map<string, RRSet>>();
  private readonly serials = new Map<number, number>();
  // Zone ids look like the real ones (large integers), but stay small enough to read in logs.
  private nextId = 100001;

  constructor(private readonly now: () => Date = () => new Date()) {}

  // ---- zones

  listZones(): Zone[] {
    return [...this.zones.values()].sort((a, b) => a.id - b.id).map((z) => this.view(z));
  }

  /** A zone by numeric id or by name; 404 when there is none. */
  zone(idOrName: string | number): Zone {
    return this.view(this.zoneRef(idOrName));
  }

  createZone(input: NewZone): Zone {
    if ([...this.zones.values()].some((z) => z.name === input.name)) {
      throw new ApiError(409, "uniqueness_error", `zone ${input.name} already exists`, { fields: [{ name: "name", messages: ["is already taken"] }] });
    }
    const id = this.nextId++;
    const zone: Zone = {
      id,
      name: input.name,
      created: this.now().toISOString().replace(/\.\d{3}Z$/, "+00:00"),
      mode: input.mode,
      ...(input.mode === "secondary" ? { primary_nameservers: input.primary_nameservers ?? [] } : {}),
      labels: { ...input.labels },
      protection: { delete: false },
      ttl: input.ttl,
      status: "ok",
      record_count: 0,
      authoritative_nameservers: { assigned: [...ASSIGNED_NAMESERVERS], delegated: [], delegation_last_check: null, delegation_status: "unknown" },
      registrar: "other",
    };
    this.zones.set(id, zone);
    this.rrsets.set(id, new Map());
    if (input.mode === "primary") {
      const d = this.now();
      this.serials.set(id, Number(`${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, "0")}${String(d.getUTCDate()).padStart(2, "0")}01`));
      this.put(id, { name: "@", type: "SOA", ttl: null, labels: {}, records: [{ value: this.soaValue(id, ASSIGNED_NAMESERVERS[0]!, HOSTMASTER, SOA_TIMERS), comment: "" }] });
      this.put(id, { name: "@", type: "NS", ttl: null, labels: {}, records: ASSIGNED_NAMESERVERS.map((value) => ({ value, comment: "" })) });
    }
    return this.view(zone);
  }

  deleteZone(idOrName: string | number): Zone {
    const zone = this.zoneRef(idOrName);
    if (zone.protection.delete) throw new ApiError(423, "protected", `zone ${zone.name} is protected against deletion`);
    this.zones.delete(zone.id);
    this.rrsets.delete(zone.id);
    this.serials.delete(zone.id);
    return this.view(zone);
  }

  setZoneLabels(idOrName: string | number, labels: Labels): Zone {
    const zone = this.zoneRef(idOrName);
    zone.labels = { ...labels };
    return this.view(zone);
  }

  setZoneTtl(idOrName: string | number, ttl: number): void {
    const zone = this.primary(idOrName);
    zone.ttl = ttl;
    this.touch(zone.id);
  }

  setZoneProtection(idOrName: string | number, del: boolean): void {
    this.zoneRef(idOrName).protection.delete = del;
  }

  /** Replace every rrset except the managed SOA and apex NS (a zone file import). */
  replaceRrsets(idOrName: string | number, rrsets: NewRRSet[]): void {
    const zone = this.primary(idOrName);
    const map = this.rrsets.get(zone.id)!;
    for (const [k, r] of map) if (!isManaged(r.name, r.type)) map.delete(k);
    for (const r of rrsets) if (!isManaged(r.name, r.type)) this.put(zone.id, r);
    this.touch(zone.id);
  }

  // ---- rrsets

  listRrsets(idOrName: string | number): RRSet[] {
    const zone = this.primary(idOrName);
    return [...this.rrsets.get(zone.id)!.values()]
      .sort((a, b) => (order(a) < order(b) ? -1 : 1))
      .map(clone);
  }

  rrset(idOrName: string | number, name: string, type: string): RRSet {
    return clone(this.rrsetRef(this.primary(idOrName), name, type));
  }

  createRrset(idOrName: string | number, input: NewRRSet): RRSet {
    const zone = this.primary(idOrName);
    if (this.rrsets.get(zone.id)!.has(key(input.name, input.type))) {
      throw new ApiError(409, "uniqueness_error", `rrset ${key(input.name, input.type)} already exists in zone ${zone.name}`, {
        fields: [{ name: "name", messages: ["is already taken"] }],
      });
    }
    if (input.type === "SOA") throw invalidField("type", "SOA exists only at the zone apex and is managed by the zone");
    this.checkCoexistence(zone.id, input.name, input.type);
    const r = this.put(zone.id, input);
    this.touch(zone.id);
    return clone(r);
  }

  deleteRrset(idOrName: string | number, name: string, type: string): void {
    const zone = this.primary(idOrName);
    const r = this.changeable(zone, name, type);
    if (isManaged(name, type)) throw invalidField("type", `the ${type} rrset at the apex is managed by the zone and cannot be deleted`);
    this.rrsets.get(zone.id)!.delete(r.id);
    this.touch(zone.id);
  }

  setRrsetLabels(idOrName: string | number, name: string, type: string, labels: Labels): RRSet {
    const r = this.rrsetRef(this.primary(idOrName), name, type);
    r.labels = { ...labels };
    return clone(r);
  }

  setRrsetProtection(idOrName: string | number, name: string, type: string, change: boolean): void {
    this.rrsetRef(this.primary(idOrName), name, type).protection.change = change;
  }

  setRecords(idOrName: string | number, name: string, type: string, records: RecordValue[]): void {
    const zone = this.primary(idOrName);
    const r = this.changeable(zone, name, type);
    if (type === "SOA") {
      if (records.length !== 1) throw invalidField("records", "an SOA rrset has exactly one record");
      // The serial belongs to the zone: it only ever increases, whatever the client sends.
      const soa = parseSoa(records[0]!.value);
      records = [{ value: this.soaValue(zone.id, soa.mname, soa.rname, `${soa.refresh} ${soa.retry} ${soa.expire} ${soa.minimum}`), comment: records[0]!.comment }];
    }
    r.records = records.map((x) => ({ ...x }));
    this.touch(zone.id);
  }

  /** Add values; creates the rrset (ttl applies only then) when missing. An existing value is an error. */
  addRecords(idOrName: string | number, name: string, type: RRSetType, records: RecordValue[], ttl: number | null): void {
    const zone = this.primary(idOrName);
    const existing = this.rrsets.get(zone.id)!.get(key(name, type));
    if (!existing) {
      if (type === "SOA") throw invalidField("type", "SOA exists only at the zone apex and is managed by the zone");
      this.checkCoexistence(zone.id, name, type);
      if (type === "CNAME" && records.length > 1) throw invalidField("records", "a CNAME rrset has exactly one record");
      this.put(zone.id, { name, type, ttl, labels: {}, records });
      this.touch(zone.id);
      return;
    }
    const r = this.changeable(zone, name, type);
    const have = new Set(r.records.map((x) => x.value));
    const dups = records.filter((x) => have.has(x.value));
    if (dups.length > 0) throw invalidField("records", `duplicate value: ${dups.map((d) => d.value).join(", ")}`);
    if ((type === "CNAME" || type === "SOA") && r.records.length + records.length > 1) {
      throw invalidField("records", `a ${type} rrset has exactly one record`);
    }
    r.records.push(...records.map((x) => ({ ...x })));
    this.touch(zone.id);
  }

  /** Remove values; the rrset goes away when it becomes empty. A value that is not there is an error. */
  removeRecords(idOrName: string | number, name: string, type: string, values: string[]): void {
    const zone = this.primary(idOrName);
    const r = this.changeable(zone, name, type);
    const missing = values.filter((v) => !r.records.some((x) => x.value === v));
    if (missing.length > 0) throw invalidField("records", `value not found: ${missing.join(", ")}`);
    const left = r.records.filter((x) => !values.includes(x.value));
    if (left.length === 0 && isManaged(name, type)) throw invalidField("records", `the ${type} rrset at the apex is managed by the zone and cannot be emptied`);
    if (left.length === 0) this.rrsets.get(zone.id)!.delete(r.id);
    else r.records = left;
    this.touch(zone.id);
  }

  setRrsetTtl(idOrName: string | number, name: string, type: string, ttl: number | null): void {
    const zone = this.primary(idOrName);
    this.changeable(zone, name, type).ttl = ttl;
    this.touch(zone.id);
  }

  // ---- what actions and the nameserver need

  /** The zone id a reference names (404 when none): actions lock by id. */
  zoneId(idOrName: string | number): number {
    return this.zoneRef(idOrName).id;
  }

  snapshot(id: number): ZoneSnapshot {
    const zone = this.zones.get(id);
    if (!zone) return { id };
    return { id, zone: clone(zone), rrsets: clone(this.rrsets.get(id)!), serial: this.serials.get(id) };
  }

  restore(s: ZoneSnapshot): void {
    this.zones.delete(s.id);
    this.rrsets.delete(s.id);
    this.serials.delete(s.id);
    if (!s.zone || !s.rrsets) return;
    this.zones.set(s.id, s.zone);
    this.rrsets.set(s.id, s.rrsets);
    if (s.serial !== undefined) this.serials.set(s.id, s.serial);
  }

  /** The primary zone a fully qualified name (lower case, no trailing dot) lives in: the longest match. */
  zoneFor(fqdn: string): Zone | undefined {
    let best: Zone | undefined;
    for (const z of this.zones.values()) {
      if (z.mode !== "primary") continue;
      if ((fqdn === z.name || fqdn.endsWith(`.${z.name}`)) && (!best || z.name.length > best.name.length)) best = z;
    }
    return best && this.view(best);
  }

  /** Every rrset of a zone without copying: the nameserver reads, never writes. */
  rrsetsOf(zoneId: number): ReadonlyMap<string, RRSet> {
    return this.rrsets.get(zoneId) ?? new Map();
  }

  // ---- internals

  private view(z: Zone): Zone {
    let count = 0;
    for (const r of this.rrsets.get(z.id)?.values() ?? []) count += r.records.length;
    return { ...clone(z), record_count: count };
  }

  private zoneRef(idOrName: string | number): Zone {
    const s = String(idOrName);
    const zone = /^\d+$/.test(s) ? this.zones.get(Number(s)) : [...this.zones.values()].find((z) => z.name === s);
    if (!zone) throw notFound(`zone ${s}`);
    return zone;
  }

  private primary(idOrName: string | number): Zone {
    const zone = this.zoneRef(idOrName);
    if (zone.mode !== "primary") throw new ApiError(422, "incorrect_zone_mode", `zone ${zone.name} is a secondary zone; rrsets are managed by its primaries`);
    return zone;
  }

  private rrsetRef(zone: Zone, name: string, type: string): RRSet {
    const r = this.rrsets.get(zone.id)!.get(key(name, type));
    if (!r) throw notFound(`rrset ${key(name, type)} in zone ${zone.name}`);
    return r;
  }

  private changeable(zone: Zone, name: string, type: string): RRSet {
    const r = this.rrsetRef(zone, name, type);
    if (r.protection.change) throw new ApiError(423, "protected", `rrset ${r.id} is protected against changes`);
    return r;
  }

  private checkCoexistence(zoneId: number, name: string, type: string): void {
    const others = [...this.rrsets.get(zoneId)!.values()].filter((r) => r.name === name && r.type !== type);
    if (type === "CNAME" && others.length > 0) throw invalidField("type", `a CNAME cannot coexist with other types at ${name} (${others.map((o) => o.type).join(", ")})`);
    if (type !== "CNAME" && others.some((o) => o.type === "CNAME")) throw invalidField("type", `${name} has a CNAME, which cannot coexist with other types`);
  }

  private put(zoneId: number, input: NewRRSet): RRSet {
    const r: RRSet = {
      id: key(input.name, input.type),
      name: input.name,
      type: input.type,
      ttl: input.ttl,
      labels: { ...input.labels },
      protection: { change: false },
      records: input.records.map((x) => ({ ...x })),
      zone: zoneId,
    };
    this.rrsets.get(zoneId)!.set(r.id, r);
    return r;
  }

  private soaValue(zoneId: number, mname: string, rname: string, timers: string): string {
    return `${mname} ${rname} ${this.serials.get(zoneId) ?? 0} ${timers}`;
  }

  /** Every change bumps the SOA serial, as a primary server does, so secondaries and resolvers see it. */
  private touch(zoneId: number): void {
    const serial = (this.serials.get(zoneId) ?? 0) + 1;
    this.serials.set(zoneId, serial);
    const soa = this.rrsets.get(zoneId)?.get("@/SOA");
    const rec = soa?.records[0];
    if (!rec) return;
    const p = parseSoa(rec.value);
    rec.value = this.soaValue(zoneId, p.mname, p.rname, `${p.refresh} ${p.retry} ${p.expire} ${p.minimum}`);
  }
}
