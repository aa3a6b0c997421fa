// DNS operations beside plan and apply: list a zone as Hetzner holds it, export it as a zone file,
// adopt existing records (label them, nothing else), and check whether a name is live by asking
// the zone's authoritative servers and a resolver directly.
import { lookup } from "node:dns/promises";
import { getServers } from "node:dns";
import { HecateError } from "../../diag.js";
import { zoneOf } from "../../model/net.js";
import type { ResolvedSettings } from "../../model/resolved.js";
import type { ProviderContext } from "../provider.js";
import { hetznerClient, seg } from "./client.js";
import { hecateLabels, type ActualRRSet } from "./diff.js";
import { apiValue, OWNER_LABEL, OWNER_VALUE, relativeName, type DnsDesired, type RRSet } from "./records.js";
import { parseServer, query, type DnsServer, type QueryResult } from "./query.js";
import { fromApi, rrsetPath, type ApiRRSet } from "./wire.js";
import type { ZoneRecord } from "./zonefile.js";

interface ApiZoneFull {
  id: number;
  name: string;
  ttl: number;
  authoritative_nameservers?: { assigned?: string[] };
}

async function zoneByName(settings: ResolvedSettings, ctx: ProviderContext, zone: string): Promise<ApiZoneFull> {
  const c = await hetznerClient(settings, ctx);
  return (await c.call<{ zone: ApiZoneFull }>("GET", `/zones/${seg(zone)}`)).zone;
}

/** Every rrset of one zone as Hetzner holds it, with whether Hecate owns it. */
export async function listZone(settings: ResolvedSettings, ctx: ProviderContext, zone: string): Promise<ActualRRSet[]> {
  const c = await hetznerClient(settings, ctx);
  const sets = await c.listAll<ApiRRSet>(`/zones/${seg(zone)}/rrsets`, "rrsets", 100);
  return sets.map((r) => fromApi(zone, r)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.type < b.type ? -1 : 1));
}

/** The zone as a BIND zone file, in Hetzner's own export. */
export async function exportZone(settings: ResolvedSettings, ctx: ProviderContext, zone: string): Promise<string> {
  const c = await hetznerClient(settings, ctx);
  return (await c.call<{ zonefile: string }>("GET", `/zones/${seg(zone)}/zonefile`)).zonefile;
}

export interface AdoptReport {
  /** Labeled now: Hecate owns them from here on. */
  adopted: RRSet[];
  /** Already Hecate's. */
  owned: RRSet[];
  /** In the file but not at Hetzner, or holding other values there: not adopted, why. */
  skipped: { rrset: RRSet; why: string }[];
}

/** Zone-file records grouped into rrsets of `zone` (SOA and the apex NS are the zone's own, skipped). */
export function rrsetsOf(records: readonly ZoneRecord[], zone: string): { rrsets: RRSet[]; outside: ZoneRecord[] } {
  const by = new Map<string, RRSet>();
  const outside: ZoneRecord[] = [];
  for (const r of records) {
    if (r.fqdn !== zone && !r.fqdn.endsWith(`.${zone}`)) {
      outside.push(r);
      continue;
    }
    const name = relativeName(r.fqdn, zone);
    if (r.type === "SOA" || (r.type === "NS" && name === "@")) continue;
    const key = `${name}/${r.type}`;
    const set = by.get(key) ?? { zone, name, type: r.type, ttl: r.ttl, records: [], labels: { [OWNER_LABEL]: OWNER_VALUE } };
    set.records = [...new Set([...set.records, apiValue(r.type, r.value)])].sort();
    by.set(key, set);
  }
  return { rrsets: [...by.values()], outside };
}

/**
 * Adopt rrsets that exist at Hetzner exactly as the file has them: add Hecate's label (a labels-only
 * write that changes no record). Anything that differs is left alone and reported.
 */
export async function adopt(settings: ResolvedSettings, ctx: ProviderContext, zone: string, wanted: readonly RRSet[], dryRun: boolean): Promise<AdoptReport> {
  const c = await hetznerClient(settings, ctx);
  const zoneTtl = (await c.call<{ zone: ApiZoneFull }>("GET", `/zones/${seg(zone)}`)).zone.ttl;
  const live = new Map((await c.listAll<ApiRRSet>(`/zones/${seg(zone)}/rrsets`, "rrsets", 100)).map((r) => [`${r.name}/${r.type}`, r] as const));
  const report: AdoptReport = { adopted: [], owned: [], skipped: [] };
  for (const w of wanted) {
    const raw = live.get(`${w.name}/${w.type}`);
    if (!raw) {
      report.skipped.push({ rrset: w, why: "not at Hetzner (apply creates it once it is a resource)" });
      continue;
    }
    const now = fromApi(zone, raw, zoneTtl);
    if (JSON.stringify(now.records) !== JSON.stringify(w.records)) {
      report.skipped.push({ rrset: w, why: `Hetzner holds ${now.records.join(", ")}, the file ${w.records.join(", ")}` });
      continue;
    }
    // The live TTL is what gets adopted: adopting changes nothing at Hetzner.
    const adopted = { ...w, ttl: now.ttl };
    if (now.owned) {
      report.owned.push(adopted);
      continue;
    }
    if (!dryRun) await c.call("PUT", rrsetPath(w), { labels: { ...(raw.labels ?? {}), ...hecateLabels(w.labels) } });
    report.adopted.push(adopted);
  }
  return report;
}

export interface CheckRow extends QueryResult {
  role: "authoritative" | "resolver";
  type: string;
  want: string[];
  /** The answer holds exactly the wanted values. */
  live: boolean;
}

export interface CheckOptions {
  /** Authoritative servers to ask instead of the zone's (flag or Settings spec.dns.nameservers). */
  servers?: string[];
  resolver?: string;
  timeoutMs?: number;
}

/** Addresses of the zone's nameservers as Hetzner assigned them (names looked up by the system resolver). */
async function zoneServers(settings: ResolvedSettings, ctx: ProviderContext, zone: string): Promise<DnsServer[]> {
  const z = await zoneByName(settings, ctx, zone);
  const names = z.authoritative_nameservers?.assigned ?? [];
  if (names.length === 0) throw new HecateError("dns-check", `Hetzner lists no nameservers for zone ${zone}; name them with --server or Settings spec.dns.nameservers`);
  return Promise.all(
    names.map(async (n) => {
      const s = parseServer(n.replace(/\.$/, ""));
      try {
        return { host: (await lookup(s.host)).address, port: s.port };
      } catch (e) {
        throw new HecateError("dns-check", `cannot look up nameserver ${n} of zone ${zone}: ${(e as Error).message}`);
      }
    }),
  );
}

/** The servers authoritative for a zone: Settings spec.dns.nameservers when given, else the zone's at Hetzner. */
export async function authoritativeServers(settings: ResolvedSettings, ctx: ProviderContext, zone: string, given = settings.dns.nameservers): Promise<DnsServer[]> {
  return given?.length ? given.map(parseServer) : zoneServers(settings, ctx, zone);
}

/**
 * Ask every authoritative server and the resolver for each record type Hecate wants at `fqdn`
 * (A/AAAA/CNAME when it wants none there) and compare with the desired values.
 */
export async function checkName(settings: ResolvedSettings, ctx: ProviderContext, desired: DnsDesired, fqdn: string, opts: CheckOptions = {}): Promise<CheckRow[]> {
  const zone = zoneOf(fqdn);
  if (!zone) throw new HecateError("dns-check", `${fqdn} is not under a registrable domain (by the Public Suffix List)`);
  const name = relativeName(fqdn, zone);
  const wanted = Object.values(desired.rrsets).filter((r) => r.zone === zone && r.name === name);
  const asks = wanted.length ? wanted.map((r) => ({ type: r.type, want: r.records })) : ["A", "AAAA", "CNAME"].map((type) => ({ type, want: [] as string[] }));
  const auth = await authoritativeServers(settings, ctx, zone, opts.servers?.length ? opts.servers : settings.dns.nameservers);
  const resolverSpec = opts.resolver ?? settings.dns.resolver ?? getServers()[0];
  const servers: { server: DnsServer; role: CheckRow["role"] }[] = [
    ...auth.map((server) => ({ server, role: "authoritative" as const })),
    ...(resolverSpec ? [{ server: parseServer(resolverSpec), role: "resolver" as const }] : []),
  ];
  const rows = await Promise.all(
    servers.flatMap(({ server, role }) =>
      asks.map(async ({ type, want }) => {
        const r = await query(server, fqdn, type, { recursive: role === "resolver", ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) });
        const live = want.length > 0 && r.rcode === "NOERROR" && JSON.stringify(r.values) === JSON.stringify(want);
        return { ...r, role, type, want, live } satisfies CheckRow;
      }),
    ),
  );
  return rows;
}

