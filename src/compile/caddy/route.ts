// One Hecate route as a small Caddy route object: its own middleware chain ending in the proxy.
// Forward auth is NOT here: it is one shared handler in front of all routes (see auth.ts).
import type { ResolvedMiddleware, ResolvedRoute, ResolvedSettings } from "../../model/resolved.js";
import type { CaddyHandler, CaddyRoute } from "./types.js";
import { reverseProxy } from "./proxy.js";
import { blockHandler, splitHandler } from "./delivery.js";
import { secretMarker } from "./secrets.js";
import { previousRef } from "../../secret.js";
import { durationSeconds, escapeHtml, fnv1a, literal } from "./util.js";

export interface RouteCtx {
  version: string;
  modules: readonly string[];
  settings: ResolvedSettings;
  /** Secret refs (`secret:NAME`) rotated with a grace window still open: their previous value is accepted too. */
  graced: ReadonlySet<string>;
  /** When rotated Secrets (`secret:NAME`) were last rotated: shown in config so a new value is a change. */
  versions: ReadonlyMap<string, string>;
  /** Whether this part of the route is served over TLS (its server) — for HSTS / https redirects. */
  tls: boolean;
  diag: (severity: "error" | "warning", code: string, message: string) => void;
}

const status = (code: number, extra: Record<string, unknown> = {}): CaddyHandler => ({ handler: "static_response", status_code: code, ...extra });

function headerMap(set: Record<string, string>): Record<string, string[]> | undefined {
  const keys = Object.keys(set).sort();
  if (!keys.length) return undefined;
  const out: Record<string, string[]> = {};
  for (const k of keys) out[k] = [literal(set[k]!)];
  return out;
}

function headersHandler(
  request: { set: Record<string, string>; remove: string[] },
  response: { set: Record<string, string>; remove: string[] },
): CaddyHandler | undefined {
  const ops = (o: { set: Record<string, string>; remove: string[] }) => {
    const r: Record<string, unknown> = {};
    const set = headerMap(o.set);
    if (set) r.set = set;
    if (o.remove.length) r.delete = [...o.remove].map(literal).sort();
    return Object.keys(r).length ? r : undefined;
  };
  const req = ops(request), res = ops(response);
  if (!req && !res) return undefined;
  const h: CaddyHandler = { handler: "headers" };
  if (req) h.request = req;
  // deferred: response headers also apply to answers Hecate itself writes (403, 503, redirects)
  if (res) h.response = { ...res, deferred: true };
  return h;
}

/** A subroute whose inner routes answer early (deny, redirect) and otherwise fall through. */
const guard = (routes: CaddyRoute[]): CaddyHandler => ({ handler: "subroute", routes });

function ipFilter(f: { allow: string[]; deny: string[] }): CaddyHandler | undefined {
  const routes: CaddyRoute[] = [];
  if (f.deny.length) routes.push({ match: [{ remote_ip: { ranges: [...f.deny] } }], handle: [status(403)] });
  if (f.allow.length) routes.push({ match: [{ not: [{ remote_ip: { ranges: [...f.allow] } }] }], handle: [status(403)] });
  return routes.length ? guard(routes) : undefined;
}

function redirect(m: Extract<ResolvedMiddleware, { type: "redirect" }>, route: ResolvedRoute, ctx: RouteCtx): CaddyHandler | undefined {
  const to = (host: string) => `{http.request.scheme}://${host}{http.request.uri}`;
  const routes: CaddyRoute[] = [];
  const exact = route.hosts.filter((h) => !h.includes("*"));
  if (m.kind === "www-to-apex") {
    for (const h of exact.filter((h) => h.startsWith("www."))) {
      routes.push({ match: [{ host: [h] }], handle: [status(m.code, { headers: { Location: [to(h.slice(4))] } })] });
    }
  } else if (m.kind === "apex-to-www") {
    for (const h of exact.filter((h) => !h.startsWith("www."))) {
      routes.push({ match: [{ host: [h] }], handle: [status(m.code, { headers: { Location: [to("www." + h)] } })] });
    }
  } else if (m.kind === "custom") {
    if (!m.to) {
      ctx.diag("error", "caddy-redirect", `redirect middleware ${m.name}: kind custom needs "to"`);
      return undefined;
    }
    return status(m.code, { headers: { Location: [literal(m.to)] } });
  } else {
    // kind https: the http server of this route's hosts redirects (see compile.ts); nothing per route.
    if (!ctx.tls) ctx.diag("warning", "caddy-redirect", `redirect middleware ${m.name}: https redirect on a route with tls mode off has no effect`);
    return undefined;
  }
  return routes.length ? guard(routes) : undefined;
}

/** A basic-auth handler, its twin with the previous hashes (only in a grace window), and a version of its hashes when one was rotated. */
interface BasicAuth {
  handler: CaddyHandler;
  previous?: CaddyHandler;
  version?: string;
}

/**
 * Basic auth (the bcrypt hashes stay secret references, resolved when sent). While a rotated
 * password's grace window is open, it comes with its twin with the previous hashes, which
 * authWrap puts in the subroute's error routes.
 */
function basicAuth(m: Extract<ResolvedMiddleware, { type: "basic-auth" }>, ctx: RouteCtx): BasicAuth {
  const auth = (hash: (ref: string) => string): CaddyHandler => ({
    handler: "authentication",
    providers: {
      http_basic: {
        accounts: m.users.map((u) => ({ username: u.username, password: secretMarker(hash(u.passwordHash)) })),
        hash: { algorithm: "bcrypt" },
        realm: m.realm,
      },
    },
  });
  const versions = m.users.map((u) => ctx.versions.get(u.passwordHash)).filter((v): v is string => !!v);
  return {
    handler: auth((ref) => ref),
    ...(m.users.some((u) => ctx.graced.has(u.passwordHash)) ? { previous: auth((ref) => (ctx.graced.has(ref) ? previousRef(ref) : ref)) } : {}),
    ...(versions.length ? { version: fnv1a(versions.join(",")).toString(16) } : {}),
  };
}

const reraise = (status: string): CaddyHandler => ({ handler: "error", status_code: status });

/**
 * Basic auth and everything after it in a subroute whose error routes catch its 401: during a
 * grace window they run the same rest of the chain behind the previous hashes (Caddy ends error
 * routes there, so the rest is repeated); otherwise they raise the 401 again as it was. Any other
 * error is raised again too. The shape is the same in and out of a window, so a window opening or
 * closing only updates these objects, never adds or deletes one (the reconcile loop deletes nothing).
 */
function authWrap(chain: CaddyHandler[], auths: ReadonlyMap<CaddyHandler, BasicAuth>): CaddyHandler[] {
  const at = chain.findIndex((h) => auths.has(h));
  if (at < 0) return chain;
  const rest = authWrap(chain.slice(at + 1), auths);
  const { previous, version } = auths.get(chain[at]!)!;
  return [
    ...chain.slice(0, at),
    {
      handler: "subroute",
      // A secret's value is never compared (plans see markers), so its rotation shows as this
      // group's name (unique here, so it groups nothing): the route is sent again, hashes resolved anew.
      routes: [{ ...(version ? { group: `hecate-secret-${version}` } : {}), handle: [chain[at]!, ...rest] }],
      errors: {
        routes: [
          { match: [{ expression: "{http.error.status_code} == 401" }], handle: previous ? [previous, ...structuredClone(rest)] : [reraise("401")] },
          { handle: [reraise("{http.error.status_code}")] },
        ],
      },
    },
  ];
}

function middleware(m: ResolvedMiddleware, route: ResolvedRoute, ctx: RouteCtx): CaddyHandler | undefined {
  switch (m.type) {
    case "compression": {
      const encodings: Record<string, object> = {};
      for (const e of [...m.encodings].sort()) encodings[e] = {};
      const h: CaddyHandler = { handler: "encode", encodings, prefer: [...m.encodings] };
      if (m.minLength !== undefined) h.minimum_length = m.minLength;
      return h;
    }
    case "security-headers": {
      const headers = Object.keys(m.headers).length ? m.headers : ctx.settings.securityHeaders;
      return headersHandler({ set: {}, remove: [] }, { set: headers, remove: [] });
    }
    case "ip-filter":
      return ipFilter(m);
    case "basic-auth":
      return basicAuth(m, ctx).handler;
    case "headers":
      return headersHandler(m.request, m.response);
    case "redirect":
      return redirect(m, route, ctx);
    case "request-size":
      // A declared Content-Length over the limit is refused up front with 413; request_body caps
      // bodies without one (chunked) while they are read.
      return guard([
        { match: [{ header_regexp: { "Content-Length": { pattern: greaterThanPattern(m.maxBytes) } } }], handle: [status(413)] },
        { handle: [{ handler: "request_body", max_size: m.maxBytes }] },
      ]);
    case "rate-limit": {
      if (!ctx.modules.includes("http.handlers.rate_limit")) {
        ctx.diag(
          "error",
          "caddy-module-missing",
          `rate-limit middleware ${m.name} needs the Caddy module http.handlers.rate_limit, which the target Caddy does not have (add it to settings caddy.modules once your Caddy build includes it)`,
        );
        return undefined;
      }
      const key = m.key === "host" ? "{http.request.host}" : "{http.request.remote.host}";
      return { handler: "rate_limit", rate_limits: { [`hecate-${route.name}-${m.name}`]: { key, window: m.window, max_events: m.requests } } };
    }
    case "audit-log":
      // Access logging is a server-level setting (compile.ts); nothing in the handler chain.
      return undefined;
  }
}

/** An RE2 pattern matching decimal integers strictly greater than n (no leading zeros). */
export function greaterThanPattern(n: number): string {
  const d = String(Math.floor(n));
  const alts = [`[1-9][0-9]{${d.length},}`];
  for (let i = 0; i < d.length; i++) {
    const digit = Number(d[i]);
    if (digit === 9) continue;
    const rest = d.length - i - 1;
    alts.push(`${d.slice(0, i)}[${digit + 1}-9]${rest ? `[0-9]{${rest}}` : ""}`);
  }
  return `^(?:${alts.join("|")})$`;
}

function maintenancePage(message: string): string {
  const text = escapeHtml(message);
  return `<!doctype html><html><head><meta charset="utf-8"><title>Maintenance</title></head><body><h1>Down for maintenance</h1><p>${text}</p></body></html>`;
}

/** The handler chain of a route: guards and middleware in order, then the proxy (or 503 page). */
export function routeHandlers(route: ResolvedRoute, ctx: RouteCtx): CaddyHandler[] {
  const chain: CaddyHandler[] = [];
  const push = (h: CaddyHandler | undefined) => h && chain.push(h);
  if (route.blocks?.length) push(blockHandler(route.blocks));
  if (route.ipFilter) push(ipFilter(route.ipFilter));
  if (ctx.tls && route.tls.hsts) {
    const { maxAge, includeSubdomains, preload } = route.tls.hsts;
    const v = `max-age=${maxAge}${includeSubdomains ? "; includeSubDomains" : ""}${preload ? "; preload" : ""}`;
    push(headersHandler({ set: {}, remove: [] }, { set: { "Strict-Transport-Security": v }, remove: [] }));
  }
  if (route.maintenance) {
    const headers: Record<string, string[]> = { "Content-Type": ["text/html; charset=utf-8"] };
    if (route.maintenance.retryAfter) headers["Retry-After"] = [String(durationSeconds(route.maintenance.retryAfter))];
    chain.push(status(503, { headers, body: literal(route.maintenance.page ?? maintenancePage(route.maintenance.message)) }));
    return chain;
  }
  // Basic-auth handlers with what authWrap needs of them (a grace window's twin, a version).
  const auths = new Map<CaddyHandler, BasicAuth>();
  for (const m of route.middleware) {
    if (m.type !== "basic-auth") push(middleware(m, route, ctx));
    else {
      const b = basicAuth(m, ctx);
      auths.set(b.handler, b);
      push(b.handler);
    }
  }
  push(headersHandler(route.headers.request, route.headers.response));
  // Verbatim routes answer what they match and hand everything else on, like a Caddyfile's
  // directives before its reverse_proxy.
  // A copy: compile gives nested routes @ids in place, and these objects are the stored spec's.
  if (route.caddyRoutes) chain.push({ handler: "subroute", routes: structuredClone(route.caddyRoutes) as CaddyRoute[] });
  const proxy = { version: ctx.version, websockets: route.websockets, diag: ctx.diag };
  if (route.pool && route.split) chain.push(splitHandler(route, route.split, proxy));
  else if (route.pool) chain.push(reverseProxy(route.pool, proxy));
  return authWrap(chain, auths);
}
