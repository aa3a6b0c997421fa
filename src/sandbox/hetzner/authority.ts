// The authoritative answer for one question from the store: AA answers, NODATA, NXDOMAIN with the SOA, referrals, REFUSED.
import type { Answer } from "dns-packet";
import { absolute } from "./names.js";
import type { HetznerStore, RRSet, Zone } from "./store.js";
import { parseQuoted, parseSoa } from "./values.js";

export type Rcode = "NOERROR" | "NXDOMAIN" | "REFUSED" | "NOTIMP";

export interface Reply {
  rcode: Rcode;
  authoritative: boolean;
  answers: Answer[];
  authorities: Answer[];
}

// Types the store holds that dns-packet cannot put on the wire; their queries get NOTIMP rather than a false NODATA.
const UNSERVED = new Set(["HTTPS", "SVCB", "UNKNOWN_64", "UNKNOWN_65"]);

/** Answer a question (name lower case, no trailing dot) from the primary zones in the store. */
export function lookup(store: HetznerStore, qname: string, qtype: string): Reply {
  const zone = store.zoneFor(qname);
  if (!zone) return { rcode: "REFUSED", authoritative: false, answers: [], authorities: [] };
  if (UNSERVED.has(qtype)) return { rcode: "NOTIMP", authoritative: false, answers: [], authorities: [] };
  const all = [...store.rrsetsOf(zone.id).values()];
  const rel = qname === zone.name ? "@" : qname.slice(0, -(zone.name.length + 1));
  const at = (name: string): RRSet[] => all.filter((r) => r.name === name);
  const below = (name: string): boolean => name === "@" || all.some((r) => r.name.endsWith(`.${name}`));
  const ok = (answers: Answer[], authorities: Answer[] = []): Reply => ({ rcode: "NOERROR", authoritative: true, answers, authorities });
  const soa = soaAuthority(zone, all);

  // Below a delegation (NS not at the apex) the child zone answers: refer, unless asked for the DS of the cut itself.
  for (const a of ancestors(rel).filter((x) => x !== "@")) {
    const ns = at(a).find((r) => r.type === "NS");
    if (ns && !(a === rel && qtype === "DS")) return { rcode: "NOERROR", authoritative: false, answers: [], authorities: toAnswers(ns, ownerOf(a, zone), zone) };
  }

  let node = at(rel);
  let owner = qname;
  if (node.length === 0) {
    if (below(rel)) return ok([], soa);
    // RFC 4592: a wildcard at the closest encloser stands in for names that do not exist.
    const encloser = ancestors(rel).slice(1).find((a) => at(a).length > 0 || below(a)) ?? "@";
    node = at(encloser === "@" ? "*" : `*.${encloser}`);
    if (node.length === 0) return { rcode: "NXDOMAIN", authoritative: true, answers: [], authorities: soa };
  }
  const cname = node.find((r) => r.type === "CNAME");
  if (cname && qtype !== "CNAME") return ok(toAnswers(cname, owner, zone));
  const hits = qtype === "ANY" ? node.filter((r) => !UNSERVED.has(r.type)) : node.filter((r) => r.type === qtype);
  if (hits.length === 0) return ok([], soa);
  return ok(hits.flatMap((r) => toAnswers(r, owner, zone)));
}

/** rel itself, then each parent up to and including the apex "@". */
function ancestors(rel: string): string[] {
  if (rel === "@") return ["@"];
  const labels = rel.split(".");
  return [...labels.map((_, i) => labels.slice(i).join(".")), "@"];
}

const ownerOf = (rel: string, zone: Zone): string => (rel === "@" ? zone.name : `${rel}.${zone.name}`);

/** The SOA for a negative answer, with the TTL RFC 2308 asks for: the lesser of its TTL and its minimum. */
function soaAuthority(zone: Zone, all: RRSet[]): Answer[] {
  const soa = all.find((r) => r.name === "@" && r.type === "SOA");
  if (!soa) return [];
  const [a] = toAnswers(soa, zone.name, zone);
  return a ? [{ ...a, ttl: Math.min(soa.ttl ?? zone.ttl, parseSoa(soa.records[0]!.value).minimum) } as Answer] : [];
}

function toAnswers(r: RRSet, owner: string, zone: Zone): Answer[] {
  const ttl = r.ttl ?? zone.ttl;
  const host = (v: string): string => absolute(v, zone.name);
  return r.records.flatMap((rec): Answer[] => {
    const v = rec.value;
    const f = v.split(" ");
    const base = { name: owner, ttl, class: "IN" as const };
    switch (r.type) {
      case "A":
      case "AAAA":
        return [{ ...base, type: r.type, data: v }];
      case "CNAME":
      case "NS":
      case "PTR":
        return [{ ...base, type: r.type, data: host(v) }];
      case "MX":
        return [{ ...base, type: "MX", data: { preference: Number(f[0]), exchange: host(f[1]!) } }];
      case "SRV":
        return [{ ...base, type: "SRV", data: { priority: Number(f[0]), weight: Number(f[1]), port: Number(f[2]), target: host(f[3]!) } }];
      case "TXT": {
        const parts = parseQuoted(v);
        return typeof parts === "string" ? [] : [{ ...base, type: "TXT", data: parts.map((p) => Buffer.from(p)) }];
      }
      case "CAA": {
        const m = /^(\d+) (\S+) (".*")$/.exec(v);
        const value = m ? parseQuoted(m[3]!) : "";
        if (!m || typeof value === "string") return [];
        return [{ ...base, type: "CAA", data: { flags: Number(m[1]), tag: m[2] as "issue", value: value[0] ?? "" } }];
      }
      case "SOA": {
        const s = parseSoa(v);
        return [{ ...base, type: "SOA", data: { ...s, mname: host(s.mname), rname: host(s.rname) } }];
      }
      case "DS":
        return [{ ...base, type: "DS", data: { keyTag: Number(f[0]), algorithm: Number(f[1]), digestType: Number(f[2]), digest: Buffer.from(f[3]!, "hex") } }];
      case "TLSA":
        return [{ ...base, type: "TLSA", data: { usage: Number(f[0]), selector: Number(f[1]), matchingType: Number(f[2]), certificate: Buffer.from(f[3]!, "hex") } }];
      case "HINFO": {
        const p = parseQuoted(v);
        return typeof p === "string" ? [] : [{ ...base, type: "HINFO", data: { cpu: p[0] ?? "", os: p[1] ?? "" } }];
      }
      case "RP":
        return [{ ...base, type: "RP", data: { mbox: host(f[0]!), txt: host(f[1]!) } }];
      case "HTTPS":
      case "SVCB":
        return [];
    }
  });
}
