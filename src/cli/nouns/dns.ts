// The dns noun: a DNS record set Hecate keeps at the DNS provider.
import { UsageError } from "../../diag.js";
import type { DnsRecordResource } from "../../model/schema.js";
import type { Flag } from "../core/define.js";
import { spec, type NounDef } from "./noun.js";
import { edit, int, prune, type Opts } from "./parse.js";

type DnsSpec = DnsRecordResource["spec"];
const TYPES = ["A", "AAAA", "CAA", "CNAME", "MX", "NS", "SRV", "TXT", "TLSA", "HTTPS", "SVCB"] as const;

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
  examples: {
    create: ["hecate create dns api.example.com --type A --value 203.0.113.10 --ttl 300", "hecate create dns www --record www.example.com --type CNAME --value example.com."],
    update: ["hecate update dns api.example.com --value 203.0.113.11"],
  },
};
