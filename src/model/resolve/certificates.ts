// Certificates: ACME or imported, with the issuer's own fields and the Caddy modules they need checked.
import type { ResolvedCertificate } from "../resolved.js";
import type { CertificateResource } from "../schema.js";
import type { ResolveCtx } from "./context.js";
import { hostList } from "./hosts.js";

export function resolveCertificates(ctx: ResolveCtx): Map<string, ResolvedCertificate> {
  const out = new Map<string, ResolvedCertificate>();
  for (const e of ctx.catalog.list<CertificateResource>("Certificate")) {
    const s = e.resource.spec;
    const name = e.resource.metadata.name;
    const hosts = hostList(ctx.rep, e, s.hosts).map((h) => h.host);
    const c: ResolvedCertificate = { name, hosts: [...new Set(hosts)].sort(), issuer: s.issuer };
    if (s.issuer === "imported") {
      if (!s.certificate) ctx.rep.error("certificate", `Certificate "${name}" has issuer imported but no spec.certificate (a secret ref to the PEM chain)`, e, ["spec", "issuer"]);
      if (!s.key) ctx.rep.error("certificate", `Certificate "${name}" has issuer imported but no spec.key (a secret ref to the PEM key)`, e, ["spec", "issuer"]);
      if (s.acme) ctx.rep.error("certificate", `spec.acme is only for issuer acme`, e, ["spec", "acme"]);
      if (s.certificate) c.certificate = s.certificate;
      if (s.key) c.key = s.key;
    } else {
      if (s.certificate || s.key) ctx.rep.error("certificate", `spec.certificate and spec.key are only for issuer imported (issuer is ${s.issuer})`, e, ["spec", s.certificate ? "certificate" : "key"]);
      if (s.issuer === "acme") {
        const challenge = s.acme?.challenge ?? "http-01";
        c.acme = { challenge };
        const email = s.acme?.email ?? ctx.settings.acme.email;
        const ca = s.acme?.ca ?? ctx.settings.acme.ca;
        if (email) c.acme.email = email;
        if (ca) c.acme.ca = ca;
        // dns-01 is Hecate's own work (Debian's Caddy has no DNS modules): through the DNS provider.
        if (challenge === "dns-01" && !ctx.settings.hetzner) {
          ctx.rep.error("certificate", `spec.acme.challenge dns-01 is done by Hecate through its DNS provider, which needs Settings spec.hetzner (the zone's API token)`, e, ["spec", "acme", "challenge"]);
        }
        if (challenge !== "dns-01" && hosts.some((h) => h.startsWith("*."))) {
          ctx.rep.error("certificate", `wildcard certificates need the dns-01 challenge; set spec.acme.challenge: dns-01`, e, ["spec", "hosts"]);
        }
      } else if (s.acme) ctx.rep.error("certificate", `spec.acme is only for issuer acme`, e, ["spec", "acme"]);
    }
    out.set(name, c);
  }
  return out;
}
