// The certificates Hecate obtains itself (dns-01: Debian's Caddy has no DNS modules) as a system
// of the provider contract: its actual state is what the store holds (src/certs/issued.ts), a
// change is one ACME order through the DNS provider, undo puts the previously held certificate
// back. The plan shows what is obtained and why; apply obtains it before Caddy loads it.
import { HecateError, type Diagnostic } from "../../diag.js";
import { dropIssued, generationOf, getIssued, keepIssued, keyRef, listIssued, type IssuedCertificate } from "../../certs/issued.js";
import { obtainedByHecate, type ObtainReason, type ResolvedCertificate, type ResolvedSettings, type ResolvedState } from "../../model/resolved.js";
import { fieldChanges } from "../differ.js";
import { changeRef, type ApplyContext, type Batch, type Change, type ChangeRecord, type Provider, type ProviderContext } from "../provider.js";

/** One certificate as the desired state asks for it: its hosts and the generation Caddy is to serve. */
export interface CertDesired {
  name: string;
  hosts: string[];
  acme: { ca?: string; email?: string };
  /**
   * The held generation, or the next one when this apply obtains it. Absent when compiled without
   * the store's view (a restore target, `hecate render`): any held certificate will do.
   */
  generation?: number;
  /** Why this apply obtains it; absent: the held one stays. */
  obtain?: ObtainReason;
}

/** A held certificate's public facts (no chain, no key: what plans and journals may show). */
export interface CertHeld {
  name: string;
  hosts: string[];
  generation: number;
  source: string;
  notBefore: string;
  notAfter: string;
  fingerprint: string;
}

export interface CertsDesired {
  certificates: CertDesired[];
}
export interface CertsActual {
  certificates: CertHeld[];
}

/** What undo needs: the certificate held before (with its key: the record is sealed), or none. */
interface CertUndo {
  name: string;
  previous: { certificate: IssuedCertificate; key: string } | null;
}

const heldFacts = (c: IssuedCertificate): CertHeld => ({
  name: c.name,
  hosts: [...c.hosts].sort(),
  generation: generationOf(c),
  source: c.source,
  notBefore: c.notBefore,
  notAfter: c.notAfter,
  fingerprint: c.fingerprint,
});

function storeOf(ctx: ProviderContext): NonNullable<ProviderContext["store"]> {
  if (!ctx.store) throw new HecateError("internal", "the certs provider needs the store in its context");
  return ctx.store;
}

function note(d: CertDesired, held: CertHeld | undefined): string {
  if (d.obtain === "hosts") return `obtain by dns-01 again, hosts changed: ${held?.hosts.join(", ")} -> ${d.hosts.join(", ")}`;
  if (d.obtain === "revoked") return `revoked at its CA: obtain by dns-01 again: ${d.hosts.join(", ")}`;
  if (d.obtain === "due") return `due for renewal: two thirds of its lifetime passed, valid until ${held?.notAfter}`;
  return `obtain by dns-01: ${d.hosts.join(", ")}`;
}

export function compileCerts(state: ResolvedState): CertsDesired {
  const certificates = state.certificates.filter(obtainedByHecate).map((c) => ({
    name: c.name,
    hosts: [...c.hosts].sort(),
    acme: { ...(c.acme?.ca ? { ca: c.acme.ca } : {}), ...(c.acme?.email ? { email: c.acme.email } : {}) },
    // core.refreshIssued fills `issued` in for every plan; without it there is nothing to ask.
    ...(c.issued ? { generation: c.issued.generation } : {}),
    ...(c.issued?.obtain ? { obtain: c.issued.obtain } : {}),
  }));
  return { certificates: certificates.sort((a, b) => (a.name < b.name ? -1 : 1)) };
}

/** Changes: every desired certificate whose generation is not the held one. Held certificates no Certificate asks for are left alone. */
export function diffCerts(desired: CertsDesired, actual: CertsActual): Change[] {
  const held = new Map(actual.certificates.map((c) => [c.name, c]));
  const out: Change[] = [];
  for (const d of desired.certificates) {
    const h = held.get(d.name);
    if (d.generation === undefined || (h?.generation ?? 0) === d.generation) continue;
    const before = h ? { hosts: h.hosts, notAfter: h.notAfter, generation: h.generation } : undefined;
    const after = { hosts: d.hosts, generation: d.generation };
    out.push({
      system: "certs",
      action: h ? "update" : "create",
      kind: "certificate",
      id: d.name,
      resource: `Certificate/${d.name}`,
      note: note(d, h),
      ...(before ? { before } : {}),
      after,
      ...(before ? { fields: fieldChanges({ hosts: before.hosts, generation: before.generation }, after) } : {}),
    });
  }
  return out;
}

export function createCertsProvider(settings: ResolvedSettings): Provider<CertsDesired, CertsActual> {
  const read = async (ctx: ProviderContext): Promise<CertsActual> => ({
    certificates: (await listIssued(storeOf(ctx).store)).map(heldFacts).sort((a, b) => (a.name < b.name ? -1 : 1)),
  });

  return {
    system: "certs",
    compile: (state) => ({ desired: compileCerts(state), diagnostics: [] }),
    read,
    diff: diffCerts,

    async apply(batch: Batch<CertsDesired, CertsActual>, ctx: ApplyContext): Promise<void> {
      // Restoring by obtaining again would be a new certificate, not the old one: undo puts that
      // back, and a restore target (compiled without the store's view) asks for no generation.
      if (batch.phase === "all") throw new HecateError("certificate-restore", `held certificates are put back by undo, never obtained again to restore (${batch.changes.map((c) => c.id).join(", ")})`);
      const { store, actor, fence } = storeOf(ctx);
      // acme-client is loaded only when a certificate is obtained.
      const { obtainCertificate } = await import("../../certs/renew.js");
      for (const change of batch.changes) {
        const d = batch.desired.certificates.find((c) => c.name === change.id);
        if (!d) throw new HecateError("internal", `certificate ${change.id} is not in the desired state`);
        const before = await getIssued(store, d.name);
        const key = before ? await store.getSecret(keyRef(d.name)) : undefined;
        const cert: ResolvedCertificate = { name: d.name, hosts: d.hosts, issuer: "acme", acme: { challenge: "dns-01", ...d.acme } };
        const res = await obtainCertificate(store, settings, cert, ctx, { actor, reason: d.obtain ?? "manual", ...(fence ? { fence } : {}), ...(ctx.log ? { log: ctx.log } : {}) });
        const undo: CertUndo = { name: d.name, previous: before && key !== undefined ? { certificate: before, key } : null };
        await ctx.report({
          change: changeRef(change),
          undo,
          // The previous key travels in the undo data: the engine keeps it sealed.
          sensitive: true,
          detail: { generation: res.certificate.generation, notAfter: res.certificate.notAfter, fingerprint: res.certificate.fingerprint },
        });
      }
    },

    async undo(record: ChangeRecord, ctx: ProviderContext): Promise<void> {
      const { store, fence } = storeOf(ctx);
      const u = record.undo as CertUndo;
      if (u.previous) await keepIssued(store, u.previous.certificate, u.previous.key, fence);
      else await dropIssued(store, u.name, fence);
    },

    async verify(desired: CertsDesired, _records: readonly ChangeRecord[], ctx: ProviderContext): Promise<Diagnostic[]> {
      const held = new Map((await read(ctx)).certificates.map((c) => [c.name, c]));
      const out: Diagnostic[] = [];
      for (const d of desired.certificates) {
        const h = held.get(d.name);
        if (d.generation === undefined || (d.generation === 0 && !h)) continue;
        if (!h || h.generation !== d.generation || h.hosts.join(",") !== d.hosts.join(",")) {
          out.push({ severity: "error", code: "certificate-verify", message: `certificate ${d.name}: the store holds ${h ? `generation ${h.generation} for ${h.hosts.join(", ")}` : "none"}, not generation ${d.generation} for ${d.hosts.join(", ")}`, address: `Certificate/${d.name}` });
        }
      }
      return out;
    },

    describe: (actual) => actual.certificates.map((c) => `${c.name}: ${c.hosts.join(", ")} until ${c.notAfter} (generation ${c.generation}, ${c.source})`),
  };
}
