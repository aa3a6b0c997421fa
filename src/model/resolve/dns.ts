// DNS: DnsRecord resources and the records routes ask for, checked per type and for clashes at one name.
import { formatPath } from "../check.js";
import { where, type Entry, type Reporter } from "../ctx.js";
import type { PathSeg } from "../load.js";
import { isIPv4, isIPv6, normalizeHost, zoneOf } from "../net.js";
import type { ResolvedDnsRecord, ResolvedRoute } from "../resolved.js";
import type { DnsRecordResource } from "../schema.js";
import type { ResolveCtx } from "./context.js";
import { cmp } from "./order.js";

export function resolveDns(ctx: ResolveCtx, routes: readonly ResolvedRoute[]): ResolvedDnsRecord[] {
  const recs: { rec: ResolvedDnsRecord; entry?: Entry; path: PathSeg[] }[] = [];
  for (const e of ctx.catalog.list<DnsRecordResource>("DnsRecord")) {
    const s = e.resource.spec;
    const h = normalizeHost(s.name, { wildcard: true, service: true });
    if (!h.ok) {
      ctx.rep.error("domain", `spec.name: ${JSON.stringify(s.name)} ${h.reason}`, e, ["spec", "name"]);
      continue;
    }
    if (!zoneOf(h.value)) {
      ctx.rep.error("domain", `spec.name: ${JSON.stringify(s.name)} is not under a registrable domain (by the Public Suffix List), so no DNS zone can hold it`, e, ["spec", "name"]);
      continue;
    }
    s.values.forEach((v, i) => {
      const bad = (why: string) => ctx.rep.error("dns", `spec.values[${i}]: ${JSON.stringify(v)} ${why}`, e, ["spec", "values", i]);
      if (s.type === "A" && !isIPv4(v)) bad("is not an IPv4 address (type A)");
      if (s.type === "AAAA" && !isIPv6(v)) bad("is not an IPv6 address (type AAAA)");
      if ((s.type === "CNAME" || s.type === "NS" || s.type === "PTR") && !normalizeHost(v, { wildcard: false }).ok) bad(`is not a host name (type ${s.type})`);
      if (s.type === "MX" && !/^\d+ \S+$/.test(v)) bad('is not "PRIORITY HOST" (type MX), e.g. "10 mail.example.com"');
      if (s.type === "SRV" && !/^\d+ \d+ \d+ \S+$/.test(v)) bad('is not "PRIORITY WEIGHT PORT TARGET" (type SRV), e.g. "10 5 5060 sip.example.com"');
      if (s.type === "CAA" && !/^\d+ [a-z0-9]+ \S/i.test(v)) bad('is not "FLAGS TAG VALUE" (type CAA), e.g. \'0 issue "letsencrypt.org"\'');
    });
    if (s.type === "CNAME" && s.values.length > 1) ctx.rep.error("dns", `a CNAME has exactly one value; got ${s.values.length}`, e, ["spec", "values"]);
    recs.push({ rec: { name: e.resource.metadata.name, fqdn: h.value, type: s.type, values: [...s.values].sort(), ttl: s.ttl ?? ctx.settings.dns.defaultTtl }, entry: e, path: ["spec", "name"] });
  }
  for (const r of routes) {
    if (!r.dns) continue;
    const type = isIPv4(r.dns.target) ? "A" : isIPv6(r.dns.target) ? "AAAA" : "CNAME";
    const e = ctx.catalog.get("Route", r.name);
    for (const host of r.hosts) {
      if (!zoneOf(host)) {
        const msg = `spec.dns: ${host} is not under a registrable domain (by the Public Suffix List), so no DNS zone can hold it; set dns.manage: false for this route`;
        if (e) ctx.rep.error("domain", msg, e, ["spec", "dns"]);
        else ctx.rep.error("domain", `Route/${r.name}: ${msg}`);
        continue;
      }
      recs.push({ rec: { name: `route:${r.name}`, fqdn: host, type, values: [r.dns.target], ttl: r.dns.ttl }, ...(e ? { entry: e } : {}), path: ["spec", "dns"] });
    }
  }
  const byFqdn = new Map<string, typeof recs>();
  for (const x of recs) {
    const l = byFqdn.get(x.rec.fqdn) ?? [];
    for (const o of l) {
      const sameType = o.rec.type === x.rec.type;
      const cname = o.rec.type === "CNAME" || x.rec.type === "CNAME";
      if (sameType || cname) {
        const what = sameType ? `a second ${x.rec.type} record set` : "a CNAME next to other records (not allowed at the same name)";
        const msg = `DNS ${x.rec.fqdn}: ${what}: "${x.rec.name}" and "${o.rec.name}"${o.entry ? ` (${where(o.entry, o.path)})` : ""}`;
        if (x.entry) ctx.rep.error("dns-conflict", msg, x.entry, x.path);
        else ctx.rep.error("dns-conflict", msg);
      }
    }
    l.push(x);
    byFqdn.set(x.rec.fqdn, l);
  }
  return recs.map((x) => x.rec).sort((a, b) => cmp(a.fqdn, b.fqdn) || cmp(a.type, b.type) || cmp(a.name, b.name));
}

/** A DNS target (Settings or a route): an IP address or a host name, normalized. */
export function checkDnsTarget(rep: Reporter, e: Entry, path: PathSeg[], target: string): { value: string } | undefined {
  if (isIPv4(target) || isIPv6(target)) return { value: target };
  const h = normalizeHost(target, { wildcard: false });
  if (!h.ok) {
    rep.error("dns", `${formatPath(path)}: ${JSON.stringify(target)} is neither an IP address nor a valid host name (${h.reason})`, e, path);
    return undefined;
  }
  return { value: h.value };
}
