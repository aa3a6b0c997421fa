// DNS commands beside plan/apply: `check dns HOST` (is it live, asked of the authoritative servers
// and a resolver), `export dns --zone Z` (BIND or DnsRecord YAML), `import dns` (adopt what exists).
// Definitions only: the work is in dns-run.ts, loaded when a command runs.
import type { CommandDef } from "../core/define.js";
import { DRY_RUN } from "./shared-flags.js";

const ZONE = { flags: "--zone <zone>", description: "the zone, e.g. example.com" };
const run = () => import("./dns-run.js");

export const checkDns: CommandDef = {
  name: "dns",
  args: ["<host>"],
  summary: "is HOST live: ask the zone's authoritative servers and a resolver, compare with the desired records",
  flags: [
    { flags: "--server <host[:port]>", description: "authoritative server to ask (repeatable; default Settings spec.dns.nameservers, else the zone's at Hetzner)", repeatable: true },
    { flags: "--resolver <host[:port]>", description: "resolver to ask as well (default Settings spec.dns.resolver, else the system's)" },
    { flags: "--wait <duration>", description: "ask again every 2 s until every authoritative server answers the desired records, e.g. 2m" },
  ],
  examples: ["hecate check dns app.example.com", "hecate check dns app.example.com --wait 2m", "hecate check dns app.example.com --server 127.0.0.1:5353"],
  run: async (ctx, args, opts) => (await run()).runCheckDns(ctx, args, opts),
};

export const exportDns: CommandDef = {
  name: "dns",
  summary: "a zone as Hetzner holds it: a BIND zone file (default) or DnsRecord YAML",
  flags: [ZONE, { flags: "--format <format>", description: "bind or yaml", choices: ["bind", "yaml"], default: "bind" }],
  examples: ["hecate export dns --zone example.com > example.com.zone", "hecate export dns --zone example.com --format yaml > dns.yaml"],
  run: async (ctx, args, opts) => (await run()).runExportDns(ctx, args, opts),
};

export const importDns: CommandDef = {
  name: "dns",
  summary: "adopt records that exist at Hetzner: label them as Hecate's and add them as DnsRecords (nothing else changes)",
  flags: [
    { flags: "--zonefile <file>", description: "a BIND zone file of the records to adopt" },
    { flags: "--from-file <file>", description: "DnsRecord YAML of the records to adopt" },
    { ...ZONE, description: "the zone (default: the zone file's $ORIGIN, or the records' zone)" },
    DRY_RUN,
  ],
  examples: ["hecate import dns --zonefile example.com.zone --zone example.com --dry-run", "hecate import dns --from-file dns.yaml"],
  run: async (ctx, args, opts) => (await run()).runImportDns(ctx, args, opts),
};
