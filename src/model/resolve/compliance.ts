// Compliance: CompliancePolicy rules applied to the resolved routes, with dated exemptions.
import type { ResolvedRoute } from "../resolved.js";
import type { CompliancePolicyResource } from "../schema.js";
import type { ResolveCtx } from "./context.js";

export function checkCompliance(ctx: ResolveCtx, routes: readonly ResolvedRoute[], now: Date): void {
  const today = now.toISOString().slice(0, 10);
  for (const pe of ctx.catalog.list<CompliancePolicyResource>("CompliancePolicy")) {
    const p = pe.resource.spec;
    const pname = pe.resource.metadata.name;
    const severity = p.severity ?? "error";
    const exemptions = p.exemptions ?? [];
    exemptions.forEach((x, i) => {
      if (x.expires < today) {
        ctx.rep.error("exemption-expired", `exemption of route "${x.route}" (${x.reason}) expired on ${x.expires}; renew it with a new date or fix the route`, pe, ["spec", "exemptions", i, "expires"]);
      } else if (isNaN(Date.parse(`${x.expires}T00:00:00Z`))) {
        ctx.rep.error("schema", `spec.exemptions[${i}].expires: ${x.expires} is not a calendar date`, pe, ["spec", "exemptions", i, "expires"]);
      }
      if (!ctx.catalog.get("Route", x.route)) ctx.rep.warn("dangling-ref", `spec.exemptions[${i}].route: route "${x.route}" does not exist`, pe, ["spec", "exemptions", i, "route"]);
    });
    for (const r of routes) {
      if (!Object.entries(p.selector ?? {}).every(([k, v]) => r.labels[k] === v)) continue;
      const re = ctx.catalog.get("Route", r.name);
      for (const rule of p.rules) {
        const exempt = exemptions.some((x) => x.route === r.name && x.expires >= today && (!x.rules || x.rules.includes(rule)));
        if (exempt) continue;
        const failure = complianceFailure(rule, r);
        if (failure) {
          ctx.rep.report(severity, "compliance", `route "${r.name}" breaks rule ${rule} of CompliancePolicy "${pname}": ${failure}`, re, ["metadata", "name"]);
        }
      }
    }
  }
}

/** Why a route breaks a rule, or undefined when it keeps it. */
function complianceFailure(rule: string, r: ResolvedRoute): string | undefined {
  switch (rule) {
    case "require-auth":
      return r.auth ? undefined : "it is served without authentication (set spec.authPolicy)";
    case "require-https":
      return r.tls.mode !== "off" && r.tls.forceHttps ? undefined : "it is reachable over plain HTTP (tls.mode off or forceHttps false)";
    case "require-hsts":
      return r.tls.hsts ? undefined : "it sends no HSTS header (set spec.tls.hsts: true)";
    case "min-tls-1.2":
      return r.tls.mode !== "off" ? undefined : "it has no TLS at all (tls.mode off)";
    case "min-tls-1.3":
      return r.tls.mode !== "off" && r.tls.minVersion === "1.3" ? undefined : 'it accepts TLS below 1.3 (set spec.tls.minVersion: "1.3")';
    case "no-insecure-upstream-tls":
      return r.pool?.tls?.insecureSkipVerify ? "it skips upstream certificate verification (upstreamTls.insecureSkipVerify)" : undefined;
    case "require-security-headers":
      return r.middleware.some((m) => m.type === "security-headers") ? undefined : "it has no security-headers middleware";
    case "require-mfa":
      return r.auth?.requireMfa ? undefined : r.auth ? `its AuthPolicy "${r.auth.name}" does not set requireMfa: true` : "it has no authentication at all";
    default:
      return undefined;
  }
}
