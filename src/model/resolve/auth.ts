// Auth policies: authentik forward-auth settings with defaults, cookie domain and outpost checked.
import type { ResolvedAuthPolicy } from "../resolved.js";
import type { AuthPolicyResource } from "../schema.js";
import { isPublicSuffix, normalizeHost } from "../net.js";
import type { ResolveCtx } from "./context.js";
import { sortRecord } from "./order.js";

export function resolveAuthPolicies(ctx: ResolveCtx): Map<string, ResolvedAuthPolicy> {
  const out = new Map<string, ResolvedAuthPolicy>();
  for (const e of ctx.catalog.list<AuthPolicyResource>("AuthPolicy")) {
    const s = e.resource.spec;
    const name = e.resource.metadata.name;
    const mode = s.mode ?? "forward_single";
    let cookieDomain: string | undefined;
    if (s.cookieDomain !== undefined) {
      const h = normalizeHost(s.cookieDomain.replace(/^\./, ""), { wildcard: false });
      if (!h.ok) ctx.rep.error("domain", `spec.cookieDomain: ${JSON.stringify(s.cookieDomain)} ${h.reason}`, e, ["spec", "cookieDomain"]);
      else if (isPublicSuffix(h.value))
        ctx.rep.error(
          "cookie-domain",
          `spec.cookieDomain: "${h.value}" is a public suffix; browsers refuse cookies for it (and it would be shared with every site under it). Use your registered domain, e.g. "example.${h.value}"`,
          e,
          ["spec", "cookieDomain"],
        );
      else cookieDomain = h.value;
      if (mode === "forward_single") ctx.rep.warn("cookie-domain", `spec.cookieDomain is only used in forward_domain mode; mode is forward_single`, e, ["spec", "cookieDomain"]);
    }
    if (mode === "forward_domain" && s.cookieDomain === undefined) {
      ctx.rep.error("cookie-domain", `AuthPolicy "${name}" uses mode forward_domain, which needs spec.cookieDomain (the parent domain of the protected hosts, e.g. "example.com")`, e, ["spec", "mode"]);
    }
    const outpost = s.outpost ?? ctx.settings.authentik?.outpost;
    if (!outpost) {
      ctx.rep.error("outpost", `AuthPolicy "${name}": no authentik outpost to ask; set spec.outpost or spec.authentik.url in Settings`, e, ["spec"]);
    }
    if ((s.groups ?? []).length === 0 && (s.users ?? []).length === 0 && !s.metadata) {
      ctx.rep.warn("auth-open", `AuthPolicy "${name}" names no groups or users: every authentik user may pass`, e, ["spec"]);
    }
    out.set(name, {
      name,
      mode,
      ...(cookieDomain && mode === "forward_domain" ? { cookieDomain } : {}),
      flow: s.flow ?? "default-provider-authorization-implicit-consent",
      groups: [...(s.groups ?? [])].sort(),
      users: [...(s.users ?? [])].sort(),
      requireMfa: s.requireMfa ?? false,
      sessionDuration: s.sessionDuration ?? "24h",
      allowedMethods: [...(s.allowedMethods ?? [])].sort(),
      metadata: { required: [...(s.metadata?.required ?? [])].sort(), equals: sortRecord(s.metadata?.equals ?? {}) },
      outpost: outpost ?? "",
    });
  }
  return out;
}
