// From checked documents to the ResolvedState compilers consume: presets applied, references
// followed, defaults filled in, cross-resource conflicts and compliance rules reported.
//
// Defaults applied here (documented once, used everywhere):
//   upstream weight 1; policy weighted_round_robin when weights differ, else round_robin;
//   active health check interval 30s, timeout 5s; passive (when given) failDuration 30s, maxFails 1;
//   tls.mode auto, minVersion 1.2, forceHttps true unless mode off; hsts off unless set, `true` =
//   maxAge 31536000 (1 year), includeSubdomains false, preload false;
//   streams: tcp connect 5s idle 10m; udp idle 30s; mail ports at least 10m; maxFails 1, failTimeout 10s;
//   auth policy mode forward_single, flow default-provider-authorization-implicit-consent, session 24h;
//   Settings: see DEFAULT_SETTINGS below.
import type { Diagnostic } from "../diag.js";
import { hasErrors, sortDiagnostics } from "../diag.js";
import { addressOf, checkDocument, formatPath, type Where } from "./check.js";
import { Reporter, where, type Entry } from "./ctx.js";
import { suggest, type Located, type PathSeg } from "./load.js";
import { hasPort, isIPv4, isIPv6, isPublicSuffix, isUnder, normalizeHost, parseDuration, parseHostPort } from "./net.js";
import { deepMerge, ROUTE_PRESETS, routePreset, STREAM_PRESETS, streamPreset, type RoutePreset } from "./presets.js";
import type {
  AuthPolicyResource,
  CertificateResource,
  CompliancePolicyResource,
  DnsRecordResource,
  Kind,
  MiddlewareResource,
  Resource,
  RouteResource,
  SecretResource,
  SettingsResource,
  StreamResource,
  UpstreamResource,
} from "./schema.js";
import type {
  ResolvedAuthPolicy,
  ResolvedCertificate,
  ResolvedDnsRecord,
  ResolvedMiddleware,
  ResolvedPool,
  ResolvedRoute,
  ResolvedSettings,
  ResolvedState,
  ResolvedStream,
  ResolvedStreamUpstream,
} from "./resolved.js";
import { checkHeaderName, checkHeaderOps, checkIpFilter, checkStrings } from "./validate.js";

type RouteSpecT = RouteResource["spec"];

export const RATE_LIMIT_MODULE = "http.handlers.rate_limit";
export const HETZNER_DNS_MODULE = "dns.providers.hetzner";
const MAIL_PORTS = new Set([25, 465, 587, 143, 993, 110, 995]);
const MAIL_MIN_IDLE_MS = 10 * 60_000;

/** Security headers the security-headers middleware sets unless Settings or the middleware override them (OWASP secure headers). */
export const DEFAULT_SECURITY_HEADERS: Record<string, string> = {
  "Permissions-Policy": "geolocation=(), payment=(), usb=()",
  "Referrer-Policy": "strict-origin-when-cross-origin",
  "X-Content-Type-Options": "nosniff",
  // SAMEORIGIN rather than DENY: several apps behind this stack (Grafana, Nextcloud) frame themselves.
  "X-Frame-Options": "SAMEORIGIN",
  "Cross-Origin-Opener-Policy": "same-origin-allow-popups",
};

export const DEFAULT_TRUSTED_PROXIES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.1/8", "fd00::/8", "::1/128"];

export const DEFAULT_SETTINGS: ResolvedSettings = {
  caddy: { admin: ["http://127.0.0.1:2019"], modules: [], server: "hecate", listen: [":443"], httpPort: 80, httpsPort: 443 },
  nginx: { binary: "nginx" },
  dns: { defaultTtl: 300 },
  acme: {},
  securityHeaders: DEFAULT_SECURITY_HEADERS,
  trustedProxies: DEFAULT_TRUSTED_PROXIES,
};

export interface ResolveOptions {
  /** Clock for compliance exemptions (default: now). */
  now?: Date;
}

export interface ResolveResult {
  state?: ResolvedState;
  diagnostics: Diagnostic[];
}

const isLocated = (x: unknown): x is Located => !!x && typeof x === "object" && "pos" in x && "file" in x && "resource" in x;

/** Checks every document (schema, then semantics) and builds the resolved state when there is no error. */
export function resolveState(input: readonly Located[] | readonly Resource[], opts: ResolveOptions = {}): ResolveResult {
  const rep = new Reporter();
  const entries: Entry[] = [];
  for (const item of input as readonly unknown[]) {
    const raw = isLocated(item) ? item.resource : item;
    const address = addressOf(raw) ?? (isLocated(item) ? `${item.file}#${item.docIndex}` : "document");
    const w: Where = isLocated(item) ? { address, pos: (p) => item.pos(p), keyPos: (p) => (item.keyPos ? item.keyPos(p) : item.pos(p)) } : { address };
    const r = checkDocument(raw, w);
    rep.diagnostics.push(...r.diagnostics);
    if (r.resource) entries.push({ resource: r.resource, where: w, address });
  }
  const state = new Resolver(rep, entries, opts.now ?? new Date()).run();
  const diagnostics = sortDiagnostics(dedupe(rep.diagnostics));
  return hasErrors(diagnostics) ? { diagnostics } : { state, diagnostics };
}

function dedupe(diags: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diags.filter((d) => {
    const k = `${d.severity}|${d.message}|${d.pos?.file}:${d.pos?.line}:${d.pos?.col}|${d.address}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface RouteUnit {
  entry: Entry<RouteResource>;
  spec: RouteSpecT;
  preset?: RoutePreset;
  /** Normalized hosts with the index they were written at. */
  hosts: { host: string; i: number }[];
}

interface StreamUnit {
  entry: Entry<StreamResource>;
  resolved: ResolvedStream;
  listenPath: PathSeg[];
}

class Resolver {
  private readonly byKind = new Map<Kind, Map<string, Entry>>();
  private settings: ResolvedSettings = DEFAULT_SETTINGS;

  constructor(
    private readonly rep: Reporter,
    private readonly entries: Entry[],
    private readonly now: Date,
  ) {}

  run(): ResolvedState {
    this.index();
    this.settings = this.resolveSettings();
    for (const e of this.entries) {
      const kind = e.resource.kind;
      checkStrings(this.rep, e, kind === "Route" || kind === "Upstream" || kind === "Middleware" || kind === "Settings");
    }
    this.checkSecretRefs();
    const middleware = this.resolveMiddleware();
    const authPolicies = this.resolveAuthPolicies();
    const upstreams = this.resolveUpstreams();
    const certificates = this.resolveCertificates();
    const units = this.routeUnits();
    const routes = units.map((u) => this.resolveRoute(u, middleware, authPolicies, upstreams, certificates)).filter((r): r is ResolvedRoute => !!r);
    this.checkHostCollisions(units);
    this.checkCookieDomains(units, authPolicies);
    const streams = this.resolveStreams();
    this.checkStreamPorts(streams);
    const dnsRecords = this.resolveDns(routes);
    this.checkCompliance(routes);
    return {
      settings: this.settings,
      routes: routes.sort(byName),
      streams: streams.map((s) => s.resolved).sort(byName),
      dnsRecords,
      authPolicies: [...authPolicies.values()].sort(byName),
      certificates: [...certificates.values()].sort(byName),
      secrets: this.list<SecretResource>("Secret")
        .map((e) => ({ name: e.resource.metadata.name, from: e.resource.spec.from }))
        .sort(byName),
    };
  }

  private list<R extends Resource>(kind: Kind): Entry<R>[] {
    return [...(this.byKind.get(kind)?.values() ?? [])].sort((a, b) => cmp(a.resource.metadata.name, b.resource.metadata.name)) as Entry<R>[];
  }
  private get<R extends Resource>(kind: Kind, name: string): Entry<R> | undefined {
    return this.byKind.get(kind)?.get(name) as Entry<R> | undefined;
  }

  // ---- names --------------------------------------------------------------------------------

  private index(): void {
    let firstSettings: Entry | undefined;
    for (const e of this.entries) {
      const kind = e.resource.kind;
      const name = e.resource.metadata.name;
      if (kind === "Settings") {
        if (firstSettings) {
          this.rep.error("duplicate-settings", `more than one Settings document (the first is Settings/${firstSettings.resource.metadata.name} at ${where(firstSettings, [])}); keep exactly one`, e, ["kind"]);
          continue;
        }
        firstSettings = e;
      }
      let m = this.byKind.get(kind);
      if (!m) this.byKind.set(kind, (m = new Map()));
      const prev = m.get(name);
      if (prev) {
        this.rep.error("duplicate-name", `duplicate ${kind} "${name}": also defined at ${where(prev, ["metadata", "name"])}; names are unique per kind`, e, ["metadata", "name"]);
        continue;
      }
      m.set(name, e);
    }
  }

  // ---- Settings -----------------------------------------------------------------------------

  private resolveSettings(): ResolvedSettings {
    const e = this.list<SettingsResource>("Settings")[0];
    if (!e) return DEFAULT_SETTINGS;
    const s = e.resource.spec;
    const d = DEFAULT_SETTINGS;
    const out: ResolvedSettings = {
      caddy: {
        admin: s.caddy?.admin ?? d.caddy.admin,
        modules: [...(s.caddy?.modules ?? [])].sort(),
        server: s.caddy?.server ?? d.caddy.server,
        listen: s.caddy?.listen ?? d.caddy.listen,
        httpPort: s.caddy?.httpPort ?? d.caddy.httpPort,
        httpsPort: s.caddy?.httpsPort ?? d.caddy.httpsPort,
      },
      nginx: { binary: s.nginx?.binary ?? d.nginx.binary },
      dns: { defaultTtl: s.dns?.defaultTtl ?? d.dns.defaultTtl },
      acme: {},
      securityHeaders: sortRecord({ ...DEFAULT_SECURITY_HEADERS, ...(s.securityHeaders ?? {}) }),
      trustedProxies: d.trustedProxies,
    };
    if (s.caddy?.version) out.caddy.version = s.caddy.version;
    if (s.nginx?.prefix) out.nginx.prefix = s.nginx.prefix;
    if (s.nginx?.config) out.nginx.config = s.nginx.config;
    if (s.nginx?.streamFile) out.nginx.streamFile = s.nginx.streamFile;
    if (s.dns?.target) {
      const t = this.checkDnsTarget(e, ["spec", "dns", "target"], s.dns.target);
      if (t) out.dns.target = t.value;
    }
    if (s.acme?.email) out.acme.email = s.acme.email;
    if (s.acme?.ca) out.acme.ca = s.acme.ca;
    if (s.authentik) out.authentik = { url: s.authentik.url, token: s.authentik.token, outpost: s.authentik.outpost ?? s.authentik.url.replace(/\/+$/, "") };
    if (s.hetzner) out.hetzner = { token: s.hetzner.token, endpoint: s.hetzner.endpoint ?? "https://api.hetzner.cloud/v1" };
    if (s.trustedProxies) {
      const f = checkIpFilter(this.rep, e, ["spec"], { allow: s.trustedProxies });
      out.trustedProxies = (f?.allow ?? []).map((x) => (x.includes("/") ? x : x.includes(":") ? `${x}/128` : `${x}/32`));
      // report positions as spec.trustedProxies[i] rather than spec.allow[i]
      for (const d2 of this.rep.diagnostics) if (d2.code === "ip" && d2.address === e.address) d2.message = d2.message.replace(/^spec\.allow/, "spec.trustedProxies");
    }
    for (const [name] of Object.entries(s.securityHeaders ?? {})) checkHeaderName(this.rep, e, ["spec", "securityHeaders", name], name, true);
    (s.caddy?.listen ?? []).forEach((l, i) => {
      if (caddyListenPort(l) === undefined) this.rep.error("address", `spec.caddy.listen[${i}]: ${JSON.stringify(l)} is not a listen address like ":443" or "0.0.0.0:443"`, e, ["spec", "caddy", "listen", i]);
    });
    return out;
  }

  // ---- secrets ------------------------------------------------------------------------------

  /** Every SecretRef field of every kind, with its path. */
  private secretRefs(r: Resource): { path: PathSeg[]; ref: string }[] {
    const out: { path: PathSeg[]; ref: string }[] = [];
    const add = (path: PathSeg[], ref: string | undefined) => ref !== undefined && out.push({ path, ref });
    switch (r.kind) {
      case "Route":
      case "Upstream":
        add(["spec", "upstreamTls", "ca"], r.spec.upstreamTls?.ca);
        break;
      case "Middleware":
        if (r.spec.type === "basic-auth") r.spec.users.forEach((u, i) => add(["spec", "users", i, "passwordHash"], u.passwordHash));
        break;
      case "Certificate":
        add(["spec", "certificate"], r.spec.certificate);
        add(["spec", "key"], r.spec.key);
        break;
      case "Settings":
        add(["spec", "authentik", "token"], r.spec.authentik?.token);
        add(["spec", "hetzner", "token"], r.spec.hetzner?.token);
        break;
      default:
        break;
    }
    return out;
  }

  private checkSecretRefs(): void {
    for (const e of this.entries) {
      for (const { path, ref } of this.secretRefs(e.resource)) {
        const m = /^secret:(.+)$/.exec(ref);
        if (m && !this.get("Secret", m[1]!)) {
          this.rep.error("dangling-ref", `${formatPath(path)}: Secret "${m[1]}" does not exist (referenced as ${JSON.stringify(ref)}); define a Secret named "${m[1]}" or use env:/file:`, e, path);
        }
      }
    }
  }

  // ---- Middleware, AuthPolicy, Upstream, Certificate -------------------------------------------

  private resolveMiddleware(): Map<string, ResolvedMiddleware> {
    const out = new Map<string, ResolvedMiddleware>();
    for (const e of this.list<MiddlewareResource>("Middleware")) {
      const name = e.resource.metadata.name;
      const s = e.resource.spec;
      let m: ResolvedMiddleware;
      switch (s.type) {
        case "rate-limit":
          m = { name, type: s.type, requests: s.requests, window: s.window, key: s.key ?? "ip" };
          break;
        case "compression":
          m = { name, type: s.type, encodings: s.encodings ?? ["zstd", "gzip"], ...(s.minLength !== undefined ? { minLength: s.minLength } : {}) };
          break;
        case "security-headers":
          for (const h of Object.keys(s.headers ?? {})) checkHeaderName(this.rep, e, ["spec", "headers", h], h, true);
          m = { name, type: s.type, headers: sortRecord({ ...this.settings.securityHeaders, ...(s.headers ?? {}) }) };
          break;
        case "ip-filter": {
          const f = checkIpFilter(this.rep, e, ["spec"], { allow: s.allow, deny: s.deny }) ?? { allow: [], deny: [] };
          if (f.allow.length === 0 && f.deny.length === 0) this.rep.warn("empty", `ip-filter middleware "${name}" has neither allow nor deny; it does nothing`, e, ["spec"]);
          m = { name, type: s.type, allow: f.allow, deny: f.deny };
          break;
        }
        case "basic-auth":
          m = { name, type: s.type, realm: s.realm ?? "restricted", users: s.users.map((u) => ({ username: u.username, passwordHash: u.passwordHash })) };
          s.users.forEach((u, i) => {
            if (u.username.includes(":")) this.rep.error("basic-auth", `spec.users[${i}].username: must not contain ":"`, e, ["spec", "users", i, "username"]);
          });
          break;
        case "headers":
          checkHeaderOps(this.rep, e, ["spec", "request"], s.request);
          checkHeaderOps(this.rep, e, ["spec", "response"], s.response);
          m = { name, type: s.type, request: headerOps(s.request), response: headerOps(s.response) };
          break;
        case "redirect":
          if (s.kind === "custom" && !s.to) this.rep.error("redirect", `redirect middleware "${name}" has kind custom but no "to" URL`, e, ["spec", "kind"]);
          if (s.kind !== "custom" && s.to) this.rep.warn("redirect", `redirect middleware "${name}": "to" is only used with kind custom and is ignored`, e, ["spec", "to"]);
          if (s.to && !/^(https?:\/\/[^\s]+|\/[^\s]*)$/.test(s.to)) this.rep.error("redirect", `spec.to: ${JSON.stringify(s.to)} is not an http(s) URL or an absolute path`, e, ["spec", "to"]);
          m = { name, type: s.type, kind: s.kind, code: s.code ?? 308, ...(s.to ? { to: s.to } : {}) };
          break;
        case "request-size":
          m = { name, type: s.type, maxBytes: s.maxBytes };
          break;
        case "audit-log":
          m = { name, type: s.type, includeHeaders: s.includeHeaders ?? false };
          break;
      }
      out.set(name, m);
    }
    return out;
  }

  private resolveAuthPolicies(): Map<string, ResolvedAuthPolicy> {
    const out = new Map<string, ResolvedAuthPolicy>();
    for (const e of this.list<AuthPolicyResource>("AuthPolicy")) {
      const s = e.resource.spec;
      const name = e.resource.metadata.name;
      const mode = s.mode ?? "forward_single";
      let cookieDomain: string | undefined;
      if (s.cookieDomain !== undefined) {
        const h = normalizeHost(s.cookieDomain.replace(/^\./, ""), { wildcard: false });
        if (!h.ok) this.rep.error("domain", `spec.cookieDomain: ${JSON.stringify(s.cookieDomain)} ${h.reason}`, e, ["spec", "cookieDomain"]);
        else if (isPublicSuffix(h.value))
          this.rep.error(
            "cookie-domain",
            `spec.cookieDomain: "${h.value}" is a public suffix; browsers refuse cookies for it (and it would be shared with every site under it). Use your registered domain, e.g. "example.${h.value}"`,
            e,
            ["spec", "cookieDomain"],
          );
        else cookieDomain = h.value;
        if (mode === "forward_single") this.rep.warn("cookie-domain", `spec.cookieDomain is only used in forward_domain mode; mode is forward_single`, e, ["spec", "cookieDomain"]);
      }
      if (mode === "forward_domain" && s.cookieDomain === undefined) {
        this.rep.error("cookie-domain", `AuthPolicy "${name}" uses mode forward_domain, which needs spec.cookieDomain (the parent domain of the protected hosts, e.g. "example.com")`, e, ["spec", "mode"]);
      }
      const outpost = s.outpost ?? this.settings.authentik?.outpost;
      if (!outpost) {
        this.rep.error("outpost", `AuthPolicy "${name}": no authentik outpost to ask; set spec.outpost or spec.authentik.url in Settings`, e, ["spec"]);
      }
      if ((s.groups ?? []).length === 0 && (s.users ?? []).length === 0 && !s.metadata) {
        this.rep.warn("auth-open", `AuthPolicy "${name}" names no groups or users: every authentik user may pass`, e, ["spec"]);
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

  private resolveUpstreams(): Map<string, ResolvedPool> {
    const out = new Map<string, ResolvedPool>();
    for (const e of this.list<UpstreamResource>("Upstream")) {
      const pool = this.pool(e, e.resource.spec, undefined);
      if (pool) out.set(e.resource.metadata.name, pool);
    }
    return out;
  }

  /** Builds a pool from inline fields (a Route's or an Upstream's); `defaultPort` from a preset. */
  private pool(e: Entry, s: Pick<RouteSpecT, "upstreams" | "loadBalancing" | "healthCheck" | "timeouts" | "upstreamTls">, defaultPort: number | undefined): ResolvedPool | undefined {
    const targets = (s.upstreams ?? []).flatMap((t, i) => {
      const hp = parseHostPort(t.address, defaultPort);
      if (!hp.ok) {
        this.rep.error("address", `spec.upstreams[${i}].address: ${JSON.stringify(t.address)} ${hp.reason}`, e, ["spec", "upstreams", i, "address"]);
        return [];
      }
      const host = hp.value.host.includes(":") ? `[${hp.value.host}]` : hp.value.host;
      return [{ address: `${host}:${hp.value.port}`, weight: t.weight ?? 1 }];
    });
    const seen = new Map<string, number>();
    targets.forEach((t, i) => {
      if (seen.has(t.address)) this.rep.warn("duplicate-upstream", `spec.upstreams[${i}]: ${t.address} is listed twice (also spec.upstreams[${seen.get(t.address)}])`, e, ["spec", "upstreams", i]);
      else seen.set(t.address, i);
    });
    const weighted = new Set(targets.map((t) => t.weight)).size > 1;
    const pool: ResolvedPool = {
      targets,
      policy: s.loadBalancing?.policy ?? (weighted ? "weighted_round_robin" : "round_robin"),
      timeouts: { ...s.timeouts },
    };
    if (weighted && s.loadBalancing?.policy && s.loadBalancing.policy !== "weighted_round_robin") {
      this.rep.warn("weights-ignored", `upstream weights are only used by policy weighted_round_robin; policy is ${s.loadBalancing.policy}`, e, ["spec", "loadBalancing", "policy"]);
    }
    if (s.loadBalancing?.tryDuration) pool.tryDuration = s.loadBalancing.tryDuration;
    if (s.loadBalancing?.tryInterval) pool.tryInterval = s.loadBalancing.tryInterval;
    const a = s.healthCheck?.active;
    if (a) {
      pool.active = { path: a.path, interval: a.interval ?? "30s", timeout: a.timeout ?? "5s" };
      if (a.expectStatus !== undefined) pool.active.expectStatus = a.expectStatus;
      if (a.port !== undefined) pool.active.port = a.port;
      if (parseDuration(pool.active.timeout) > parseDuration(pool.active.interval)) {
        this.rep.warn("health-check", `spec.healthCheck.active: timeout ${pool.active.timeout} is longer than the interval ${pool.active.interval}`, e, ["spec", "healthCheck", "active", "timeout"]);
      }
    }
    const p = s.healthCheck?.passive;
    if (p) {
      pool.passive = { failDuration: p.failDuration ?? "30s", maxFails: p.maxFails ?? 1 };
      if (p.unhealthyStatus) pool.passive.unhealthyStatus = [...p.unhealthyStatus].sort((x, y) => x - y);
      if (p.unhealthyLatency) pool.passive.unhealthyLatency = p.unhealthyLatency;
    }
    const t = s.upstreamTls;
    if (t && (t.enabled === true || (t.enabled === undefined && (t.serverName || t.insecureSkipVerify || t.ca)))) {
      pool.tls = { insecureSkipVerify: t.insecureSkipVerify ?? false };
      if (t.serverName) pool.tls.serverName = t.serverName;
      if (t.ca) pool.tls.ca = t.ca;
      if (t.insecureSkipVerify && t.ca) this.rep.warn("upstream-tls", "upstreamTls: insecureSkipVerify makes the ca unused; drop one of them", e, ["spec", "upstreamTls", "insecureSkipVerify"]);
    }
    return targets.length === (s.upstreams ?? []).length ? pool : undefined;
  }

  private resolveCertificates(): Map<string, ResolvedCertificate> {
    const out = new Map<string, ResolvedCertificate>();
    for (const e of this.list<CertificateResource>("Certificate")) {
      const s = e.resource.spec;
      const name = e.resource.metadata.name;
      const hosts = this.hosts(e, s.hosts).map((h) => h.host);
      const c: ResolvedCertificate = { name, hosts: [...new Set(hosts)].sort(), issuer: s.issuer };
      if (s.issuer === "imported") {
        if (!s.certificate) this.rep.error("certificate", `Certificate "${name}" has issuer imported but no spec.certificate (a secret ref to the PEM chain)`, e, ["spec", "issuer"]);
        if (!s.key) this.rep.error("certificate", `Certificate "${name}" has issuer imported but no spec.key (a secret ref to the PEM key)`, e, ["spec", "issuer"]);
        if (s.acme) this.rep.error("certificate", `spec.acme is only for issuer acme`, e, ["spec", "acme"]);
        if (s.certificate) c.certificate = s.certificate;
        if (s.key) c.key = s.key;
      } else {
        if (s.certificate || s.key) this.rep.error("certificate", `spec.certificate and spec.key are only for issuer imported (issuer is ${s.issuer})`, e, ["spec", s.certificate ? "certificate" : "key"]);
        if (s.issuer === "acme") {
          const challenge = s.acme?.challenge ?? "http-01";
          c.acme = { challenge };
          const email = s.acme?.email ?? this.settings.acme.email;
          const ca = s.acme?.ca ?? this.settings.acme.ca;
          if (email) c.acme.email = email;
          if (ca) c.acme.ca = ca;
          if (challenge === "dns-01" && !this.settings.caddy.modules.includes(HETZNER_DNS_MODULE)) {
            this.rep.error(
              "caddy-module",
              `spec.acme.challenge dns-01 needs the Caddy module "${HETZNER_DNS_MODULE}", which Settings spec.caddy.modules does not list (the Debian caddy package does not have it); build Caddy with it and list it, or use http-01 / tls-alpn-01`,
              e,
              ["spec", "acme", "challenge"],
            );
          }
          if (challenge !== "dns-01" && hosts.some((h) => h.startsWith("*."))) {
            this.rep.error("certificate", `wildcard certificates need the dns-01 challenge; set spec.acme.challenge: dns-01`, e, ["spec", "hosts"]);
          }
        } else if (s.acme) this.rep.error("certificate", `spec.acme is only for issuer acme`, e, ["spec", "acme"]);
      }
      out.set(name, c);
    }
    return out;
  }

  // ---- hosts --------------------------------------------------------------------------------

  private hosts(e: Entry, hosts: string[], base: PathSeg[] = ["spec", "hosts"]): { host: string; i: number }[] {
    const out: { host: string; i: number }[] = [];
    const seen = new Map<string, number>();
    hosts.forEach((h, i) => {
      const r = normalizeHost(h);
      if (!r.ok) {
        this.rep.error("domain", `${formatPath([...base, i])}: ${JSON.stringify(h)} ${r.reason}`, e, [...base, i]);
        return;
      }
      if (seen.has(r.value)) {
        this.rep.warn("duplicate-host", `${formatPath([...base, i])}: ${r.value} is listed twice`, e, [...base, i]);
        return;
      }
      seen.set(r.value, i);
      out.push({ host: r.value, i });
    });
    return out;
  }

  // ---- routes -------------------------------------------------------------------------------

  private routeUnits(): RouteUnit[] {
    return this.list<RouteResource>("Route").map((entry) => {
      let spec = entry.resource.spec;
      let preset: RoutePreset | undefined;
      if (spec.preset !== undefined) {
        preset = routePreset(spec.preset);
        if (!preset) {
          const names = listRoutePresetNames();
          const close = suggest(spec.preset, names);
          this.rep.error("preset", `spec.preset: unknown route preset ${JSON.stringify(spec.preset)}${close ? ` (did you mean "${close}"?)` : ""}; known: ${names.join(", ")}`, entry, ["spec", "preset"]);
        } else {
          spec = deepMerge(preset.spec as RouteSpecT, spec);
        }
      }
      return { entry, spec, ...(preset ? { preset } : {}), hosts: this.hosts(entry, spec.hosts) };
    });
  }

  private resolveRoute(
    u: RouteUnit,
    middleware: Map<string, ResolvedMiddleware>,
    authPolicies: Map<string, ResolvedAuthPolicy>,
    upstreams: Map<string, ResolvedPool>,
    certificates: Map<string, ResolvedCertificate>,
  ): ResolvedRoute | undefined {
    const e = u.entry;
    const s = u.spec;
    const name = e.resource.metadata.name;
    const rep = this.rep;

    // where requests go
    let pool: ResolvedPool | undefined;
    if (s.upstream !== undefined && s.upstreams !== undefined) {
      rep.error("upstream", `route "${name}" has both spec.upstream (a named Upstream) and inline spec.upstreams; use one`, e, ["spec", "upstream"], { key: true });
    } else if (s.upstream !== undefined) {
      const up = this.get<UpstreamResource>("Upstream", s.upstream);
      if (!up) rep.error("dangling-ref", `spec.upstream: Upstream "${s.upstream}" does not exist (referenced by route "${name}")${hint(s.upstream, this.names("Upstream"))}`, e, ["spec", "upstream"]);
      else pool = upstreams.get(s.upstream);
      for (const k of ["loadBalancing", "healthCheck", "timeouts", "upstreamTls"] as const) {
        if (e.resource.spec[k] !== undefined) rep.error("upstream", `spec.${k}: belongs on Upstream "${s.upstream}" when the route uses a named upstream`, e, ["spec", k], { key: true });
      }
    } else if (s.upstreams !== undefined) {
      pool = this.pool(e, s, u.preset?.port);
    } else {
      rep.error("upstream", `route "${name}" has no upstream: set spec.upstreams (inline) or spec.upstream (the name of an Upstream)`, e, ["spec"], { key: true });
    }

    // middleware
    const mws: ResolvedMiddleware[] = [];
    (s.middleware ?? []).forEach((m, i) => {
      const mw = middleware.get(m);
      if (!mw) {
        rep.error("dangling-ref", `spec.middleware[${i}]: Middleware "${m}" does not exist (referenced by route "${name}")${hint(m, this.names("Middleware"))}`, e, ["spec", "middleware", i]);
        return;
      }
      if (mw.type === "rate-limit" && !this.settings.caddy.modules.includes(RATE_LIMIT_MODULE)) {
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
      if (!auth) rep.error("dangling-ref", `spec.authPolicy: AuthPolicy "${s.authPolicy}" does not exist (referenced by route "${name}")${hint(s.authPolicy, this.names("AuthPolicy"))}`, e, ["spec", "authPolicy"]);
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
      if (!c) rep.error("dangling-ref", `spec.tls.certificate: Certificate "${s.tls.certificate}" does not exist (referenced by route "${name}")${hint(s.tls.certificate, this.names("Certificate"))}`, e, ["spec", "tls", "certificate"]);
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
      const target = s.dns.target ?? this.settings.dns.target;
      if (!target) rep.error("dns", `spec.dns: no target for the route's DNS records; set spec.dns.target or spec.dns.target in Settings`, e, ["spec", "dns"]);
      else {
        const t = s.dns.target ? this.checkDnsTarget(e, ["spec", "dns", "target"], s.dns.target) : { value: target };
        if (t) dns = { target: t.value, ttl: s.dns.ttl ?? this.settings.dns.defaultTtl };
      }
    }
    if (!pool) return undefined;
    const route: ResolvedRoute = {
      name,
      labels: sortRecord(e.resource.metadata.labels ?? {}),
      protected: e.resource.metadata.protected ?? false,
      hosts: u.hosts.map((x) => x.host).sort(),
      paths: [...new Set(s.paths ?? [])].sort(),
      pool,
      websockets: s.websockets ?? false,
      headers: { request: headerOps(s.headers?.request), response: headerOps(s.headers?.response) },
      middleware: mws,
      ssoBypass: [...new Set(s.ssoBypass ?? [])].sort(),
      tls,
    };
    if (s.upstream !== undefined) route.upstreamName = s.upstream;
    if (auth) route.auth = auth;
    if (s.maintenance?.enabled) {
      route.maintenance = { message: s.maintenance.message ?? "This service is down for maintenance. Please try again later." };
      if (s.maintenance.retryAfter) route.maintenance.retryAfter = s.maintenance.retryAfter;
    }
    if (ipFilter) route.ipFilter = ipFilter;
    if (dns) route.dns = dns;
    return route;
  }

  private checkDnsTarget(e: Entry, path: PathSeg[], target: string): { value: string } | undefined {
    if (isIPv4(target) || isIPv6(target)) return { value: target };
    const h = normalizeHost(target, { wildcard: false });
    if (!h.ok) {
      this.rep.error("dns", `${formatPath(path)}: ${JSON.stringify(target)} is neither an IP address nor a valid host name (${h.reason})`, e, path);
      return undefined;
    }
    return { value: h.value };
  }

  private names(kind: Kind): string[] {
    return [...(this.byKind.get(kind)?.keys() ?? [])];
  }

  /** Same host+path on two routes, and wildcard precedence that may surprise. */
  private checkHostCollisions(units: RouteUnit[]): void {
    const served = new Map<string, { u: RouteUnit; i: number; pathIdx?: number }>();
    // "/" and "/api/" mean the same prefixes as "" (all paths) and "/api".
    const normPath = (p: string) => p.replace(/\/+$/, "");
    for (const u of units) {
      const paths = u.spec.paths && u.spec.paths.length > 0 ? u.spec.paths.map((p, j) => ({ p: normPath(p), j })) : [{ p: "", j: -1 }];
      for (const { host, i } of u.hosts) {
        for (const { p, j } of paths) {
          const key = `${host} ${p}`;
          const prev = served.get(key);
          const here = j >= 0 ? ["spec", "paths", j] : ["spec", "hosts", i];
          if (prev && prev.u !== u) {
            const what = `${host}${p ? ` path ${p}` : " (all paths)"}`;
            const kindWord = host.startsWith("*.") ? "overlapping wildcard" : "duplicate host+path";
            this.rep.error(
              host.startsWith("*.") ? "overlapping-wildcard" : "duplicate-host",
              `${kindWord}: ${what} is served by both route "${prev.u.entry.resource.metadata.name}" (${where(prev.u.entry, ["spec", "hosts", prev.i])}) and route "${u.entry.resource.metadata.name}" (${where(u.entry, ["spec", "hosts", i])}); a host+path may belong to one route only`,
              u.entry,
              here,
            );
          } else if (prev && prev.u === u && j >= 0) {
            this.rep.warn("duplicate-path", `spec.paths[${j}]: ${p} is listed twice`, u.entry, here);
          } else if (!prev) served.set(key, { u, i });
        }
      }
    }
    // Exact host served only on some paths while a wildcard route takes the rest.
    const allPaths = new Set([...served.keys()].filter((k) => k.endsWith(" ")).map((k) => k.slice(0, -1)));
    for (const u of units) {
      if (!u.spec.paths || u.spec.paths.length === 0) continue;
      for (const { host, i } of u.hosts) {
        if (host.startsWith("*.") || allPaths.has(host)) continue;
        const wild = `*.${host.split(".").slice(1).join(".")}`;
        if (!allPaths.has(wild)) continue;
        const w = served.get(`${wild} `)!;
        this.rep.warn(
          "wildcard-precedence",
          `${host} is served by route "${u.entry.resource.metadata.name}" only on ${u.spec.paths.join(", ")}; its other paths fall through to wildcard route "${w.u.entry.resource.metadata.name}" (${wild}, ${where(w.u.entry, ["spec", "hosts", w.i])})`,
          u.entry,
          ["spec", "hosts", i],
        );
      }
    }
  }

  /** forward_domain cookie domains must be a parent of every host that uses the policy. */
  private checkCookieDomains(units: RouteUnit[], policies: Map<string, ResolvedAuthPolicy>): void {
    for (const u of units) {
      const p = u.spec.authPolicy ? policies.get(u.spec.authPolicy) : undefined;
      if (!p?.cookieDomain) continue;
      for (const { host, i } of u.hosts) {
        if (!isUnder(host, p.cookieDomain)) {
          this.rep.error(
            "cookie-domain",
            `spec.hosts[${i}]: ${host} is not under cookie domain "${p.cookieDomain}" of AuthPolicy "${p.name}"; the browser would never send the session cookie (a redirect loop)`,
            u.entry,
            ["spec", "hosts", i],
          );
        }
      }
    }
  }

  // ---- streams ------------------------------------------------------------------------------

  private resolveStreams(): StreamUnit[] {
    const out: StreamUnit[] = [];
    for (const e of this.list<StreamResource>("Stream")) {
      const s = e.resource.spec;
      const name = e.resource.metadata.name;
      const ipFilter = checkIpFilter(this.rep, e, ["spec", "ipFilter"], s.ipFilter);
      // listen: a port, "address:port", or (presets) an address alone
      let address: string | undefined;
      let port: number | undefined;
      if (s.listen !== undefined) {
        const l = parseListen(s.listen);
        if (!l.ok) {
          this.rep.error("address", `spec.listen: ${JSON.stringify(s.listen)} ${l.reason}`, e, ["spec", "listen"]);
          continue;
        }
        address = l.address;
        port = l.port;
      }
      type Part = { suffix?: string; port: number; protocol: "tcp" | "udp"; idle?: string; connect?: string };
      let parts: Part[];
      if (s.preset !== undefined) {
        const p = streamPreset(s.preset);
        if (!p) {
          const close = suggest(s.preset, listStreamPresetNames());
          this.rep.error("preset", `spec.preset: unknown stream preset ${JSON.stringify(s.preset)}${close ? ` (did you mean "${close}"?)` : ""}; known: ${listStreamPresetNames().join(", ")}`, e, ["spec", "preset"]);
          continue;
        }
        parts = p.ports.filter((x) => !s.protocol || x.protocol === s.protocol);
        if (port !== undefined) {
          if (parts.length !== 1) {
            this.rep.error("stream", `spec.listen: preset ${p.name} listens on several ports (${p.ports.map((x) => `${x.port}/${x.protocol}`).join(", ")}); give an address only (e.g. "0.0.0.0") or no listen`, e, ["spec", "listen"]);
            continue;
          }
          parts = [{ ...parts[0]!, port }];
        }
      } else {
        if (port === undefined) {
          this.rep.error("stream", s.listen === undefined ? `stream "${name}" has no spec.listen (a port, or "address:port")` : `spec.listen: ${JSON.stringify(s.listen)} has no port`, e, s.listen === undefined ? ["spec"] : ["spec", "listen"], { key: true });
          continue;
        }
        parts = [{ port, protocol: s.protocol ?? "tcp" }];
      }
      const multi = parts.length > 1;
      for (const part of parts) {
        const ups: ResolvedStreamUpstream[] = [];
        s.upstreams.forEach((u, i) => {
          if (multi && hasPort(u.address)) {
            this.rep.error("address", `spec.upstreams[${i}].address: with preset ${s.preset} (several ports) give the host only; the preset supplies each port`, e, ["spec", "upstreams", i, "address"]);
            return;
          }
          const hp = parseHostPort(u.address, s.preset !== undefined ? part.port : undefined);
          if (!hp.ok) {
            this.rep.error("address", `spec.upstreams[${i}].address: ${JSON.stringify(u.address)} ${hp.reason}`, e, ["spec", "upstreams", i, "address"]);
            return;
          }
          const host = hp.value.host.includes(":") ? `[${hp.value.host}]` : hp.value.host;
          const r: ResolvedStreamUpstream = { address: `${host}:${hp.value.port}`, weight: u.weight ?? 1, maxFails: u.maxFails ?? 1, failTimeout: u.failTimeout ?? "10s", backup: u.backup ?? false };
          if (u.maxConns !== undefined) r.maxConns = u.maxConns;
          ups.push(r);
        });
        if (ups.length !== s.upstreams.length) continue;
        const idleDefault = part.idle ?? (part.protocol === "udp" ? "30s" : "10m");
        const idle = s.timeouts?.idle ?? idleDefault;
        const connect = s.timeouts?.connect ?? part.connect ?? "5s";
        if (part.protocol === "tcp" && MAIL_PORTS.has(part.port) && parseDuration(idle) < MAIL_MIN_IDLE_MS) {
          this.rep.error(
            "stream-timeout",
            `spec.timeouts.idle: ${idle} is too short for mail port ${part.port}; mail sessions sit idle for minutes (SMTP allows 5 minutes per command, IMAP IDLE 29), so nginx would cut them. Use at least 10m`,
            e,
            ["spec", "timeouts", "idle"],
          );
        }
        const resolved: ResolvedStream = {
          name: part.suffix ? `${name}-${part.suffix}` : name,
          labels: sortRecord(e.resource.metadata.labels ?? {}),
          protocol: part.protocol,
          listen: { port: part.port, ...(address !== undefined ? { address } : {}) },
          upstreams: ups,
          timeouts: { connect, idle },
          proxyProtocol: s.proxyProtocol ?? false,
          ...(s.balancing ? { balancing: s.balancing } : {}),
          ...(ipFilter ? { ipFilter } : {}),
        };
        out.push({ entry: e, resolved, listenPath: s.listen !== undefined ? ["spec", "listen"] : ["spec", "preset"] });
      }
    }
    return out;
  }

  private checkStreamPorts(units: StreamUnit[]): void {
    const wild = (a?: string) => a === undefined || a === "*" || a === "0.0.0.0" || a === "[::]" || a === "::";
    const overlap = (a?: string, b?: string) => wild(a) || wild(b) || a === b;
    const seen: StreamUnit[] = [];
    const names = new Map<string, StreamUnit>();
    for (const u of units) {
      const r = u.resolved;
      const dupName = names.get(r.name);
      if (dupName && dupName.entry !== u.entry) this.rep.error("duplicate-name", `stream name "${r.name}" (from a preset) collides with stream "${dupName.entry.resource.metadata.name}"`, u.entry, ["metadata", "name"]);
      names.set(r.name, u);
      for (const o of seen) {
        const q = o.resolved;
        if (q.protocol === r.protocol && q.listen.port === r.listen.port && overlap(q.listen.address, r.listen.address)) {
          this.rep.error(
            "port-collision",
            `stream "${r.name}" listens on ${r.listen.port}/${r.protocol}${r.listen.address ? ` (${r.listen.address})` : ""}, as does stream "${q.name}" (${where(o.entry, o.listenPath)}); each port+protocol+address may be used once`,
            u.entry,
            u.listenPath,
          );
        }
      }
      seen.push(u);
      // Caddy binds its HTTP and HTTPS ports (TCP, and UDP for HTTP/3 on the HTTPS port).
      const c = this.settings.caddy;
      const caddyTcp = new Set([c.httpPort, c.httpsPort, ...c.listen.map(caddyListenPort).filter((x): x is number => x !== undefined)]);
      const clash = r.protocol === "tcp" ? caddyTcp.has(r.listen.port) : r.listen.port === c.httpsPort;
      if (clash) {
        this.rep.error(
          "port-collision",
          `stream "${r.name}" listens on ${r.listen.port}/${r.protocol}, which Caddy uses (${r.protocol === "udp" ? "HTTP/3 on its HTTPS port" : `httpPort ${c.httpPort}, httpsPort ${c.httpsPort}, listen ${c.listen.join(" ")}`} in Settings); pick another port or move Caddy`,
          u.entry,
          u.listenPath,
        );
      }
    }
  }

  // ---- DNS ----------------------------------------------------------------------------------

  private resolveDns(routes: ResolvedRoute[]): ResolvedDnsRecord[] {
    const recs: { rec: ResolvedDnsRecord; entry?: Entry; path: PathSeg[] }[] = [];
    for (const e of this.list<DnsRecordResource>("DnsRecord")) {
      const s = e.resource.spec;
      const h = normalizeHost(s.name);
      if (!h.ok) {
        this.rep.error("domain", `spec.name: ${JSON.stringify(s.name)} ${h.reason}`, e, ["spec", "name"]);
        continue;
      }
      s.values.forEach((v, i) => {
        const bad = (why: string) => this.rep.error("dns", `spec.values[${i}]: ${JSON.stringify(v)} ${why}`, e, ["spec", "values", i]);
        if (s.type === "A" && !isIPv4(v)) bad("is not an IPv4 address (type A)");
        if (s.type === "AAAA" && !isIPv6(v)) bad("is not an IPv6 address (type AAAA)");
        if ((s.type === "CNAME" || s.type === "NS") && !normalizeHost(v, { wildcard: false }).ok) bad(`is not a host name (type ${s.type})`);
        if (s.type === "MX" && !/^\d+ \S+$/.test(v)) bad('is not "PRIORITY HOST" (type MX), e.g. "10 mail.example.com"');
      });
      if (s.type === "CNAME" && s.values.length > 1) this.rep.error("dns", `a CNAME has exactly one value; got ${s.values.length}`, e, ["spec", "values"]);
      recs.push({ rec: { name: e.resource.metadata.name, fqdn: h.value, type: s.type, values: [...s.values].sort(), ttl: s.ttl ?? this.settings.dns.defaultTtl }, entry: e, path: ["spec", "name"] });
    }
    for (const r of routes) {
      if (!r.dns) continue;
      const type = isIPv4(r.dns.target) ? "A" : isIPv6(r.dns.target) ? "AAAA" : "CNAME";
      const e = this.get("Route", r.name);
      for (const host of r.hosts) recs.push({ rec: { name: `route:${r.name}`, fqdn: host, type, values: [r.dns.target], ttl: r.dns.ttl }, ...(e ? { entry: e } : {}), path: ["spec", "dns"] });
    }
    const byFqdn = new Map<string, typeof recs>();
    for (const x of recs) {
      const l = byFqdn.get(x.rec.fqdn) ?? [];
      for (const o of l) {
        const sameType = o.rec.type === x.rec.type;
        const cname = o.rec.type === "CNAME" || x.rec.type === "CNAME";
        if (sameType || cname) {
          const what = sameType ? `a second ${x.rec.type} record set` : "a CNAME next to other records (not allowed at the same name)";
          const msg = `DNS ${x.rec.fqdn}: ${what}: "${x.rec.name}" and "${o.rec.name}"${o.entry ? ` (${where(o.entry, o.path)})` : ""}`;
          if (x.entry) this.rep.error("dns-conflict", msg, x.entry, x.path);
          else this.rep.error("dns-conflict", msg);
        }
      }
      l.push(x);
      byFqdn.set(x.rec.fqdn, l);
    }
    return recs.map((x) => x.rec).sort((a, b) => cmp(a.fqdn, b.fqdn) || cmp(a.type, b.type) || cmp(a.name, b.name));
  }

  // ---- compliance ---------------------------------------------------------------------------

  private checkCompliance(routes: ResolvedRoute[]): void {
    const today = this.now.toISOString().slice(0, 10);
    for (const pe of this.list<CompliancePolicyResource>("CompliancePolicy")) {
      const p = pe.resource.spec;
      const pname = pe.resource.metadata.name;
      const severity = p.severity ?? "error";
      const exemptions = p.exemptions ?? [];
      exemptions.forEach((x, i) => {
        if (x.expires < today) {
          this.rep.error("exemption-expired", `exemption of route "${x.route}" (${x.reason}) expired on ${x.expires}; renew it with a new date or fix the route`, pe, ["spec", "exemptions", i, "expires"]);
        } else if (isNaN(Date.parse(`${x.expires}T00:00:00Z`))) {
          this.rep.error("schema", `spec.exemptions[${i}].expires: ${x.expires} is not a calendar date`, pe, ["spec", "exemptions", i, "expires"]);
        }
        if (!this.get("Route", x.route)) this.rep.warn("dangling-ref", `spec.exemptions[${i}].route: route "${x.route}" does not exist`, pe, ["spec", "exemptions", i, "route"]);
      });
      for (const r of routes) {
        if (!Object.entries(p.selector ?? {}).every(([k, v]) => r.labels[k] === v)) continue;
        const re = this.get("Route", r.name);
        for (const rule of p.rules) {
          const exempt = exemptions.some((x) => x.route === r.name && x.expires >= today && (!x.rules || x.rules.includes(rule)));
          if (exempt) continue;
          const failure = complianceFailure(rule, r);
          if (failure) {
            this.rep.report(severity, "compliance", `route "${r.name}" breaks rule ${rule} of CompliancePolicy "${pname}": ${failure}`, re, ["metadata", "name"]);
          }
        }
      }
    }
  }
}

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
      return r.pool.tls?.insecureSkipVerify ? "it skips upstream certificate verification (upstreamTls.insecureSkipVerify)" : undefined;
    case "require-security-headers":
      return r.middleware.some((m) => m.type === "security-headers") ? undefined : "it has no security-headers middleware";
    case "require-mfa":
      return r.auth?.requireMfa ? undefined : r.auth ? `its AuthPolicy "${r.auth.name}" does not set requireMfa: true` : "it has no authentication at all";
    default:
      return undefined;
  }
}

function coversHost(certHost: string, host: string): boolean {
  if (certHost === host) return true;
  if (certHost.startsWith("*.") && !host.startsWith("*.")) return host.split(".").slice(1).join(".") === certHost.slice(2);
  return false;
}

function headerOps(o: { set?: Record<string, string>; remove?: string[] } | undefined): { set: Record<string, string>; remove: string[] } {
  return { set: sortRecord(o?.set ?? {}), remove: [...new Set(o?.remove ?? [])].sort() };
}

function sortRecord<T>(r: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => cmp(a, b)));
}

function hint(name: string, candidates: string[]): string {
  if (candidates.length === 0) return "";
  const close = candidates.filter((c) => c.includes(name) || name.includes(c)).slice(0, 3);
  return close.length > 0 ? ` (did you mean ${close.map((c) => `"${c}"`).join(", ")}?)` : "";
}

function listRoutePresetNames(): string[] {
  return ROUTE_PRESETS.map((p) => p.name).sort();
}
function listStreamPresetNames(): string[] {
  return STREAM_PRESETS.map((p) => p.name).sort();
}

/** The port of a Caddy listen address (":443", "0.0.0.0:443", "[::]:8443"). */
function caddyListenPort(l: string): number | undefined {
  const m = /:(\d+)$/.exec(l);
  if (!m) return undefined;
  const p = Number(m[1]);
  return p >= 1 && p <= 65535 ? p : undefined;
}

/** A stream listen value: 993, "993", "10.0.0.1:993", "[2001:db8::1]:993", or an address alone. */
function parseListen(l: number | string): { ok: true; address?: string; port?: number } | { ok: false; reason: string } {
  if (typeof l === "number") return { ok: true, port: l };
  if (/^\d+$/.test(l)) {
    const p = Number(l);
    return p >= 1 && p <= 65535 ? { ok: true, port: p } : { ok: false, reason: `port ${p} is out of range (1-65535)` };
  }
  if (/^\d+-\d+$/.test(l)) return { ok: false, reason: "is a port range; a stream listens on one port (see the coturn preset notes for relay ranges)" };
  let addr: string;
  let portStr: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(l);
  if (v6) {
    if (!isIPv6(v6[1]!)) return { ok: false, reason: `"${v6[1]}" is not a valid IPv6 address` };
    addr = `[${v6[1]}]`;
    portStr = v6[2];
  } else if (l.includes(":")) {
    if (l.indexOf(":") !== l.lastIndexOf(":")) return { ok: false, reason: 'an IPv6 address must be written in brackets, as in "[::1]:993"' };
    [addr, portStr] = l.split(":") as [string, string];
  } else addr = l;
  if (!v6 && addr !== "*" && addr !== "localhost" && !isIPv4(addr)) return { ok: false, reason: `listen address "${addr}" must be an IP address, "*" or "localhost"` };
  if (portStr === undefined) return { ok: true, address: addr };
  if (!/^\d+$/.test(portStr)) return { ok: false, reason: `port "${portStr}" is not a number` };
  const port = Number(portStr);
  if (port < 1 || port > 65535) return { ok: false, reason: `port ${port} is out of range (1-65535)` };
  return { ok: true, address: addr, port };
}
