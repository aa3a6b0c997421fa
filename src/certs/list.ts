// What `hecate list certs` shows of each Certificate resource of the head: held dns-01 ones from
// the store, imported ones from their PEM (a store Secret), the rest as Caddy's. Only public facts
// (hosts, not-after, source), so the server can answer it too.
import type { CertificateResource } from "../model/schema.js";
import type { Engine } from "../engine/engine.js";
import { getIssued, leafFacts } from "./issued.js";

export interface CertRow {
  name: string;
  hosts: string;
  issuer: string;
  notAfter: string;
  daysLeft: number | null;
  source: string;
  /** Why the last renewal failed, when it did. */
  lastError?: string;
}

export async function certificateRows(engine: Engine, now = Date.now()): Promise<CertRow[]> {
  const store = engine.store;
  const resources = (await store.head())?.resources ?? [];
  const rows: CertRow[] = [];
  const days = (notAfter: string) => Math.floor((Date.parse(notAfter) - now) / 86_400_000);
  for (const r of resources.filter((x): x is CertificateResource => x.kind === "Certificate").sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
    const s = r.spec;
    const name = r.metadata.name;
    const base = { name, hosts: s.hosts.join(","), issuer: s.issuer === "acme" ? `acme ${s.acme?.challenge ?? "http-01"}` : s.issuer };
    if (s.issuer === "acme" && s.acme?.challenge === "dns-01") {
      const held = await getIssued(store, name);
      rows.push(held ? { ...base, notAfter: held.notAfter, daysLeft: days(held.notAfter), source: held.source, ...(held.lastError ? { lastError: held.lastError.message } : {}) } : { ...base, notAfter: "-", daysLeft: null, source: `not obtained yet (hecate cert renew ${name})` });
    } else if (s.issuer === "imported" && s.certificate) {
      try {
        const { ctx } = await engine.context();
        const f = leafFacts(await ctx.secrets.resolve(s.certificate));
        rows.push({ ...base, notAfter: f.notAfter, daysLeft: days(f.notAfter), source: s.certificate });
      } catch (e) {
        rows.push({ ...base, notAfter: "-", daysLeft: null, source: s.certificate, lastError: (e as Error).message });
      }
    } else rows.push({ ...base, notAfter: "-", daysLeft: null, source: "Caddy (obtains and renews it itself)" });
  }
  return rows;
}
