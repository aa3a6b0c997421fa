// What the DNS commands do (loaded when one runs, so the CLI starts without the DNS modules): `check dns HOST` (is it live, asked of the authoritative servers
// and a resolver), `export dns --zone Z` (BIND or DnsRecord YAML), `import dns` (adopt what exists).
import { readFile } from "node:fs/promises";
import { HecateError, UsageError } from "../../diag.js";
import { normalizeHost, zoneOf } from "../../model/net.js";
import { hostAsName, RESOURCE_NAME } from "../../model/name.js";
import { API_VERSION, type Resource } from "../../model/schema.js";
import type { ResolvedState } from "../../model/resolved.js";
import type { Revision } from "../../store/store.js";
import { compileDns, rrsetKey, type RRSet } from "../../providers/dns/records.js";
import { rrsetsOf } from "../../providers/dns/ops.js";
import { parseZonefile } from "../../providers/dns/zonefile.js";
import type { Context } from "../core/context.js";
import type { Opts } from "../core/define.js";
import { renderTable } from "../core/output.js";
import { commitEdit } from "../core/state.js";
import { resourcesFromFile } from "./create.js";
import { NOUNS } from "../nouns/index.js";
import { parseDurationMs } from "./shared-flags.js";
import { method } from "./engine.js";

function zoneFlag(opts: Opts): string {
  if (opts.zone === undefined) throw new UsageError("--zone is required, e.g. --zone example.com");
  const z = normalizeHost(String(opts.zone), { wildcard: false });
  if (!z.ok) throw new UsageError(`--zone ${JSON.stringify(opts.zone)} ${z.reason}`);
  if (zoneOf(z.value) !== z.value) throw new UsageError(`--zone ${z.value} is not a zone: Hetzner holds registrable domains only${zoneOf(z.value) ? ` (this name lives in ${zoneOf(z.value)})` : ""}`);
  return z.value;
}

/** The engine, whose DNS calls use the store's credentials (through the API: the server's). */
const dns = async (ctx: Context) => {
  const engine = await ctx.engine();
  return { zone: method(engine, "dnsZone"), zoneFile: method(engine, "dnsZoneFile"), check: method(engine, "checkDns"), adopt: method(engine, "adoptDns") };
};

const fqdnOf = (r: Pick<RRSet, "name" | "zone">) => (r.name === "@" ? r.zone : `${r.name}.${r.zone}`);

/** `list dns --zone Z`: the zone as Hetzner holds it, with who owns each rrset. */
export async function listLiveZone(ctx: Context, opts: Opts): Promise<void> {
  const zone = zoneFlag(opts);
  const sets = await (await dns(ctx)).zone(zone);
  const format = ctx.format("table");
  if (format === "json" || format === "yaml") return void ctx.json(sets);
  if (!sets.length) return void ctx.say(`zone ${zone} holds no record sets`);
  ctx.out(
    renderTable(sets, [
      { header: "NAME", get: (r) => fqdnOf(r) },
      { header: "TYPE", get: (r) => r.type },
      { header: "TTL", get: (r) => String(r.ttl ?? "-") },
      { header: "VALUES", get: (r) => r.records.join(" ") },
      { header: "OWNER", get: (r) => (r.owned ? "hecate" : r.type === "SOA" || (r.type === "NS" && r.name === "@") ? "zone" : "not hecate") },
    ]),
  );
}

export async function runCheckDns(ctx: Context, [host]: unknown[], opts: Opts): Promise<number | void> {
  const h = normalizeHost(String(host), { wildcard: true, service: true });
  if (!h.ok) throw new UsageError(`HOST ${JSON.stringify(host)} ${h.reason}`);
  const d = await dns(ctx);
  const deadline = opts.wait === undefined ? 0 : Date.now() + parseDurationMs(String(opts.wait), "--wait");
  const co = { ...(opts.server ? { servers: opts.server as string[] } : {}), ...(opts.resolver ? { resolver: String(opts.resolver) } : {}) };
  for (;;) {
    const rows = await d.check(h.value, co);
    const wanted = rows.some((r) => r.want.length > 0);
    const auth = rows.filter((r) => r.role === "authoritative");
    const ok = wanted && auth.every((r) => r.live);
    if (ok || Date.now() >= deadline) {
      if (ctx.format("table") === "json") ctx.json({ host: h.value, live: ok, answers: rows });
      else {
        ctx.out(
          renderTable(rows, [
            { header: "SERVER", get: (r) => r.server },
            { header: "ROLE", get: (r) => r.role },
            { header: "TYPE", get: (r) => r.type },
            { header: "WANT", get: (r) => r.want.join(" ") || "-" },
            { header: "ANSWER", get: (r) => (r.rcode === "NOERROR" ? r.values.join(" ") || (r.cname ? `CNAME ${r.cname}` : "(no data)") : r.error ? `${r.rcode}: ${r.error}` : r.rcode) },
            { header: "LIVE", get: (r) => (r.want.length === 0 ? "-" : r.live ? "yes" : "no") },
          ]),
        );
        if (!wanted) ctx.say(`Hecate wants no records at ${h.value}: shown is what the servers answer`);
        else if (ok) ctx.say(`${h.value}: live on every authoritative server${rows.some((r) => r.role === "resolver" && !r.live) ? " (the resolver may still hold an older answer until its TTL runs out)" : ""}`);
      }
      if (!wanted) return 0;
      if (!ok) {
        const lagging = auth.filter((r) => !r.live).map((r) => `${r.server} (${r.type})`);
        throw new HecateError("dns-not-live", `${h.value} is not live yet on ${[...new Set(lagging)].join(", ")}${opts.wait ? " after waiting" : "; wait with --wait 2m, or check that apply ran"}`);
      }
      return 0;
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

export async function runExportDns(ctx: Context, _args: unknown[], opts: Opts): Promise<number | void> {
  const zone = zoneFlag(opts);
  const d = await dns(ctx);
  if (opts.format !== "yaml") return void ctx.out(await d.zoneFile(zone));
  const sets = (await d.zone(zone)).filter((r) => r.type !== "SOA" && !(r.type === "NS" && r.name === "@"));
  ctx.out((await ctx.model()).toYaml(recordResources(sets, [])));
}

/** The rrsets a set of resources asks for, by key. */
function desiredRRSets(model: { resolveState: (r: Resource[]) => { state?: ResolvedState | undefined } }, resources: Resource[]): Record<string, RRSet> {
  const state = model.resolveState(resources).state;
  return state ? compileDns(state).desired.rrsets : {};
}

/** A resource name for an rrset: its name, or name-type when another rrset or resource has it. */
function resourceName(r: RRSet, taken: Set<string>): string {
  const base = hostAsName(fqdnOf(r));
  for (const candidate of [base, `${base}-${r.type.toLowerCase()}`]) {
    const name = candidate.length > 63 ? `${candidate.slice(0, 50)}-${r.type.toLowerCase()}` : candidate;
    if (!taken.has(name) && RESOURCE_NAME.test(name)) return (taken.add(name), name);
  }
  throw new HecateError("import", `cannot name a DnsRecord for ${fqdnOf(r)} ${r.type}: name it by hand with \`hecate create dns NAME --record ${fqdnOf(r)} ...\``);
}

/** DnsRecord resources for rrsets, named so they do not clash with `existing`. */
function recordResources(sets: readonly RRSet[], existing: readonly Resource[]): Resource[] {
  const taken = new Set(existing.filter((x) => x.kind === "DnsRecord").map((x) => x.metadata.name));
  return sets.map((r) => ({
    apiVersion: API_VERSION,
    kind: "DnsRecord",
    metadata: { name: resourceName(r, taken) },
    spec: { name: fqdnOf(r), type: r.type, values: r.records, ...(r.ttl === null ? {} : { ttl: r.ttl }) },
  }) as Resource);
}

export async function runImportDns(ctx: Context, _args: unknown[], opts: Opts): Promise<number | void> {
  if ((opts.zonefile === undefined) === (opts.fromFile === undefined)) throw new UsageError("give one of --zonefile FILE or --from-file FILE");
  let sets: RRSet[];
  let zone: string;
  if (opts.zonefile !== undefined) {
    const file = String(opts.zonefile);
    const text = await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
      throw new HecateError("read", `cannot read ${file}: ${e.code ?? e.message}`);
    });
    const origin = opts.zone !== undefined ? zoneFlag(opts) : /^\$ORIGIN\s+(\S+)/m.exec(text)?.[1]?.replace(/\.$/, "").toLowerCase();
    if (!origin) throw new UsageError(`${file} has no $ORIGIN line: name the zone with --zone`);
    zone = origin;
    const { rrsets, outside } = rrsetsOf(parseZonefile(text, zone, file), zone);
    if (outside.length) ctx.warn(`${outside.length} record(s) in ${file} are outside zone ${zone} and are skipped (first: ${file}:${outside[0]!.line})`);
    sets = rrsets;
  } else {
    const docs = await resourcesFromFile(ctx, String(opts.fromFile), NOUNS.find((n) => n.kind === "DnsRecord")!);
    const { resolveState } = await ctx.model();
    const { state, diagnostics } = resolveState(docs);
    if (!state) throw new HecateError("invalid", `${String(opts.fromFile)} does not resolve`, { diagnostics });
    const all = Object.values(compileDns(state).desired.rrsets);
    const zones = [...new Set(all.map((r) => r.zone))];
    zone = opts.zone !== undefined ? zoneFlag(opts) : zones[0] ?? "";
    if (zones.length > 1 && opts.zone === undefined) throw new UsageError(`the records span zones ${zones.join(", ")}: import one at a time with --zone`);
    sets = all.filter((r) => r.zone === zone);
  }
  const d = await dns(ctx);
  const dry = opts.dryRun === true;
  // Survey first, store the records, label last: a label without its record would make the next plan delete the rrset.
  const survey = await d.adopt(zone, sets, true);
  for (const s of survey.skipped) ctx.warn(`${fqdnOf(s.rrset)} ${s.rrset.type}: not adopted: ${s.why}`);
  const take = [...survey.adopted, ...survey.owned];
  let head: Revision | undefined;
  if (take.length) {
    head = await commitEdit(ctx, async (resources) => {
      // Record sets the desired state already has (a DnsRecord, or a route with dns) need no resource.
      const have = desiredRRSets(await ctx.model(), resources);
      for (const r of take) {
        const d = have[rrsetKey(r)];
        if (d && JSON.stringify(d.records) !== JSON.stringify(r.records)) ctx.warn(`${fqdnOf(r)} ${r.type}: adopted, but ${d.resource ?? "the desired state"} wants ${d.records.join(", ")}: the next apply changes it`);
      }
      const fresh = take.filter((r) => !have[rrsetKey(r)]);
      if (!fresh.length) return void ctx.say("every record set to adopt is already in the desired state"), undefined;
      const added = recordResources(fresh, resources);
      return {
        after: [...resources, ...added],
        changed: added.map((r) => `DnsRecord/${r.metadata.name}`),
        message: `import dns: ${added.length} record set(s) of ${zone}`,
        ...(dry ? { dryRun: true } : {}),
      };
    });
  }
  // Label with exactly the labels the desired state gives each rrset, so the next plan has nothing to change.
  const labelled = head ?? (await ctx.store().then((st) => st.head()));
  const desired = labelled ? desiredRRSets(await ctx.model(), labelled.resources) : {};
  const toAdopt = survey.adopted.map((r) => ({ ...r, labels: desired[rrsetKey(r)]?.labels ?? r.labels }));
  const report = dry ? survey : await d.adopt(zone, toAdopt, false);
  ctx.say(`${dry ? "would adopt" : "adopted"} ${report.adopted.length} record set(s) of ${zone} (labelled hecate.io/managed-by=hecate at Hetzner; no record changed)${survey.owned.length ? `, ${survey.owned.length} already Hecate's` : ""}, skipped ${survey.skipped.length}`);
  return survey.skipped.length ? 1 : 0;
}
