// What `hecate list certs` shows of each Certificate resource of the head: held dns-01 ones from
// the store, imported ones from their PEM (a store Secret), Caddy's own from what Caddy serves.
// Only public facts (hosts, not-after, source), so the server can answer it too.
import type { CertificateResource } from "../model/schema.js";
import type { Engine } from "../engine/engine.js";
import { getIssued, leafFacts } from "./issued.js";

const DAY = 86_400_000;

export interface CertRow {
  name: string;
  hosts: string;
  issuer: string;
  notAfter: string;
  daysLeft: number | null;
  source: string;
  /** Why the last renewal failed, when it did. */
  lastError?: string;
  /** Revoked at its CA (`hecate cert revoke`), not replaced yet. */
  revoked?: { at: string; reason: string };
}

/** One row per Certificate resource of the head, by name. */
export async function certificateRows(engine: Engine, now = Date.now()): Promise<CertRow[]> {
  const store = engine.store;
  const resources = (await store.head())?.resources ?? [];
  const rows: CertRow[] = [];
  const caddys: { row: CertRow; hosts: string[] }[] = [];
  const days = (notAfter: string) => Math.floor((Date.parse(notAfter) - now) / DAY);
  for (const r of resources.filter((x): x is CertificateResource => x.kind === "Certificate").sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
    const s = r.spec;
    const name = r.metadata.name;
    const base = { name, hosts: s.hosts.join(","), issuer: s.issuer === "acme" ? `acme ${s.acme?.challenge ?? "http-01"}` : s.issuer };
    if (s.issuer === "acme" && s.acme?.challenge === "dns-01") {
      const held = await getIssued(store, name);
      rows.push(
        held
          ? { ...base, notAfter: held.notAfter, daysLeft: days(held.notAfter), source: held.source, ...(held.lastError ? { lastError: held.lastError.message } : {}), ...(held.revoked ? { revoked: held.revoked } : {}) }
          : { ...base, notAfter: "-", daysLeft: null, source: `not obtained yet (hecate cert renew ${name})` },
      );
    } else if (s.issuer === "imported" && s.certificate) {
      try {
        const { ctx: pctx } = await engine.context();
        const f = leafFacts(await pctx.secrets.resolve(s.certificate));
        rows.push({ ...base, notAfter: f.notAfter, daysLeft: days(f.notAfter), source: s.certificate });
      } catch (e) {
        rows.push({ ...base, notAfter: "-", daysLeft: null, source: s.certificate, lastError: (e as Error).message });
      }
    } else {
      const row: CertRow = { ...base, notAfter: "-", daysLeft: null, source: "Caddy (obtains and renews it itself)" };
      rows.push(row);
      caddys.push({ row, hosts: s.hosts });
    }
  }
  await readFromCaddy(engine, caddys, days);
  return rows;
}

/**
 * Caddy's own certificates: the not-after each node serves for every host (Caddy holds one
 * certificate per host; the earliest counts), or, when a host is served by no node, why not.
 */
async function readFromCaddy(engine: Engine, caddys: { row: CertRow; hosts: string[] }[], days: (notAfter: string) => number): Promise<void> {
  if (!caddys.length) return;
  const { httpsTargets, servedCertificate } = await import("./served.js");
  const { settings } = (await engine.context()).state;
  const targets = httpsTargets(settings.caddy.admin, settings.caddy.httpsPort);
  if (!targets.length) return;
  await Promise.all(
    caddys.map(async ({ row, hosts }) => {
      const served = await Promise.all(hosts.map((h) => servedCertificate(targets, h)));
      const misses = [...new Set(served.flatMap((x) => x.misses))];
      if (served.some((x) => !x.notAfter)) {
        row.source += ` - not read from Caddy: ${misses.join("; ")}`;
        return;
      }
      row.notAfter = served.map((x) => x.notAfter!).sort()[0]!;
      row.daysLeft = days(row.notAfter);
      row.source = `served by Caddy (${[...new Set(served.flatMap((x) => x.nodes))].join(", ")}), which renews it itself${misses.length ? `; not by ${misses.join("; ")}` : ""}`;
    }),
  );
}
