// BIND zone files (RFC 1035 master format), both ways: parse one (`import dns --zonefile`, the
// sandbox's import_zonefile) into records, and write rrsets as one (`render dns`, `dns export`).
import { HecateError } from "../../diag.js";
import type { DnsDesired, RRSet } from "./records.js";

export interface ZoneRecord {
  /** Fully qualified, lower case, no trailing dot. */
  fqdn: string;
  ttl: number | null;
  type: string;
  /** The rdata as written (quoted TXT strings kept quoted). */
  value: string;
  line: number;
}

const CLASSES = new Set(["IN", "CH", "HS"]);
const TYPES = new Set(["A", "AAAA", "CAA", "CNAME", "DS", "HINFO", "HTTPS", "MX", "NS", "PTR", "RP", "SOA", "SRV", "SVCB", "TLSA", "TXT"]);

/** Tokens of one logical entry (parentheses join lines), with the line it starts on. */
function* entries(text: string, file: string): Generator<{ tokens: string[]; indented: boolean; line: number }> {
  let tokens: string[] = [];
  let depth = 0, start = 0, indented = false;
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const l = lines[n]!;
    if (depth === 0) {
      tokens = [];
      start = n + 1;
      indented = /^[ \t]/.test(l);
    }
    for (let i = 0; i < l.length; ) {
      const ch = l[i]!;
      if (ch === ";") break;
      if (ch === " " || ch === "\t") { i++; continue; }
      if (ch === "(") { depth++; i++; continue; }
      if (ch === ")") {
        if (depth === 0) throw new HecateError("zonefile", `${file}:${n + 1}:${i + 1}: ")" without "("`);
        depth--; i++; continue;
      }
      if (ch === '"') {
        let j = i + 1;
        while (j < l.length && l[j] !== '"') j += l[j] === "\\" ? 2 : 1;
        if (j >= l.length) throw new HecateError("zonefile", `${file}:${n + 1}:${i + 1}: unterminated quoted string`);
        tokens.push(l.slice(i, j + 1));
        i = j + 1;
        continue;
      }
      let j = i;
      while (j < l.length && !" \t;()".includes(l[j]!)) j++;
      tokens.push(l.slice(i, j));
      i = j;
    }
    if (depth === 0 && tokens.length) yield { tokens, indented, line: start };
  }
  if (depth > 0) throw new HecateError("zonefile", `${file}:${start}:1: "(" not closed before the end of the file`);
}

function absolute(name: string, origin: string): string {
  if (name === "@") return origin;
  if (name.endsWith(".")) return name.slice(0, -1).toLowerCase();
  return `${name.toLowerCase()}.${origin}`;
}

/** Parse a zone file; `origin` is the zone (a $ORIGIN line overrides it). Errors name file:line:col. */
export function parseZonefile(text: string, origin: string, file = "zonefile"): ZoneRecord[] {
  let org = origin.replace(/\.$/, "").toLowerCase();
  let defaultTtl: number | null = null;
  let owner: string | undefined;
  const out: ZoneRecord[] = [];
  for (const { tokens, indented, line } of entries(text, file)) {
    const t = [...tokens];
    const at = (what: string) => `${file}:${line}: ${what}`;
    if (t[0] === "$ORIGIN") { org = absolute(t[1] ?? "", org); continue; }
    if (t[0] === "$TTL") {
      if (!/^\d+$/.test(t[1] ?? "")) throw new HecateError("zonefile", at(`$TTL needs a number of seconds, got ${JSON.stringify(t[1] ?? "")}`));
      defaultTtl = Number(t[1]);
      continue;
    }
    if (t[0]?.startsWith("$")) throw new HecateError("zonefile", at(`${t[0]} is not supported (only $ORIGIN and $TTL)`));
    if (!indented) owner = absolute(t.shift()!, org);
    if (!owner) throw new HecateError("zonefile", at("the first record has no owner name"));
    let ttl: number | null = defaultTtl;
    // TTL and class may come in either order before the type.
    for (let k = 0; k < 2; k++) {
      if (/^\d+$/.test(t[0] ?? "")) ttl = Number(t.shift());
      else if (CLASSES.has((t[0] ?? "").toUpperCase())) t.shift();
    }
    const type = (t.shift() ?? "").toUpperCase();
    if (!TYPES.has(type)) throw new HecateError("zonefile", at(`unknown or unsupported record type ${JSON.stringify(type)}`));
    if (t.length === 0) throw new HecateError("zonefile", at(`${type} record for ${owner} has no data`));
    out.push({ fqdn: owner, ttl, type, value: t.join(" "), line });
  }
  return out;
}

/** Records as zone-file lines: name relative to the zone, ttl (or the zone default), IN, type, value. */
export function zoneLines(rrsets: readonly Pick<RRSet, "name" | "type" | "ttl" | "records">[]): string[] {
  const w = Math.max(1, ...rrsets.map((r) => r.name.length));
  return rrsets.flatMap((r) => r.records.map((v) => `${r.name.padEnd(w)} ${r.ttl === null ? "" : `${r.ttl} `}IN ${r.type} ${v}`));
}

/** What Hecate would hold at Hetzner, per zone, as zone-file text (`hecate render dns`). */
export function renderZone(desired: DnsDesired): string {
  const byZone = new Map<string, RRSet[]>();
  if (Object.keys(desired.rrsets).length === 0) return "; no DNS record sets: no DnsRecord resource and no route with dns\n";
  for (const r of Object.values(desired.rrsets)) byZone.set(r.zone, [...(byZone.get(r.zone) ?? []), r]);
  return [...byZone.keys()]
    .sort()
    .map((zone) => [`; zone ${zone}: the record sets Hecate owns (label hecate.io/managed-by=hecate)`, `$ORIGIN ${zone}.`, ...zoneLines(byZone.get(zone)!)].join("\n"))
    .join("\n\n") + "\n";
}
