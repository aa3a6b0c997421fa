// compileCaddy: ResolvedState → the Caddy JSON Hecate owns. Pure and deterministic.
//
// Layout of each Hecate server (the scale lever, see reference/caddy.md):
//   1. <p>identity-strip     delete every client-supplied X-Authentik-* header (all requests)
//   2. <p>host-case          a Host with upper case refused (421): see hostCase
//   3. <p>outpost-<o>        /outpost.goauthentik.io/* on protected hosts → the outpost
//   4. <p>forward-auth-<o>   ONE forward-auth handler per outpost; its matcher is exactly the
//                            (host, path) space of protected routes minus SSO-bypass paths
//   5. <p>shape-<hash>       routes of one shape: host matcher, host → upstream map (entries
//                            hecate-route-<name>), the shared chain (shapes.ts)
//   6. <p>bucket-<i>         ~√N host buckets → per-route objects hecate-route-<name> (terminal)
//   7. <p>wildcards          wildcard-host routes, after every exact host
//   8. (http server) <p>https-redirect for routes with forceHttps
// Routes with tls mode off live on the http-only server "<server>-http" (automatic HTTPS off);
// the TLS server has Caddy's own redirects off because Hecate writes them explicitly.
import type { Diagnostic } from "../../diag.js";
import { chainRef, keyRef } from "../../certs/issued.js";
import { forwardAuthOf, obtainedByHecate, type ResolvedRoute, type ResolvedState } from "../../model/resolved.js";
import { forwardAuth, identityStrip, OUTPOST_PATH, outpostDial, outpostProxy } from "./auth.js";
import { buckets, hostGroups, splitParts, type Part } from "./layout.js";
import { routeHandlers } from "./route.js";
import { entryId, groupShapes, isShapeRoute, shapeOf, shapeRoute, type ShapeDecision } from "./shapes.js";
import { blockRoute, counted, DELIVERY_LOGGER, deliveryLogger } from "./delivery.js";
import { secretMarker } from "./secrets.js";
import { DEFAULT_CADDY_VERSION, HECATE_ID_PREFIX, type CaddyOwned, type CaddyRoute, type CaddyServer, type CaddyTarget } from "./types.js";
import { canonical, fnv1a, hasPlaceholderChars, literal, pathPatterns, wildcardCovers } from "./util.js";

type Diag = (severity: "error" | "warning", code: string, message: string) => void;

interface Ctx {
  state: ResolvedState;
  version: string;
  modules: readonly string[];
  diagnostics: Diagnostic[];
  diagFor: (route: string) => Diag;
  /** Rotated Secrets' refs, for basic auth's grace window (route.ts RouteCtx). */
  rotated: { graced: ReadonlySet<string>; versions: ReadonlyMap<string, string> };
  /** Whether routes of one shape share one Caddy route (Settings caddy.shapes, default on). */
  shapes: boolean;
  /** Per route: mapped into which shape, or why not (for `render caddy --explain`). */
  decisions: ShapeDecision[];
  /** Route name → the shape key of its chain, for every route that could join a shape. */
  keys: Map<string, string>;
}

const notFound = (id: string): CaddyRoute => ({ "@id": id, handle: [{ handler: "static_response", status_code: 404 }] });

/** `secret:NAME` of rotated Secrets: whose previous value is still accepted, and when each was last rotated. */
function rotatedRefs(state: ResolvedState): Ctx["rotated"] {
  return {
    graced: new Set(state.secrets.filter((x) => x.graceUntil).map((x) => `secret:${x.name}`)),
    versions: new Map(state.secrets.filter((x) => x.version).map((x) => [`secret:${x.name}`, x.version!])),
  };
}

function newCtx(state: ResolvedState, version: string, modules: readonly string[]): Ctx {
  const diagnostics: Diagnostic[] = [];
  return {
    state,
    version,
    modules,
    diagnostics,
    diagFor: (route) => (severity, code, message) => diagnostics.push({ severity, code, message, address: `Route/${route}` }),
    rotated: rotatedRefs(state),
    shapes: state.settings.caddy.shapes !== false,
    decisions: [],
    keys: new Map(),
  };
}

/** Effective protection: a route in maintenance shows its page without sign-in. */
const isProtected = (r: ResolvedRoute) => !!forwardAuthOf(r) && !r.maintenance && !r.bypassAuth && !r.ssoBypass.includes("/");

/**
 * Where an outpost is reached (dial, TLS or not): two spellings of one outpost ("a:9000",
 * "http://a:9000") are one outpost, http:// and https:// of one name are two.
 */
function outpostIdentity(outpost: string): string {
  const o = outpostDial(outpost);
  return `${o.tls ? "https://" : ""}${o.dial}`.toLowerCase();
}

/** The outpost's part of an @id ("https://a:443" → "https-a-443"). */
const outpostKey = (identity: string) => identity.replace(/[^a-z0-9.-]+/g, "-").replace(/^-+|-+$/g, "");

function partMatch(p: Part): Record<string, unknown> {
  const m: Record<string, unknown> = { host: p.hosts };
  const paths = pathPatterns(p.route.paths);
  if (paths) m.path = paths;
  return m;
}

function partRoute(p: Part, ctx: Ctx, tls: boolean): CaddyRoute {
  return { "@id": p.id, match: [partMatch(p)], handle: chainOf(p, ctx, tls, ctx.diagFor(p.route.name)), terminal: true };
}

function chainOf(p: Part, ctx: Ctx, tls: boolean, diag: Diag) {
  return routeHandlers(p.route, { version: ctx.version, modules: ctx.modules, settings: ctx.state.settings, ...ctx.rotated, tls, diag });
}

/** A route's chain when it compiles without a diagnostic (only such routes join a shape). */
function quietChain(p: Part, ctx: Ctx, tls: boolean) {
  let noisy = false;
  const chain = chainOf(p, ctx, tls, () => (noisy = true));
  return noisy ? undefined : chain;
}

/**
 * Caddy matches a host list of more than 100 names by exact binary search and a shorter one
 * without regard to case, so "APP.example.com" could miss the shared forward-auth list and still
 * find its route (or miss its map entry). Hosts are names in lower case (DNS is case-insensitive,
 * clients send lower case); a Host with an upper-case letter is refused before anything else.
 */
const hostCase = (id: string): CaddyRoute => ({
  "@id": id,
  match: [{ header_regexp: { Host: { pattern: "[A-Z]" } } }],
  handle: [{ handler: "static_response", status_code: 421, body: "Host must be lower case\n" }],
  terminal: true,
});

/**
 * Matcher sets selecting exactly the requests that routing would hand to protected routes, minus
 * their SSO-bypass paths. Whole-host protected routes collapse into one sorted host list, which
 * Caddy binary-searches, so the shared handler costs O(log N) per request.
 */
function authMatchers(groups: Part[][], wildcards: Part[], mine: (p: Part) => boolean, exactHosts: readonly string[]): Record<string, unknown>[] {
  const merged: string[] = [];
  const sets: Record<string, unknown>[] = [];
  const add = (p: Part, nots: Record<string, unknown>[]) => {
    const bypass = pathPatterns(p.route.ssoBypass);
    if (bypass) nots.push({ path: bypass });
    const m = partMatch(p);
    if (!m.path && nots.length === 0) merged.push(...p.hosts);
    else sets.push(nots.length ? { ...m, not: nots } : m);
  };
  for (const g of groups) {
    g.forEach((p, k) => {
      if (!mine(p)) return;
      // Earlier routes on a shared host win the request first; they are not this route's.
      const nots: Record<string, unknown>[] = [];
      for (const q of g.slice(0, k)) {
        const shared = q.hosts.filter((h) => p.hosts.includes(h));
        if (shared.length) nots.push(partMatch({ ...q, hosts: shared }));
      }
      add(p, nots);
    });
  }
  wildcards.forEach((p, k) => {
    if (!mine(p)) return;
    const nots: Record<string, unknown>[] = [];
    // Exact hosts are served by their own routes, never by a wildcard.
    const covered = exactHosts.filter((h) => p.hosts.some((w) => wildcardCovers(w, h)));
    if (covered.length) nots.push({ host: covered });
    for (const q of wildcards.slice(0, k)) {
      const shared = q.hosts.filter((h) => p.hosts.includes(h));
      if (shared.length) nots.push(partMatch({ ...q, hosts: shared }));
    }
    add(p, nots);
  });
  const out: Record<string, unknown>[] = [];
  if (merged.length) out.push({ host: [...new Set(merged)].sort() });
  return out.concat(sets);
}

function buildServer(routes: ResolvedRoute[], ctx: Ctx, opts: { name: string; prefix: string; tls: boolean; listen: string[] }): CaddyServer {
  const { prefix: p } = opts;
  const { exact, wildcard } = splitParts(routes, HECATE_ID_PREFIX);
  const groups = hostGroups(exact);
  const { shapes, rest, decisions, keys } = ctx.shapes
    ? groupShapes(groups, p, opts.name, (x) => quietChain(x, ctx, opts.tls))
    : { shapes: [], rest: groups, decisions: routes.map((r) => ({ route: r.name, server: opts.name, why: "shapes are off (Settings caddy.shapes: false)" })), keys: new Map<string, string>() };
  ctx.decisions.push(...decisions);
  for (const w of wildcard) if (!w.route.hosts.some((h) => !h.includes("*"))) ctx.decisions.push({ route: w.route.name, server: opts.name, why: "a wildcard host (matched by pattern, not by a map entry)" });
  for (const [k, v] of keys) ctx.keys.set(k, v);
  const exactHosts = [...new Set(exact.flatMap((x) => x.hosts))].sort();
  const top: CaddyRoute[] = [{ "@id": `${p}identity-strip`, handle: [identityStrip()] }];
  if (ctx.state.settings.blocks?.length) top.push(blockRoute(`${p}blocks`, ctx.state.settings.blocks));

  // One outpost per identity; its first spelling (sorted) builds the handlers.
  const outposts = new Map<string, string>();
  for (const o of routes.filter(isProtected).map((r) => forwardAuthOf(r)!.outpost).sort()) if (!outposts.has(outpostIdentity(o))) outposts.set(outpostIdentity(o), o);
  for (const [identity, o] of [...outposts].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const key = outpostKey(identity);
    const mine = (x: Part) => isProtected(x.route) && outpostIdentity(forwardAuthOf(x.route)!.outpost) === identity;
    const hosts = [...new Set([...exact, ...wildcard].filter(mine).flatMap((x) => x.hosts))].sort();
    top.push({ "@id": `${p}outpost-${key}`, match: [{ host: hosts, path: [OUTPOST_PATH] }], handle: [outpostProxy(o)], terminal: true });
    const sets = authMatchers(groups, wildcard, mine, exactHosts);
    if (sets.length) top.push({ "@id": `${p}forward-auth-${key}`, match: sets, handle: [forwardAuth(o, ctx.state.settings.trustedProxies)] });
  }
  if (outposts.size || shapes.length) top.splice(1, 0, hostCase(`${p}host-case`));
  for (const s of shapes) top.push(shapeRoute(s));

  // i is the bucket's hash slot (layout.ts), not a count of buckets before it: stable ids.
  buckets(rest).forEach((bucket, i) => {
    if (!bucket.length) return;
    const id = `${p}bucket-${i}`;
    const parts = bucket.flat();
    const hosts = [...new Set(parts.flatMap((x) => x.hosts))].sort();
    const inner = parts.map((x) => partRoute(x, ctx, opts.tls));
    inner.push(notFound(`${id}-not-found`));
    top.push({ "@id": id, match: [{ host: hosts }], handle: [{ handler: "subroute", routes: inner }], terminal: true });
  });
  if (wildcard.length) {
    const id = `${p}wildcards`;
    const hosts = [...new Set(wildcard.flatMap((x) => x.hosts))].sort();
    const inner = wildcard.map((x) => partRoute(x, ctx, opts.tls));
    inner.push(notFound(`${id}-not-found`));
    top.push({ "@id": id, match: [{ host: hosts }], handle: [{ handler: "subroute", routes: inner }], terminal: true });
  }

  const server: CaddyServer = { listen: opts.listen, routes: top };
  const audited = routes.filter((r) => r.middleware.some((m) => m.type === "audit-log"));
  if (audited.length) {
    const names: Record<string, string> = {};
    for (const r of audited) {
      const m = r.middleware.find((x) => x.type === "audit-log") as { includeHeaders: boolean; name: string };
      if (!m.includeHeaders) ctx.diagFor(r.name)("warning", "caddy-audit-headers", `audit-log ${m.name}: Caddy ${ctx.version} access logs always include request headers (credentials redacted)`);
      for (const h of r.hosts) {
        if (h.includes("*")) ctx.diagFor(r.name)("warning", "caddy-audit-wildcard", `audit-log ${m.name}: wildcard host ${h} is not access-logged`);
        else names[h] = `hecate-audit-${r.name}`;
      }
    }
    server.logs = { logger_names: names, skip_unmapped_hosts: true };
  }
  deliveryLogs(server, routes, ctx);
  return server;
}

/**
 * Split routes' hosts log to the delivery logger (per-pool counts for canary analysis) when
 * Settings caddy.accessLog says where; a host with an audit-log keeps its audit logger.
 */
function deliveryLogs(server: CaddyServer, routes: ResolvedRoute[], ctx: Ctx): void {
  if (!counted(ctx.state.settings)) return;
  const names: Record<string, string> = { ...(server.logs?.logger_names ?? {}) };
  let any = false;
  for (const r of routes.filter((x) => x.split)) {
    for (const h of r.hosts) {
      if (h.includes("*")) ctx.diagFor(r.name)("warning", "caddy-delivery-wildcard", `split on wildcard host ${h} is not access-logged: its pools' error rates cannot be read`);
      else if (names[h]) ctx.diagFor(r.name)("warning", "caddy-delivery-audit", `host ${h} is access-logged by its audit-log; its pools' error rates cannot be read`);
      else (names[h] = DELIVERY_LOGGER), (any = true);
    }
  }
  if (any) server.logs = { logger_names: names, skip_unmapped_hosts: true };
}

function withPort(addr: string, port: number): string {
  const i = addr.lastIndexOf(":");
  const host = i >= 0 && !addr.endsWith("]") ? addr.slice(0, i) : addr;
  return `${host}:${port}`;
}

/**
 * Give every route object without an @id one from its path below the nearest route that has one:
 * <parent>_<handler>_<route> for a subroute's routes, other keys on the way named
 * (<parent>_0_handle_response_0_3). Unique by construction: paths differ, a path starts with "_"
 * and a digit, and no id compile names itself holds that (resource names cannot hold "_").
 * Positions count only inside one parent's own handlers: other routes cannot shift them.
 */
function assignIds(routes: CaddyRoute[], parent: string, path: readonly (string | number)[]): void {
  routes.forEach((r, i) => {
    const id = (r["@id"] ??= `${parent}_${[...path, i].join("_")}`);
    assignNested(r.handle, id, []);
  });
}

/** assignIds for every "routes" array below v (nested subroutes), their parent being `id`. */
function assignNested(v: unknown, id: string, path: readonly (string | number)[]): void {
  if (Array.isArray(v)) {
    v.forEach((x, i) => assignNested(x, id, [...path, i]));
  } else if (v && typeof v === "object") {
    for (const k in v) {
      const x = (v as Record<string, unknown>)[k];
      if (k === "routes" && Array.isArray(x)) assignIds(x as CaddyRoute[], id, path);
      else if (x && typeof x === "object") assignNested(x, id, [...path, k]);
    }
  }
}

/**
 * Every @id in the config used more than once (Caddy keeps only one of them in its index); ids
 * derived from a duplicate (<dup>_<path>) are its consequence and not listed again.
 */
export function duplicateIds(config: unknown): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      const id = (v as { "@id"?: unknown })["@id"];
      if (typeof id === "string") (seen.has(id) ? dup : seen).add(id);
      Object.values(v).forEach(walk);
    }
  };
  walk(config);
  const all = [...dup].sort();
  return all.filter((id) => !all.some((d) => id.startsWith(`${d}_`)));
}

function tlsApp(tlsRoutes: ResolvedRoute[], ctx: Ctx): CaddyOwned["apps"]["tls"] {
  const { state } = ctx;
  const certs = new Map(state.certificates.map((c) => [c.name, c]));
  const byIssuer = new Map<string, { issuer: Record<string, unknown>; hosts: Set<string> }>();
  const loadPem: Record<string, unknown>[] = [];
  const addPolicy = (key: string, issuer: Record<string, unknown>, hosts: string[]) => {
    const e = byIssuer.get(key) ?? byIssuer.set(key, { issuer, hosts: new Set() }).get(key)!;
    hosts.forEach((h) => e.hosts.add(h));
  };
  const { httpPort, httpsPort } = state.settings.caddy;
  const roots = state.settings.acme.trustedRoots;
  const acme = (email?: string, ca?: string, tlsAlpnOnly = false) => {
    const issuer: Record<string, unknown> = { module: "acme" };
    if (ca) issuer.ca = ca;
    if (email) issuer.email = email;
    if (ca && roots?.length) issuer.trusted_roots_pem_files = [...roots];
    // The ACME server validates on 80/443; Caddy must answer on the ports it really listens on
    // (behind a port forward, or a test on loopback ports).
    const challenges: Record<string, unknown> = {};
    // A Certificate that asks for tls-alpn-01 gets only that: Caddy would otherwise try http-01
    // first (port 80 may be closed on purpose, or belong to someone else).
    if (tlsAlpnOnly) challenges.http = { disabled: true };
    else if (httpPort !== 80) challenges.http = { alternate_port: httpPort };
    if (httpsPort !== 443) challenges["tls-alpn"] = { alternate_port: httpsPort };
    if (Object.keys(challenges).length) issuer.challenges = challenges;
    return issuer;
  };
  for (const r of tlsRoutes) {
    const cert = r.tls.certificate ? certs.get(r.tls.certificate) : undefined;
    if (r.tls.certificate && !cert) ctx.diagFor(r.name)("error", "caddy-certificate", `certificate ${r.tls.certificate} not found`);
    if (cert && (cert.issuer === "imported" || obtainedByHecate(cert))) continue; // loaded below, once per certificate
    if (r.tls.mode === "internal" || cert?.issuer === "internal") addPolicy("internal", { module: "internal" }, r.hosts);
    else {
      const email = cert?.acme?.email ?? state.settings.acme.email;
      const ca = cert?.acme?.ca ?? state.settings.acme.ca;
      // The challenge joins the key only when it narrows the issuer: existing policy ids stay as they were.
      const alpn = cert?.acme?.challenge === "tls-alpn-01";
      if (email || ca || alpn) addPolicy(`acme ${ca ?? ""} ${email ?? ""}${alpn ? " tls-alpn-01" : ""}`, acme(email, ca, alpn), r.hosts);
    }
  }
  for (const c of state.certificates) {
    if (obtainedByHecate(c)) {
      // Obtained by Hecate (src/providers/certs, src/certs/acme.ts) and held in its store. The
      // generation tag makes a renewal a change of this config, so Caddy loads the new
      // certificate; it is known before the certificate is, so one apply obtains and loads it.
      if (!c.issued) {
        ctx.diagnostics.push({ severity: "warning", code: "certificate-pending", message: `certificate ${c.name} has not been obtained yet: \`hecate apply\` (or \`hecate cert renew ${c.name}\`) obtains it; Caddy serves its hosts without it until then`, address: `Certificate/${c.name}` });
        continue;
      }
      loadPem.push({ certificate: secretMarker(chainRef(c.name)), key: secretMarker(keyRef(c.name)), tags: [`hecate-${c.name}`, `hecate-generation-${c.issued.generation}`] });
      continue;
    }
    if (c.issuer !== "imported") continue;
    if (!c.certificate || !c.key) {
      ctx.diagnostics.push({ severity: "error", code: "caddy-certificate", message: `imported certificate ${c.name} needs certificate and key`, address: `Certificate/${c.name}` });
      continue;
    }
    loadPem.push({ certificate: secretMarker(c.certificate), key: secretMarker(c.key), tags: [`hecate-${c.name}`] });
  }
  // An issuer's id is its content (a hash of CA and email), never its position: adding an issuer
  // must not turn the existing policies into delete/create pairs.
  const policies = [...byIssuer.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, e]) => ({ "@id": `hecate-tls-${key.startsWith("acme") ? `acme-${fnv1a(key).toString(16).padStart(8, "0")}` : key}`, subjects: [...e.hosts].sort(), issuers: [e.issuer] }));
  if (!policies.length && !loadPem.length) return undefined;
  const tls: NonNullable<CaddyOwned["apps"]["tls"]> = {};
  if (policies.length) tls.automation = { policies };
  if (loadPem.length) tls.certificates = { load_pem: loadPem };
  return tls;
}

/** How compile laid routes out: per route, the shape it joined or why not; the shape keys. */
export interface CaddyLayout {
  decisions: ShapeDecision[];
  keys: ReadonlyMap<string, string>;
}

/** Compile the desired state into the Caddy JSON Hecate owns, plus diagnostics. */

export function compileCaddy(state: ResolvedState, target: CaddyTarget = {}): { config: CaddyOwned; diagnostics: Diagnostic[]; layout: CaddyLayout } {
  const ctx = newCtx(state, target.version ?? state.settings.caddy.version ?? DEFAULT_CADDY_VERSION, target.modules ?? state.settings.caddy.modules);
  const { diagnostics } = ctx;
  const s = state.settings.caddy;
  for (const r of state.routes) {
    for (const path of [...r.paths, ...r.ssoBypass]) {
      if (hasPlaceholderChars(path) || path.includes("*")) ctx.diagFor(r.name)("error", "caddy-path", `path ${JSON.stringify(path)} may not contain {, } or *`);
    }
  }
  const tlsRoutes = state.routes.filter((r) => r.tls.mode !== "off");
  const httpRoutes = state.routes.filter((r) => r.tls.mode === "off");
  const servers: Record<string, CaddyServer> = {};
  if (tlsRoutes.length) {
    const srv = buildServer(tlsRoutes, ctx, { name: s.server, prefix: HECATE_ID_PREFIX, tls: true, listen: [...s.listen] });
    srv.automatic_https = { disable_redirects: true };
    const imported = new Set(state.certificates.filter((c) => c.issuer === "imported" || obtainedByHecate(c)).map((c) => c.name));
    const skipCerts = tlsRoutes.filter((r) => r.tls.certificate && imported.has(r.tls.certificate)).flatMap((r) => r.hosts);
    if (skipCerts.length) srv.automatic_https = { ...srv.automatic_https, skip_certificates: [...new Set(skipCerts)].sort() } as CaddyServer["automatic_https"];
    const strict = [...new Set(tlsRoutes.filter((r) => r.tls.minVersion === "1.3").flatMap((r) => r.hosts))].sort();
    if (strict.length) srv.tls_connection_policies = [{ match: { sni: strict }, protocol_min: "tls1.3" }, {}];
    servers[s.server] = srv;
  }
  const redirectHosts = [...new Set(tlsRoutes.filter((r) => r.tls.forceHttps).flatMap((r) => r.hosts))].sort();
  if (httpRoutes.length || redirectHosts.length) {
    const listen = [...new Set(s.listen.map((a) => withPort(a, s.httpPort)))];
    const p = `${HECATE_ID_PREFIX}http-`;
    const srv = buildServer(httpRoutes, ctx, { name: `${s.server}-http`, prefix: p, tls: false, listen });
    if (redirectHosts.length) {
      const port = s.httpsPort === 443 ? "" : `:${s.httpsPort}`;
      srv.routes.push({
        "@id": `${p}https-redirect`,
        match: [{ host: redirectHosts }],
        handle: [{ handler: "static_response", status_code: 308, headers: { Location: [`https://{http.request.host}${port}{http.request.uri}`] } }],
        terminal: true,
      });
    }
    // Only plain HTTP here: no certificates, no redirects of Caddy's own.
    srv.automatic_https = { disable: true };
    servers[`${s.server}-http`] = srv;
  }
  for (const [name, srv] of Object.entries(servers)) {
    // Hecate owns the whole server: a host it does not know gets 404, not Caddy's empty 200.
    srv.routes.push(notFound(name === s.server ? `${HECATE_ID_PREFIX}not-found` : `${HECATE_ID_PREFIX}http-not-found`));
    assignIds(srv.routes, `${HECATE_ID_PREFIX}${name}`, []);
  }
  const config: CaddyOwned = { apps: { http: { servers } } };
  if (counted(state.settings) && state.routes.some((r) => r.split)) config.logging = { logs: { [DELIVERY_LOGGER]: deliveryLogger(state.settings.caddy.accessLog!) } };
  for (const r of state.routes.filter((x) => x.bypassAuth)) {
    diagnostics.push({ severity: "warning", code: "auth-bypassed", message: `SIGN-IN BYPASSED on ${r.hosts.join(", ")} until ${r.bypassAuth!.until} (${r.bypassAuth!.reason}): anyone can reach it; the reconcile loop restores sign-in then`, address: `Route/${r.name}` });
  }
  const tls = tlsApp(tlsRoutes, ctx);
  if (tls) config.apps.tls = tls;
  // Two objects with one @id: Caddy indexes one of them, so reads never match and plans never settle.
  for (const id of duplicateIds(config)) diagnostics.push({ severity: "error", code: "caddy-duplicate-id", message: `@id ${id} is used by more than one object` });
  return { config: canonical(config), diagnostics, layout: { decisions: ctx.decisions, keys: ctx.keys } };
}

// ---- incremental compile ----------------------------------------------------------------------

/**
 * What compileCaddyFrom keeps of one compile to start the next from: the state and target it
 * compiled, its output, and (built on first use) where each route object sits in the output.
 */
export interface CaddyCompileMemo {
  readonly state: ResolvedState;
  readonly version: string;
  readonly modules: readonly string[];
  readonly config: CaddyOwned;
  readonly diagnostics: readonly Diagnostic[];
  readonly layout: CaddyLayout;
  /**
   * @id of a route object inside a host bucket or the wildcards route → its place (inner), or of
   * a map entry of a shape route → its place (entry); lazy.
   */
  index?: Map<string, Place>;
}

type Place = { server: string; top: number; inner: number; entry?: undefined } | { server: string; top: number; entry: number; inner?: undefined };

/** At most this many changed routes are patched into the previous output; more compile in full. */
export const INCREMENTAL_MAX_ROUTES = 64;

/** Structural equality of plain JSON-like values (resolved state: objects, arrays, scalars). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/**
 * Everything of a route that compile reads outside the route's own object (partRoute): its
 * place in the layout (name, hosts, paths), the shared forward-auth matchers and outpost routes
 * (protection, outpost spelling, SSO bypass), the TLS app and server settings (tls), access logs
 * (audit-log middleware). Two routes equal in this compile to the same layout; only their own
 * route objects can differ.
 */
function layoutOf(r: ResolvedRoute): unknown {
  return {
    name: r.name,
    hosts: r.hosts,
    paths: r.paths,
    ssoBypass: r.ssoBypass,
    auth: forwardAuthOf(r)?.outpost ?? null,
    maintenance: !!r.maintenance,
    bypass: r.bypassAuth ?? null,
    split: !!r.split,
    tls: r.tls,
    audit: r.middleware.filter((m) => m.type === "audit-log"),
  };
}

function indexOf(memo: CaddyCompileMemo): NonNullable<CaddyCompileMemo["index"]> {
  if (memo.index) return memo.index;
  const index = new Map<string, Place>();
  for (const [server, srv] of Object.entries(memo.config.apps.http.servers)) {
    srv.routes.forEach((r, top) => {
      if (isShapeRoute(r)) {
        r.handle[0].mappings.forEach((m, entry) => typeof m["@id"] === "string" && index.set(m["@id"], { server, top, entry }));
        return;
      }
      const h = r.handle?.[0] as { handler?: string; routes?: CaddyRoute[] } | undefined;
      if (h?.handler !== "subroute" || !Array.isArray(h.routes)) return;
      h.routes.forEach((x, inner) => {
        const id = x["@id"];
        if (typeof id === "string") index.set(id, { server, top, inner });
      });
    });
  }
  return (memo.index = index);
}

/**
 * The output for `state` built from the previous compile's when only route objects can differ:
 * same target, settings and certificates, the same routes by name, and every changed route equal
 * in layoutOf. Undefined when that does not hold (the caller compiles in full). The result is
 * the very output compileCaddy gives for `state` (incremental.test.ts checks it on random edits);
 * it shares the unchanged parts with the previous output, which nobody modifies.
 */
function incremental(memo: CaddyCompileMemo, state: ResolvedState, ctx: Ctx): { config: CaddyOwned; diagnostics: Diagnostic[]; layout: CaddyLayout; objects: ReplacedObjects } | undefined {
  if (memo.version !== ctx.version || !same(memo.modules, ctx.modules)) return undefined;
  const a = memo.state;
  if (a === state) return { config: memo.config, diagnostics: [...memo.diagnostics], layout: memo.layout, objects: new Map() };
  if (a.routes.length !== state.routes.length || !same(a.settings, state.settings) || !same(a.certificates, state.certificates) || !same(a.secrets, state.secrets)) return undefined;
  const changed: ResolvedRoute[] = [];
  for (let i = 0; i < state.routes.length; i++) {
    const x = a.routes[i]!, y = state.routes[i]!;
    if (x === y) continue;
    if (x.name !== y.name) return undefined;
    if (same(x, y)) continue;
    if (changed.length >= INCREMENTAL_MAX_ROUTES || !same(layoutOf(x), layoutOf(y))) return undefined;
    changed.push(y);
  }
  if (!changed.length) return { config: memo.config, diagnostics: [...memo.diagnostics], layout: memo.layout, objects: new Map() };
  // Diagnostics of a changed route would have to be replaced in place: compile in full instead.
  const addresses = new Set(changed.map((r) => `Route/${r.name}`));
  if (memo.diagnostics.some((d) => d.address !== undefined && addresses.has(d.address))) return undefined;
  const index = indexOf(memo);
  const s = state.settings.caddy;
  let servers = memo.config.apps.http.servers;
  const objects: ReplacedObjects = new Map();
  for (const r of changed) {
    const tls = r.tls.mode !== "off";
    const { exact, wildcard } = splitParts([r], HECATE_ID_PREFIX);
    for (const p of [...exact, ...wildcard]) {
      const at = index.get(p.id);
      if (!at || at.server !== (tls ? s.server : `${s.server}-http`)) return undefined;
      const obj = partRoute(p, ctx, tls);
      if (ctx.diagnostics.length) return undefined;
      // A route whose chain changed shape may join or leave a shape (or make one reach or fall
      // below its minimum): only a route keeping its shape key is patched in place.
      const shaped = p.wildcard ? undefined : shapeOf(p, obj.handle!);
      const key = shaped && "key" in shaped ? shaped.key : undefined;
      if (ctx.shapes && key !== memo.layout.keys.get(r.name)) return undefined;
      if (key !== undefined) ctx.keys.set(r.name, key);
      if (at.entry !== undefined) {
        if (!shaped || !("dial" in shaped)) return undefined;
        // A map entry per host (layoutOf: the same hosts), each now giving the new address.
        const srv = servers[at.server]!;
        const top = srv.routes[at.top]!;
        const [map, ...rest] = top.handle as [{ mappings: { "@id"?: string; input: string; outputs: unknown[] }[] } & Record<string, unknown>, ...unknown[]];
        const mappings = map.mappings.slice();
        for (let i = 0; i < p.hosts.length; i++) {
          const id = entryId(p.id, i);
          const k = i === 0 ? at.entry : mappings.findIndex((m) => m["@id"] === id);
          if (k < 0 || mappings[k]!["@id"] !== id) return undefined;
          const before = mappings[k]!;
          mappings[k] = canonical({ "@id": id, input: before.input, outputs: [literal(shaped.dial)] });
          objects.set(id, { before, after: mappings[k] });
        }
        const routes = srv.routes.slice();
        routes[at.top] = { ...top, handle: [{ ...map, mappings }, ...rest] } as CaddyRoute;
        servers = { ...servers, [at.server]: { ...srv, routes } };
        continue;
      }
      assignNested(obj.handle, p.id, []);
      // Copy on write along the path server → top-level route → its subroute → this object.
      const srv = servers[at.server]!;
      const top = srv.routes[at.top]!;
      const [sub, ...rest] = top.handle as [{ routes: CaddyRoute[] } & Record<string, unknown>, ...unknown[]];
      const inner = sub.routes.slice();
      inner[at.inner] = canonical(obj);
      objects.set(p.id, { before: sub.routes[at.inner], after: inner[at.inner] });
      const routes = srv.routes.slice();
      routes[at.top] = { ...top, handle: [{ ...sub, routes: inner }, ...rest] } as CaddyRoute;
      servers = { ...servers, [at.server]: { ...srv, routes } };
    }
  }
  return { config: { ...memo.config, apps: { ...memo.config.apps, http: { ...memo.config.apps.http, servers } } }, diagnostics: [...memo.diagnostics], layout: { decisions: memo.layout.decisions, keys: memo.layout.keys }, objects };
}

/** The objects an incremental compile replaced, by @id: as the memo's config had them, and as the new config has them. */
export type ReplacedObjects = Map<string, { before: unknown; after: unknown }>;

/**
 * compileCaddy, starting from a previous compile's memo when one is given: a change of a few
 * routes' own settings (an upstream, headers, middleware) recompiles only those routes and reuses
 * the rest of the previous output; anything else compiles in full. Same output either way.
 */
export function compileCaddyFrom(
  memo: CaddyCompileMemo | undefined,
  state: ResolvedState,
  target: CaddyTarget = {},
): {
  config: CaddyOwned;
  diagnostics: Diagnostic[];
  layout: CaddyLayout;
  memo: CaddyCompileMemo;
  incremental: boolean;
  /**
   * Incremental only: the objects that differ from the memo's config, by @id, before and after (no
   * walk of 10,000 routes to find them); all else is the memo's own objects.
   */
  objects?: ReplacedObjects;
} {
  const version = target.version ?? state.settings.caddy.version ?? DEFAULT_CADDY_VERSION;
  const modules = target.modules ?? state.settings.caddy.modules;
  if (memo) {
    const out = incremental(memo, state, newCtx(state, version, modules));
    if (out) {
      const next: CaddyCompileMemo = { state, version, modules, config: out.config, diagnostics: out.diagnostics, layout: out.layout, ...(memo.index ? { index: memo.index } : {}) };
      return { ...out, memo: next, incremental: true };
    }
  }
  const { config, diagnostics, layout } = compileCaddy(state, target);
  return { config, diagnostics, layout, memo: { state, version, modules, config, diagnostics: [...diagnostics], layout }, incremental: false };
}

/** Pretty JSON for `hecate render caddy` (secrets appear as {"$secret": ref} markers). */
export function renderCaddy(state: ResolvedState, target?: CaddyTarget): string {
  return JSON.stringify(compileCaddy(state, target).config, null, 2) + "\n";
}

/** Every Hecate-owned @id on a route object, in document order (top-level and nested). */
export function ownedRouteIds(config: CaddyOwned): string[] {
  const ids: string[] = [];
  const walk = (v: unknown, inRoutes: boolean): void => {
    if (Array.isArray(v)) v.forEach((x) => walk(x, inRoutes));
    else if (v && typeof v === "object") {
      const id = (v as { "@id"?: unknown })["@id"];
      if (inRoutes && typeof id === "string" && id.startsWith(HECATE_ID_PREFIX)) ids.push(id);
      for (const [k, x] of Object.entries(v)) walk(x, k === "routes");
    }
  };
  for (const srv of Object.values(config.apps.http.servers)) walk(srv.routes, true);
  return ids;
}
