// The resolved model: what compile/* consumes. References are followed, presets and defaults
// applied, hosts normalized to lower-case punycode, lists in a stable order. No secrets values:
// secret references stay references until a provider resolves them at apply time.

export interface ResolvedTarget {
  address: string; // host:port
  weight: number; // >= 1
}

export interface ResolvedPool {
  targets: ResolvedTarget[];
  policy: "round_robin" | "weighted_round_robin" | "least_conn" | "random" | "first" | "ip_hash" | "uri_hash" | "cookie";
  tryDuration?: string;
  tryInterval?: string;
  active?: { path: string; interval: string; timeout: string; expectStatus?: number; port?: number };
  passive?: { failDuration: string; maxFails: number; unhealthyStatus?: number[]; unhealthyLatency?: string };
  timeouts: { dial?: string; read?: string; write?: string; responseHeader?: string };
  tls?: { serverName?: string; insecureSkipVerify: boolean; ca?: string /* SecretRef */ };
}

export interface ResolvedHeaderOps {
  set: Record<string, string>;
  remove: string[];
}

/** A middleware after resolution, in the order the route lists it. */
export type ResolvedMiddleware =
  | { name: string; type: "rate-limit"; requests: number; window: string; key: "ip" | "host" }
  | { name: string; type: "compression"; encodings: ("gzip" | "zstd")[]; minLength?: number }
  | { name: string; type: "security-headers"; headers: Record<string, string> }
  | { name: string; type: "ip-filter"; allow: string[]; deny: string[] }
  | { name: string; type: "basic-auth"; realm: string; users: { username: string; passwordHash: string /* SecretRef */ }[] }
  | { name: string; type: "headers"; request: ResolvedHeaderOps; response: ResolvedHeaderOps }
  | { name: string; type: "redirect"; kind: "https" | "www-to-apex" | "apex-to-www" | "custom"; to?: string; code: 301 | 302 | 307 | 308 }
  | { name: string; type: "request-size"; maxBytes: number }
  | { name: string; type: "audit-log"; includeHeaders: boolean };

export interface ResolvedAuthPolicy {
  name: string;
  mode: "forward_single" | "forward_domain";
  cookieDomain?: string;
  flow: string;
  groups: string[];
  users: string[];
  requireMfa: boolean;
  sessionDuration: string;
  allowedMethods: string[];
  metadata: { required: string[]; equals: Record<string, string> };
  /** host:port (or URL) of the authentik outpost Caddy sends forward-auth requests to. */
  outpost: string;
}

/**
 * How an app with an auth policy signs users in when it does so itself, through authentik as an
 * OIDC or SAML identity provider (a route without it uses forward auth). Paths, not URLs: the
 * authentik compiler knows how users reach the hosts.
 */
export type ResolvedSignIn =
  | { protocol: "oidc"; clientId?: string; clientSecret: string /* SecretRef */; redirectPaths: string[]; signingCertificate: string }
  | { protocol: "saml"; acsPath: string; audience: string; binding: "post" | "redirect"; signingCertificate: string };

export interface ResolvedRoute {
  name: string;
  labels: Record<string, string>;
  protected: boolean;
  hosts: string[]; // lower-case, punycode, sorted
  paths: string[]; // path prefixes; [] = all
  /** Absent only on a route that is served by its caddyRoutes alone. */
  pool?: ResolvedPool;
  /** Caddy routes kept verbatim (spec.caddyRoutes), served before the pool. */
  caddyRoutes?: Record<string, unknown>[];
  /** Name of the Upstream resource the pool came from, if any. */
  upstreamName?: string;
  websockets: boolean;
  headers: { request: ResolvedHeaderOps; response: ResolvedHeaderOps };
  middleware: ResolvedMiddleware[];
  auth?: ResolvedAuthPolicy; // undefined = public
  /** Set when the app signs users in by OIDC or SAML; absent with an auth policy = forward auth. */
  signIn?: ResolvedSignIn;
  ssoBypass: string[];
  tls: {
    mode: "auto" | "internal" | "off";
    minVersion: "1.2" | "1.3";
    hsts?: { maxAge: number /* seconds */; includeSubdomains: boolean; preload: boolean };
    forceHttps: boolean;
    certificate?: string;
  };
  maintenance?: { message: string; retryAfter?: string; page?: string; reason?: string };
  ipFilter?: { allow: string[]; deny: string[] };
  /** Traffic shared between the route's own pool and others (progressive delivery, see delivery.ts). */
  split?: ResolvedSplit;
  /** Client addresses (IP or CIDR) refused with 403 on this route, sorted. */
  blocks?: string[];
  /** Break-glass: served without sign-in until `until` (the reconcile loop lifts it). */
  bypassAuth?: { until: string; reason: string };
  dns?: { target: string; ttl: number };
}

/** One pool a split sends requests to, other than the route's own. */
export interface ResolvedSplitPool {
  name: string;
  pool: ResolvedPool;
  /** Percent of requests (0-100) chosen at random; opt-ins and sticky cookies come first. */
  percent: number;
}

export interface ResolvedSplit {
  /** What the route's own pool is called (the X-Hecate-Pool value and sticky cookie of its requests). */
  main: string;
  pools: ResolvedSplitPool[]; // sorted by name
  header?: { name: string; value: string; pool: string };
  cookie?: { name: string; value: string; pool: string };
  sticky?: { cookie: string; maxAge: number /* seconds */ };
}

export interface ResolvedStreamUpstream {
  address: string;
  weight: number;
  maxFails: number;
  failTimeout: string;
  maxConns?: number;
  backup: boolean;
}

export interface ResolvedStream {
  name: string;
  labels: Record<string, string>;
  protocol: "tcp" | "udp";
  listen: { address?: string; port: number };
  upstreams: ResolvedStreamUpstream[];
  balancing?: "round_robin" | "least_conn" | "random" | "hash";
  timeouts: { connect: string; idle: string };
  proxyProtocol: boolean;
  ipFilter?: { allow: string[]; deny: string[] };
}

export interface ResolvedDnsRecord {
  /** Resource name, or `route:<route>` for records a route implies. */
  name: string;
  fqdn: string; // lower-case punycode, no trailing dot
  type: string;
  values: string[]; // sorted
  ttl: number;
}

export interface ResolvedCertificate {
  name: string;
  hosts: string[];
  issuer: "acme" | "internal" | "imported";
  acme?: { email?: string; ca?: string; challenge: "http-01" | "tls-alpn-01" | "dns-01" };
  certificate?: string; // SecretRef
  key?: string; // SecretRef
  /**
   * A dns-01 certificate Hecate holds (src/certs/issued.ts), filled in from the store before
   * compiling: the generation Caddy is to serve (a renewal is a change Caddy loads) and, when the
   * plan obtains it (the certs provider is in play), why. Absent: not held and not obtained now.
   */
  issued?: { generation: number; obtain?: ObtainReason };
}

/** Why a Hecate-held certificate is obtained now: never held, revoked at its CA, its hosts changed, or two thirds of its lifetime passed. */
export type ObtainReason = "missing" | "revoked" | "hosts" | "due";

/** Certificates Hecate obtains itself (DNS-01 through its DNS provider) rather than Caddy. */
export function obtainedByHecate(c: ResolvedCertificate): boolean {
  return c.issuer === "acme" && c.acme?.challenge === "dns-01";
}

export interface ResolvedSettings {
  caddy: {
    admin: string[];
    version?: string;
    modules: string[];
    server: string;
    listen: string[];
    httpPort: number;
    httpsPort: number;
    /** Admin API request timeout and the extra wait for a timed-out write's answer (client defaults when absent). */
    timeoutMs?: number;
    settleMs?: number;
    allowPlaintextAdmin?: boolean;
    /** The access log file of routes with a split (Caddy writes it, canary analysis reads it). */
    accessLog?: string;
    /** File paths for https:// admin endpoints. */
    tls?: { ca?: string; cert?: string; key?: string };
    /** false: every route keeps its own Caddy route object (no shapes); absent: shapes on. */
    shapes?: false;
  };
  nginx: { binary: string; prefix?: string; config?: string; streamFile?: string };
  authentik?: { url: string; token: string /* SecretRef */; outpost: string };
  hetzner?: { token: string /* SecretRef */; endpoint: string };
  dns: { defaultTtl: number; target?: string; nameservers?: string[]; resolver?: string };
  /** trustedRoots: PEM files the ACME server's own HTTPS chains to (a private ACME CA). */
  acme: { email?: string; ca?: string; trustedRoots?: string[] };
  securityHeaders: Record<string, string>;
  trustedProxies: string[];
  /** Client addresses refused with 403 on every route, sorted (absent: none). */
  blocks?: string[];
}

/** The whole desired state, ready for the compilers. */
export interface ResolvedState {
  settings: ResolvedSettings;
  routes: ResolvedRoute[]; // sorted by name
  streams: ResolvedStream[]; // sorted by name
  dnsRecords: ResolvedDnsRecord[]; // sorted by fqdn, type
  authPolicies: ResolvedAuthPolicy[]; // sorted by name
  certificates: ResolvedCertificate[];
  /**
   * graceUntil: a rotated store Secret whose previous value is still accepted until then; version:
   * when it was last rotated (both filled in from the store before compiling, like certificates'
   * `issued`; see src/secrets/rotate.ts).
   */
  secrets: { name: string; from: string; rotateEvery?: string; grace?: string; graceUntil?: string; version?: string }[];
}

/** The auth policy Caddy enforces by forward auth: none for public routes and for apps that sign users in by OIDC or SAML. */
export function forwardAuthOf(r: ResolvedRoute): ResolvedAuthPolicy | undefined {
  return r.signIn ? undefined : r.auth;
}
