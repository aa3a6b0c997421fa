// The dns noun: a DNS record set Hecate keeps at the DNS provider.
import { HecateError, UsageError } from "../../diag.js";
import { DNS_TYPES } from "../../model/dns-types.js";
import { nameForHost } from "../../model/name.js";
import type { DnsRecordResource } from "../../model/schema.js";
import type { Flag } from "../core/define.js";
import { spec, type NounDef } from "./noun.js";
import { edit, int, prune, type Opts } from "./parse.js";

type DnsSpec = DnsRecordResource["spec"];
const TYPES = DNS_TYPES;

const flags: Flag[] = [
  { flags: "--record <fqdn>", description: "fully qualified record name (default: the resource name)" },
  { flags: "--type <type>", description: "record type", choices: TYPES },
  { flags: "--value <value>", description: "record value (repeatable)", repeatable: true },
  { flags: "--ttl <seconds>", description: "time to live, 60-86400" },
];
const updateFlags: Flag[] = [
  { flags: "--add-value <value>", description: "add a value", repeatable: true },
  { flags: "--remove-value <value>", description: "remove a value", repeatable: true },
];

function apply(s: Partial<DnsSpec>, o: Opts): DnsSpec {
  const next = structuredClone(s);
  if (o.record !== undefined) next.name = String(o.record);
  if (o.type !== undefined) next.type = o.type as DnsSpec["type"];
  // Values may hold commas (TXT, CAA), so --value is taken whole, never split.
  const given = o.value === undefined ? undefined : (o.value as string[]);
  const add = o.addValue as string[] | undefined, remove = o.removeValue as string[] | undefined;
  next.values = edit(next.values, given, add, remove) as DnsSpec["values"];
  if (o.ttl !== undefined) next.ttl = int(o.ttl, "--ttl");
  return prune(next) as DnsSpec;
}

export const dns: NounDef = {
  noun: "dns",
  plural: "dns-records",
  kind: "DnsRecord",
  aliases: ["dns-record", "dnsrecord", "dnsrecords", "records"],
  summary: "a DNS record set at the DNS provider",
  flags,
  updateFlags,
  create(name, o) {
    if (o.type === undefined) throw new UsageError(`create dns ${name} needs --type`);
    if (o.value === undefined) throw new UsageError(`create dns ${name} needs --value`);
    return { spec: apply({ name }, o) };
  },
  update: (current, o) => ({ spec: apply(current.spec as DnsSpec, o) }),
  columns: [
    { header: "NAME", get: (r) => r.metadata.name },
    { header: "RECORD", get: (r) => spec<DnsSpec>(r).name },
    { header: "TYPE", get: (r) => spec<DnsSpec>(r).type },
    { header: "VALUES", get: (r) => spec<DnsSpec>(r).values.join(",") },
    { header: "TTL", get: (r) => String(spec<DnsSpec>(r).ttl ?? "-") },
  ],
  live: {
    flags: [{ flags: "--zone <zone>", description: "list the zone as Hetzner holds it (every record set, and whether Hecate owns it)" }],
    wants: (o) => o.zone !== undefined,
    list: async (ctx, o) => (await import("../commands/dns-run.js")).listLiveZone(ctx, o),
  },
  /** `eos update hecate dns api.example.com`: records are named by their host. */
  findOther(resources, word) {
    const fqdn = word.toLowerCase().replace(/\.$/, "");
    const at = resources.filter((x) => x.kind === "DnsRecord" && (x.spec as DnsSpec).name.toLowerCase().replace(/\.$/, "") === fqdn);
    if (at.length > 1) throw new HecateError("ambiguous", `${at.length} DNS records are at ${word} (${at.map((x) => x.metadata.name).join(", ")}): name one of them`, { status: 409 });
    return at[0];
  },
  /** `create dns --record api.example.com ...` without a NAME: the record's name. */
  defaultName(o) {
    if (o.record === undefined) return undefined;
    return nameForHost(String(o.record));
  },
  examples: {
    create: ["hecate create dns api.example.com --type A --value 203.0.113.10 --ttl 300", "hecate create dns www --record www.example.com --type CNAME --value example.com."],
    update: ["hecate update dns api.example.com --value 203.0.113.11"],
  },
};
