// Checks across routes: one route per host+path, surprising wildcard precedence, and cookie domains
// that cover every host of a forward_domain policy.
import { where } from "../ctx.js";
import { isUnder } from "../net.js";
import type { ResolvedAuthPolicy } from "../resolved.js";
import type { ResolveCtx } from "./context.js";
import type { RouteUnit } from "./routes.js";

const ALL_PATHS = [{ p: "", j: -1 }] as const;

/** Same host+path on two routes, and wildcard precedence that may surprise. */
export function checkHostCollisions(ctx: ResolveCtx, units: readonly RouteUnit[]): void {
  const served = new Map<string, { u: RouteUnit; i: number; pathIdx?: number }>();
  // "/" and "/api/" mean the same prefixes as "" (all paths) and "/api".
  const normPath = (p: string) => p.replace(/\/+$/, "");
  // Runs over every host of 10,000 routes on each validation: nothing is allocated per host that
  // only a finding needs.
  for (const u of units) {
    const paths = u.spec.paths && u.spec.paths.length > 0 ? u.spec.paths.map((p, j) => ({ p: normPath(p), j })) : ALL_PATHS;
    for (const { host, i } of u.hosts) {
      for (const { p, j } of paths) {
        const key = `${host} ${p}`;
        const prev = served.get(key);
        if (!prev) {
          served.set(key, { u, i });
          continue;
        }
        const here = j >= 0 ? ["spec", "paths", j] : ["spec", "hosts", i];
        if (prev.u !== u) {
          const what = `${host}${p ? ` path ${p}` : " (all paths)"}`;
          const kindWord = host.startsWith("*.") ? "overlapping wildcard" : "duplicate host+path";
          ctx.rep.error(
            host.startsWith("*.") ? "overlapping-wildcard" : "duplicate-host",
            `${kindWord}: ${what} is served by both route "${prev.u.entry.resource.metadata.name}" (${where(prev.u.entry, ["spec", "hosts", prev.i])}) and route "${u.entry.resource.metadata.name}" (${where(u.entry, ["spec", "hosts", i])}); a host+path may belong to one route only`,
            u.entry,
            here,
          );
        } else if (j >= 0) {
          ctx.rep.warn("duplicate-path", `spec.paths[${j}]: ${p} is listed twice`, u.entry, here);
        }
      }
    }
  }
  // Exact host served only on some paths while a wildcard route takes the rest. (A host served
  // on all paths is the key "<host> ".)
  const allPaths = { has: (host: string) => served.has(`${host} `) };
  for (const u of units) {
    if (!u.spec.paths || u.spec.paths.length === 0) continue;
    for (const { host, i } of u.hosts) {
      if (host.startsWith("*.") || allPaths.has(host)) continue;
      const wild = `*.${host.split(".").slice(1).join(".")}`;
      if (!allPaths.has(wild)) continue;
      const w = served.get(`${wild} `)!;
      ctx.rep.warn(
        "wildcard-precedence",
        `${host} is served by route "${u.entry.resource.metadata.name}" only on ${u.spec.paths.join(", ")}; its other paths fall through to wildcard route "${w.u.entry.resource.metadata.name}" (${wild}, ${where(w.u.entry, ["spec", "hosts", w.i])})`,
        u.entry,
        ["spec", "hosts", i],
      );
    }
  }
}

/** forward_domain cookie domains must be a parent of every host that uses the policy. */
export function checkCookieDomains(ctx: ResolveCtx, units: readonly RouteUnit[], policies: Map<string, ResolvedAuthPolicy>): void {
  for (const u of units) {
    const p = u.spec.authPolicy ? policies.get(u.spec.authPolicy) : undefined;
    if (!p?.cookieDomain) continue;
    for (const { host, i } of u.hosts) {
      if (!isUnder(host, p.cookieDomain)) {
        ctx.rep.error(
          "cookie-domain",
          `spec.hosts[${i}]: ${host} is not under cookie domain "${p.cookieDomain}" of AuthPolicy "${p.name}"; the browser would never send the session cookie (a redirect loop)`,
          u.entry,
          ["spec", "hosts", i],
        );
      }
    }
  }
}
