// Routes: presets merged in, then references (upstream, middleware, auth policy, certificate)
// followed and TLS, headers and DNS resolved into what the Caddy compiler consumes.
import { suggest } from "../load.js";
import { parseDuration } from "../net.js";
import { deepMerge, ROUTE_PRESETS, routePreset, type RoutePreset } from "../presets.js";
import type { ResolvedAuthPolicy, ResolvedCertificate, ResolvedMiddleware, ResolvedPool, ResolvedRoute, ResolvedSignIn } from "../resolved.js";
import type { RouteResource, UpstreamResource } from "../schema.js";
import { checkHeaderOps, checkIpFilter } from "../validate.js";
import type { Entry } from "../ctx.js";
import { keepClean, type ResolveCtx } from "./context.js";
import type { ListMemo } from "../resolve.js";
import { checkDnsTarget } from "./dns.js";
import { coversHost, hostList } from "./hosts.js";
import { RATE_LIMIT_MODULE } from "./middleware.js";
import { headerOps, hint, sortRecord } from "./order.js";
import { buildPool } from "./pools.js";
import { resolveDelivery } from "./delivery.js";

type RouteSpecT = RouteResource["spec"];

/** A route with its preset merged in, kept beside the entry so cross-route checks can point at the source. */
export interface RouteUnit {
  entry: Entry<RouteResource>;
  spec: RouteSpecT;
  preset?: RoutePreset;
  /** Normalized hosts with the index they were written at. */
  hosts: { host: string; i: number }[];
}

/** The resolved kinds a route may refer to, by name. */
export interface RouteRefs {
  middleware: Map<string, ResolvedMiddleware>;
  authPolicies: Map<string, ResolvedAuthPolicy>;
  upstreams: Map<string, ResolvedPool>;
  certificates: Map<string, ResolvedCertificate>;
}

/** `memo`: the parts of units that reported nothing before, by route (a unit depends on its route alone). */
export function routeUnits(ctx: ResolveCtx, memo?: ListMemo<Omit<RouteUnit, "entry">>): RouteUnit[] {
  const list = ctx.catalog.list<RouteResource>("Route");
  const units = list.map((entry, i) => {
    const seen = memo?.get(i, entry.resource);
    // Spelled out, not spread: this runs for each of 10,000 routes on every pass.
    if (seen) return seen.preset ? { entry, spec: seen.spec, hosts: seen.hosts, preset: seen.preset } : { entry, spec: seen.spec, hosts: seen.hosts };
    return keepClean<RouteUnit>(ctx.rep, entry.resource, memo && ((r, { entry: _, ...parts }) => memo.keep(i, r, parts)), () => routeUnit(ctx, entry));
  });
  memo?.settle(list.length);
  return units;
}

function routeUnit(ctx: ResolveCtx, entry: Entry<RouteResource>): RouteUnit {
  let spec = entry.resource.spec;
  let preset: RoutePreset | undefined;
  if (spec.preset !== undefined) {
    preset = routePreset(spec.preset);
    if (!preset) {
      const names = listRoutePresetNames();
      const close = suggest(spec.preset, names);
      ctx.rep.error("preset", `spec.preset: unknown route preset ${JSON.stringify(spec.preset)}${close ? ` (did you mean "${close}"?)` : ""}; known: ${names.join(", ")}`, entry, ["spec", "preset"]);
    } else {
      spec = deepMerge(preset.spec as RouteSpecT, spec);
    }
  }
  return { entry, spec, ...(preset ? { preset } : {}), hosts: hostList(ctx.rep, entry, spec.hosts) };
}

export function resolveRoute(ctx: ResolveCtx, u: RouteUnit, refs: RouteRefs): ResolvedRoute | undefined {
  const { middleware, authPolicies, upstreams, certificates } = refs;
  const e = u.entry;
  const s = u.spec;
  const name = e.resource.metadata.name;
  const rep = ctx.rep;

  // where requests go
  let pool: ResolvedPool | undefined;
  if (s.upstream !== undefined && s.upstreams !== undefined) {
    rep.error("upstream", `route "${name}" has both spec.upstream (a named Upstream) and inline spec.upstreams; use one`, e, ["spec", "upstream"], { key: true });
  } else if (s.upstream !== undefined) {
    const up = ctx.catalog.get<UpstreamResource>("Upstream", s.upstream);
    if (!up) rep.error("dangling-ref", `spec.upstream: Upstream "${s.upstream}" does not exist (referenced by route "${name}")${hint(s.upstream, ctx.catalog.names("Upstream"))}`, e, ["spec", "upstream"]);
    else pool = upstreams.get(s.upstream);
    for (const k of ["loadBalancing", "healthCheck", "timeouts", "upstreamTls"] as const) {
      if (e.resource.spec[k] !== undefined) rep.error("upstream", `spec.${k}: belongs on Upstream "${s.upstream}" when the route uses a named upstream`, e, ["spec", k], { key: true });
    }
  } else if (s.upstreams !== undefined) {
    pool = buildPool(ctx.rep, e, s, u.preset?.port);
  } else if (!s.caddyRoutes) {
    rep.error("upstream", `route "${name}" has no upstream: set spec.upstreams (inline) or spec.upstream (the name of an Upstream)`, e, ["spec"], { key: true });
  }

  // middleware
  const mws: ResolvedMiddleware[] = [];
  (s.middleware ?? []).forEach((m, i) => {
    const mw = middleware.get(m);
    if (!mw) {
      rep.error("dangling-ref", `spec.middleware[${i}]: Middleware "${m}" does not exist (referenced by route "${name}")${hint(m, ctx.catalog.names("Middleware"))}`, e, ["spec", "middleware", i]);
      return;
    }
    if (mw.type === "rate-limit" && !ctx.settings.caddy.modules.includes(RATE_LIMIT_MODULE)) {
      rep.error(
        "caddy-module",
        `spec.middleware[${i}]: Middleware "${m}" is a rate limit, which needs the Caddy module "${RATE_LIMIT_MODULE}"; Settings spec.caddy.modules does not list it (Debian's Caddy 2.6.2 does not have it). Build Caddy with github.com/mholt/caddy-ratelimit and list the module, or drop the middleware`,
        e,
        ["spec", "middleware", i],
      );
    }
    mws.push(mw);
  });

  // authentication
  let auth: ResolvedAuthPolicy | undefined;
  if (s.authPolicy !== undefined) {
    auth = authPolicies.get(s.authPolicy);
    if (!auth) rep.error("dangling-ref", `spec.authPolicy: AuthPolicy "${s.authPolicy}" does not exist (referenced by route "${name}")${hint(s.authPolicy, ctx.catalog.names("AuthPolicy"))}`, e, ["spec", "authPolicy"]);
    if (e.resource.spec.public === true) rep.error("auth", `route "${name}" sets both authPolicy and public: true; a route is either protected or public`, e, ["spec", "public"]);
  } else if (s.public !== true) {
    if (u.preset?.sso) {
      rep.error("auth", `route "${name}" uses preset ${u.preset.name}, which expects sign-in: set spec.authPolicy (or public: true to serve it without authentication)`, e, ["spec", "preset"]);
    } else {
      rep.warn("no-auth", `route "${name}" has neither authPolicy nor public: true, so it is served without authentication; set one to say which you mean`, e, ["spec"], { key: true });
    }
  }
  if ((s.ssoBypass ?? []).length > 0 && !s.authPolicy && e.resource.spec.ssoBypass) {
    rep.warn("sso-bypass", `spec.ssoBypass has no effect without an authPolicy`, e, ["spec", "ssoBypass"]);
  }
  const signIn = s.authPolicy !== undefined ? resolveSignIn(ctx, u) : undefined;

  // headers
  checkHeaderOps(rep, e, ["spec", "headers", "request"], s.headers?.request);
  checkHeaderOps(rep, e, ["spec", "headers", "response"], s.headers?.response);

  // TLS
  const mode = s.tls?.mode ?? "auto";
  const forceHttps = s.tls?.forceHttps ?? mode !== "off";
  if (mode === "off" && s.tls?.forceHttps === true) rep.error("tls", `spec.tls.forceHttps: cannot redirect to HTTPS when tls.mode is off`, e, ["spec", "tls", "forceHttps"]);
  let hsts: ResolvedRoute["tls"]["hsts"];
  const h = s.tls?.hsts;
  if (h !== undefined && h !== false) {
    const o = h === true ? {} : h;
    hsts = { maxAge: o.maxAge ? Math.floor(parseDuration(o.maxAge) / 1000) : 31536000, includeSubdomains: o.includeSubdomains ?? false, preload: o.preload ?? false };
    if (mode === "off") rep.error("tls", `spec.tls.hsts: HSTS needs HTTPS; tls.mode is off`, e, ["spec", "tls", "hsts"]);
    if (hsts.preload && (!hsts.includeSubdomains || hsts.maxAge < 31536000)) rep.warn("tls", `spec.tls.hsts.preload: the preload list requires includeSubdomains and maxAge of at least 1 year`, e, ["spec", "tls", "hsts", "preload"]);
  }
  const tls: ResolvedRoute["tls"] = { mode, minVersion: s.tls?.minVersion ?? "1.2", forceHttps, ...(hsts ? { hsts } : {}) };
  if (s.tls?.certificate !== undefined) {
    const c = certificates.get(s.tls.certificate);
    if (!c) rep.error("dangling-ref", `spec.tls.certificate: Certificate "${s.tls.certificate}" does not exist (referenced by route "${name}")${hint(s.tls.certificate, ctx.catalog.names("Certificate"))}`, e, ["spec", "tls", "certificate"]);
    else {
      tls.certificate = c.name;
      for (const { host, i } of u.hosts) {
        if (!c.hosts.some((ch) => coversHost(ch, host))) rep.warn("certificate", `spec.hosts[${i}]: ${host} is not covered by Certificate "${c.name}" (${c.hosts.join(", ")})`, e, ["spec", "hosts", i]);
      }
    }
    if (mode === "off") rep.error("tls", `spec.tls.certificate is set but tls.mode is off`, e, ["spec", "tls", "certificate"]);
  }

  // the rest
  const ipFilter = checkIpFilter(rep, e, ["spec", "ipFilter"], s.ipFilter);
  let dns: ResolvedRoute["dns"];
  if (s.dns && s.dns.manage !== false) {
    const target = s.dns.target ?? ctx.settings.dns.target;
    if (!target) rep.error("dns", `spec.dns: no target for the route's DNS records; set spec.dns.target or spec.dns.target in Settings`, e, ["spec", "dns"]);
    else {
      const t = s.dns.target ? checkDnsTarget(ctx.rep, e, ["spec", "dns", "target"], s.dns.target) : { value: target };
      if (t) dns = { target: t.value, ttl: s.dns.ttl ?? ctx.settings.dns.defaultTtl };
    }
  }
  if (s.caddyRoutes) checkCaddyRoutes(ctx, e, s.caddyRoutes);
  if (!pool && !s.caddyRoutes) return undefined;
  if (!pool && (s.upstream !== undefined || s.upstreams !== undefined)) return undefined; // its error is reported above
  const route: ResolvedRoute = {
    name,
    labels: sortRecord(e.resource.metadata.labels ?? {}),
    protected: e.resource.metadata.protected ?? false,
    hosts: u.hosts.map((x) => x.host).sort(),
    paths: [...new Set(s.paths ?? [])].sort(),
    ...(pool ? { pool } : {}),
    websockets: s.websockets ?? false,
    headers: { request: headerOps(s.headers?.request), response: headerOps(s.headers?.response) },
    middleware: mws,
    // An app that signs users in itself (OIDC, SAML) has no forward auth to bypass.
    ssoBypass: signIn ? [] : [...new Set(s.ssoBypass ?? [])].sort(),
    tls,
  };
  if (s.upstream !== undefined) route.upstreamName = s.upstream;
  if (s.caddyRoutes) route.caddyRoutes = s.caddyRoutes;
  if (auth) route.auth = auth;
  if (auth && signIn) route.signIn = signIn;
  if (s.maintenance?.enabled) {
    route.maintenance = { message: s.maintenance.message ?? "This service is down for maintenance. Please try again later." };
    if (s.maintenance.retryAfter) route.maintenance.retryAfter = s.maintenance.retryAfter;
    if (s.maintenance.page) route.maintenance.page = s.maintenance.page;
    if (s.maintenance.reason) route.maintenance.reason = s.maintenance.reason;
  }
  if (ipFilter) route.ipFilter = ipFilter;
  if (dns) route.dns = dns;
  Object.assign(route, resolveDelivery(ctx, e, s, pool, upstreams, !!auth && !signIn));
  return route;
}

/**
 * Verbatim Caddy routes: Caddy checks their content at apply; here only what would break Hecate's
 * own config around them (an "@id" would clash with the ids Hecate patches by), and a warning
 * that says they are there, so nobody mistakes them for modelled fields.
 */
function checkCaddyRoutes(ctx: ResolveCtx, e: Entry<RouteResource>, routes: Record<string, unknown>[]): void {
  const name = e.resource.metadata.name;
  ctx.rep.warn("caddy-verbatim", `route "${name}" carries ${routes.length} verbatim Caddy route${routes.length === 1 ? "" : "s"} (spec.caddyRoutes): Hecate passes ${routes.length === 1 ? "it" : "them"} to Caddy unchecked; Caddy validates ${routes.length === 1 ? "it" : "them"} at apply`, e, ["spec", "caddyRoutes"], { key: true });
  const walk = (v: unknown, path: (string | number)[]): void => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k === "@id") ctx.rep.error("caddy-verbatim", `${path.join(".")}: "@id" is not allowed in spec.caddyRoutes (Hecate names its own Caddy objects)`, e, [...path, k], { key: true });
        walk(x, [...path, k]);
      }
    }
  };
  routes.forEach((r, i) => {
    if (!Array.isArray(r.handle)) ctx.rep.error("caddy-verbatim", `spec.caddyRoutes[${i}]: a Caddy route needs a "handle" list`, e, ["spec", "caddyRoutes", i]);
    walk(r, ["spec", "caddyRoutes", i]);
  });
}

function listRoutePresetNames(): string[] {
  return ROUTE_PRESETS.map((p) => p.name).sort();
}

export const DEFAULT_SIGNING_CERTIFICATE = "authentik Self-signed Certificate";

/**
 * OIDC or SAML sign-in of a protected route (undefined: forward auth). The route's own fields
 * win over the preset's; a field of the other protocol, or ssoBypass the route sets itself,
 * is a warning, since nothing would use it.
 */
function resolveSignIn(ctx: ResolveCtx, u: RouteUnit): ResolvedSignIn | undefined {
  const e = u.entry;
  const si = u.spec.signIn ?? {};
  const own = e.resource.spec.signIn ?? {};
  const protocol = si.protocol ?? "forward-auth";
  const at = (k: string) => ["spec", "signIn", k];
  const unused = (keys: readonly (keyof typeof own)[]) => {
    for (const k of keys) if (own[k] !== undefined) ctx.rep.warn("sign-in", `spec.signIn.${k} is not used with protocol ${protocol}`, e, at(k));
  };
  const signingCertificate = si.signingCertificate ?? DEFAULT_SIGNING_CERTIFICATE;
  const via = u.preset && u.preset.spec.signIn?.protocol === protocol ? ` (preset ${u.preset.name} signs in by ${protocol}; set spec.signIn.protocol: forward-auth to use forward auth instead)` : "";
  if (protocol === "forward-auth") {
    unused(["clientId", "clientSecret", "redirectPaths", "acsPath", "audience", "binding", "signingCertificate"]);
    return undefined;
  }
  if (e.resource.spec.ssoBypass) ctx.rep.warn("sso-bypass", `spec.ssoBypass has no effect: the app signs users in by ${protocol} itself, Caddy does not ask authentik`, e, ["spec", "ssoBypass"]);
  if (protocol === "oidc") {
    unused(["acsPath", "audience", "binding"]);
    const redirectPaths = [...new Set(si.redirectPaths ?? [])].sort();
    if (!si.clientSecret) {
      const name = `${e.resource.metadata.name}-oidc`;
      ctx.rep.error(
        "sign-in",
        `route "${e.resource.metadata.name}" signs in by OIDC${via}: set spec.signIn.clientSecret to a secret reference, e.g. \`openssl rand -hex 32 | hecate create secret ${name} --value-from-stdin\` and clientSecret: secret:${name}; configure the app with the same value`,
        e,
        ["spec", "authPolicy"],
      );
      return undefined;
    }
    if (!redirectPaths.length) {
      ctx.rep.error("sign-in", `spec.signIn.redirectPaths: an OIDC app needs its callback path (e.g. /login/generic_oauth for Grafana)`, e, at("protocol"));
      return undefined;
    }
    return { protocol, ...(si.clientId ? { clientId: si.clientId } : {}), clientSecret: si.clientSecret, redirectPaths, signingCertificate };
  }
  unused(["clientId", "clientSecret", "redirectPaths"]);
  if (!si.acsPath || !si.audience) {
    ctx.rep.error("sign-in", `spec.signIn: a SAML app needs acsPath (where it receives assertions) and audience (its entity id)`, e, at(si.acsPath ? "audience" : "acsPath"));
    return undefined;
  }
  return { protocol, acsPath: si.acsPath, audience: si.audience, binding: si.binding ?? "post", signingCertificate };
}
