// The resource kinds of apiVersion hecate.io/v1 as zod schemas: the single source of truth for
// YAML shapes, TypeScript types, the JSON Schema (`hecate schema`) and docs/resources.md.
// Schemas check shape only; cross-resource and semantic checks live in validate.ts.
import { z } from "zod";
import { DNS_TYPES } from "./dns-types.js";
import { RESOURCE_NAME } from "./name.js";

import { API_VERSION } from "./api-version.js";
import { KINDS, type Kind } from "./kinds.js";

export { API_VERSION, KINDS, type Kind };

// ---- shared scalars -------------------------------------------------------------------------

/** Go-style duration as Caddy and nginx both accept: "500ms", "30s", "5m", "1h30m". */
export const Duration = z
  .string()
  .regex(/^(\d+(ms|s|m|h|d))+$/, 'a duration like "500ms", "30s", "5m" or "1h"')
  .describe('Duration such as "500ms", "30s", "5m", "1h".');

/** Reference to a secret value: `secret:NAME` (a Secret resource), `env:VAR`, or `file:/path`. */
export const SecretRef = z
  .string()
  .regex(/^(secret|env|file):.+$/, 'a secret reference: "secret:NAME", "env:VAR" or "file:/path"')
  .describe('Secret reference: "secret:NAME", "env:VAR" or "file:/path". Never a literal value.');

/** host:port of a backend. Host may be a name, IPv4 or [IPv6]. */
export const Address = z.string().min(1).describe('Backend address "host:port", e.g. "10.0.0.5:8080" or "[::1]:9000".');

export const Name = z
  .string()
  .regex(RESOURCE_NAME, "lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 63 characters")
  .describe("Resource name, unique per kind.");

export const Labels = z.record(z.string(), z.string()).describe("Free-form key/value labels.");

export const Metadata = z.strictObject({
  name: Name,
  labels: Labels.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  /** Protected resources are never deleted by apply without an explicit override. */
  protected: z.boolean().optional(),
});

export const HeaderOps = z
  .strictObject({
    set: z.record(z.string(), z.string()).optional().describe("Headers to set (replacing any existing value)."),
    remove: z.array(z.string()).optional().describe("Header names to remove."),
  })
  .describe("Header set/remove operations.");

export const Headers = z.strictObject({
  request: HeaderOps.optional().describe("Applied to the request sent upstream."),
  response: HeaderOps.optional().describe("Applied to the response sent to the client."),
});

export const IpFilter = z
  .strictObject({
    allow: z.array(z.string()).optional().describe("CIDRs or IPs allowed; when set, everything else gets 403."),
    deny: z.array(z.string()).optional().describe("CIDRs or IPs answered with 403."),
  })
  .describe("Client IP allow/deny lists.");

// ---- upstreams (HTTP) -----------------------------------------------------------------------

export const UpstreamTarget = z.strictObject({
  address: Address,
  weight: z.number().int().min(1).max(100).optional().describe("Relative share of requests (default 1)."),
});

export const LoadBalancing = z.strictObject({
  policy: z
    .enum(["round_robin", "weighted_round_robin", "least_conn", "random", "first", "ip_hash", "uri_hash", "cookie"])
    .optional()
    .describe("Selection policy; weights imply weighted round robin."),
  tryDuration: Duration.optional().describe("How long to retry other upstreams when one fails."),
  tryInterval: Duration.optional(),
});

export const HealthCheck = z.strictObject({
  active: z
    .strictObject({
      path: z.string().startsWith("/").describe("Path probed on each upstream."),
      interval: Duration.optional(),
      timeout: Duration.optional(),
      expectStatus: z.number().int().min(100).max(599).optional(),
      port: z.number().int().min(1).max(65535).optional(),
    })
    .optional(),
  passive: z
    .strictObject({
      failDuration: Duration.optional().describe("How long a failure counts against an upstream."),
      maxFails: z.number().int().min(1).optional(),
      unhealthyStatus: z.array(z.number().int().min(100).max(599)).optional(),
      unhealthyLatency: Duration.optional(),
    })
    .optional(),
});

export const Timeouts = z.strictObject({
  dial: Duration.optional(),
  read: Duration.optional(),
  write: Duration.optional(),
  responseHeader: Duration.optional(),
});

export const UpstreamTls = z.strictObject({
  enabled: z.boolean().optional().describe("Speak TLS to the upstream."),
  serverName: z.string().optional(),
  insecureSkipVerify: z.boolean().optional().describe("Do not verify the upstream certificate. Only when explicitly needed."),
  ca: SecretRef.optional().describe("PEM CA bundle used to verify the upstream."),
});

/** The pool fields a Route may set inline or take from a named Upstream. */
const PoolFields = {
  upstreams: z.array(UpstreamTarget).min(1).optional(),
  loadBalancing: LoadBalancing.optional(),
  healthCheck: HealthCheck.optional(),
  timeouts: Timeouts.optional(),
  upstreamTls: UpstreamTls.optional(),
};

export const UpstreamSpec = z.strictObject({
  ...PoolFields,
  upstreams: z.array(UpstreamTarget).min(1),
});

// ---- Route ----------------------------------------------------------------------------------

export const RouteTls = z.strictObject({
  mode: z.enum(["auto", "internal", "off"]).optional().describe("auto: ACME; internal: Caddy's local CA; off: plain HTTP."),
  minVersion: z.enum(["1.2", "1.3"]).optional(),
  hsts: z
    .union([
      z.boolean(),
      z.strictObject({
        maxAge: Duration.optional(),
        includeSubdomains: z.boolean().optional(),
        preload: z.boolean().optional(),
      }),
    ])
    .optional(),
  forceHttps: z.boolean().optional().describe("Redirect http to https (default true unless mode is off)."),
  certificate: Name.optional().describe("Name of a Certificate resource to use."),
});

export const Maintenance = z.strictObject({
  enabled: z.boolean(),
  message: z.string().optional().describe("Text of the 503 page."),
  page: z.string().min(1).optional().describe("A whole HTML page served instead of the default one (`hecate disable ROUTE --page maintenance.html` stores the file's content)."),
  retryAfter: Duration.optional().describe("Sent as Retry-After (seconds) with the 503."),
  reason: z.string().optional().describe("Why the route is disabled (shown in plans, history and audit)."),
});

/** An instant as ISO 8601 UTC, e.g. 2026-12-01T15:00:00Z: when something Hecate set ends by itself. */
export const Instant = z.string().datetime({ offset: true }).describe("ISO 8601 instant, e.g. 2026-12-01T15:00:00Z.");

export const Block = z
  .strictObject({
    address: z.string().min(1).describe("Client IP or CIDR answered with 403."),
    until: Instant.optional().describe("When the reconcile loop lifts the block (absent: until `hecate unblock`)."),
    reason: z.string().optional(),
  })
  .describe("A client address refused with 403, until a time or until unblocked.");

/** Another upstream pool of a route, by name: inline upstreams or a named Upstream. */
export const RoutePool = z.strictObject({
  upstream: Name.optional().describe("Name of an Upstream resource (instead of inline upstreams)."),
  ...PoolFields,
});

const PoolOptIn = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "a header or cookie name").describe("Header or cookie name."),
  value: z.string().min(1).describe("The value that opts in."),
  pool: Name.describe("The pool these requests go to."),
});

export const Split = z
  .strictObject({
    weights: z
      .record(Name, z.number().min(0).max(100))
      .optional()
      .describe("Percent of requests each pool of spec.pools gets (at most 100 together); the route's own upstreams get the rest."),
    header: PoolOptIn.optional().describe("Requests carrying this header with this value always go to the pool (testers opt in)."),
    cookie: PoolOptIn.optional().describe("Requests carrying this cookie with this value always go to the pool."),
    sticky: z
      .strictObject({ cookie: z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "a cookie name").optional().describe("Cookie name (default hecate-pool-<route>)."), maxAge: Duration.optional().describe("Cookie lifetime (default 24h).") })
      .optional()
      .describe("A client keeps the pool it was first sent to, by a cookie Caddy sets."),
  })
  .describe("How requests are shared between the route's own upstreams and spec.pools.");

export const Canary = z
  .strictObject({
    pool: Name.describe("The pool of spec.pools being rolled out."),
    step: z.number().min(1).max(100).optional().describe("Percentage points added every `every` while healthy (absent: stays at its weight until promoted)."),
    every: Duration.optional().describe("Time between steps (default 5m)."),
    maxErrorRate: z.number().min(0).max(100).optional().describe("Highest share of 5xx answers (percent) the pool may give; above it the canary is rolled back (default 1)."),
    minRequests: z.number().int().min(1).optional().describe("Requests the pool must have answered in a step before it is judged (default 10)."),
    since: Instant.describe("When the current step began (set by Hecate)."),
  })
  .describe("A progressive rollout in progress: the reconcile loop raises spec.split.weights[pool] by step every interval while the pool's error rate (from Caddy's access log) stays within the limit, promotes it at 100% and rolls it back when the rate is exceeded.");

export const BypassAuth = z
  .strictObject({
    until: Instant.describe("When sign-in is required again (the reconcile loop restores it)."),
    reason: z.string().min(1),
  })
  .describe("Break-glass: the route is served without sign-in until `until`. Client-supplied identity headers are still removed.");

export const RouteDns = z.strictObject({
  manage: z.boolean().optional().describe("Create DNS records for the route's hosts (default true when dns is set)."),
  target: z.string().optional().describe("IP (A/AAAA) or host name (CNAME) the hosts point at; default from Settings."),
  ttl: z.number().int().min(60).max(86400).optional(),
});

export const RouteSignIn = z.strictObject({
  protocol: z
    .enum(["forward-auth", "oidc", "saml"])
    .optional()
    .describe("How the app signs users in through authentik: forward-auth (Caddy asks authentik's outpost before every request; default), oidc or saml (the app itself signs users in; Caddy only proxies)."),
  clientId: z
    .string()
    .regex(/^[-A-Za-z0-9_.]{1,255}$/, "letters, digits, '-', '_' and '.', at most 255 characters")
    .optional()
    .describe("oidc: the client id the app is configured with (default: the application's slug, hecate-<route>). Not a secret: browsers see it in every sign-in URL."),
  clientSecret: SecretRef.optional().describe("oidc (required): the client secret, a reference to a Hecate secret; the app is configured with the same value."),
  redirectPaths: z.array(z.string().startsWith("/")).optional().describe("oidc: the app's callback path, allowed on each of the route's hosts (presets fill it in)."),
  acsPath: z.string().startsWith("/").optional().describe("saml: the app's assertion consumer service path on the route's first host (presets fill it in)."),
  audience: z.string().min(1).optional().describe("saml: the app's entity id (audience of the assertions; presets fill it in)."),
  binding: z.enum(["post", "redirect"]).optional().describe("saml: how authentik sends the response to the app (default post)."),
  signingCertificate: z.string().min(1).optional().describe('oidc and saml: name of the authentik certificate key pair that signs tokens and assertions (default "authentik Self-signed Certificate").'),
});

export const RouteSpec = z.strictObject({
  preset: z.string().optional().describe("Application preset that fills defaults (see `hecate presets`)."),
  hosts: z.array(z.string().min(1)).min(1).describe("Host names; a leading '*.' is a wildcard."),
  paths: z.array(z.string().startsWith("/")).optional().describe("Path prefixes; default all paths."),
  upstream: Name.optional().describe("Name of an Upstream resource (instead of inline upstreams)."),
  ...PoolFields,
  websockets: z.boolean().optional(),
  headers: Headers.optional(),
  middleware: z.array(Name).optional().describe("Names of Middleware resources, applied in order."),
  authPolicy: Name.optional().describe("Name of an AuthPolicy; the route then requires authentik sign-in."),
  public: z.boolean().optional().describe("Explicitly public (no authentication)."),
  ssoBypass: z.array(z.string().startsWith("/")).optional().describe("Path prefixes served without authentication."),
  signIn: RouteSignIn.optional().describe("How the app signs users in (forward auth, OIDC or SAML); presets fill it in for apps that speak OIDC or SAML."),
  tls: RouteTls.optional(),
  maintenance: Maintenance.optional().describe("Serve a 503 page instead of the upstreams (`hecate disable` / `hecate enable`)."),
  ipFilter: IpFilter.optional(),
  poolName: Name.optional().describe("What the route's own upstreams are called in split, canary and switch (default main)."),
  pools: z.record(Name, RoutePool).optional().describe("Other upstream pools (a canary, the green of blue-green), reached through spec.split; `hecate switch` makes one the route's own."),
  split: Split.optional(),
  canary: Canary.optional(),
  blocks: z.array(Block).optional().describe("Client addresses refused with 403 on this route (`hecate block IP --route R`)."),
  bypassAuth: BypassAuth.optional(),
  dns: RouteDns.optional(),
  caddyRoutes: z
    .array(z.record(z.string(), z.unknown()))
    .min(1)
    .optional()
    .describe(
      "Caddy route objects ({match, handle, terminal}) kept verbatim, e.g. what `hecate import caddy` could not map: served in order after the route's headers and before its upstreams (a route with them needs no upstream). Hecate does not check them; Caddy does when it loads the config, and `validate` warns about each route that has them.",
    ),
});

// ---- AuthPolicy -----------------------------------------------------------------------------

export const AuthPolicySpec = z.strictObject({
  provider: z.literal("authentik").optional(),
  mode: z.enum(["forward_single", "forward_domain"]).optional().describe("authentik proxy provider mode."),
  cookieDomain: z.string().optional().describe("Cookie domain for forward_domain mode."),
  flow: z.string().optional().describe("Authorization flow slug (default default-provider-authorization-implicit-consent)."),
  groups: z.array(z.string()).optional().describe("Members of any of these groups may pass."),
  users: z.array(z.string()).optional().describe("These users may pass."),
  requireMfa: z.boolean().optional(),
  sessionDuration: Duration.optional(),
  allowedMethods: z
    .array(z.enum(["password", "webauthn", "totp", "static", "duo", "sms", "email"]))
    .optional()
    .describe("Authenticator kinds accepted."),
  metadata: z
    .strictObject({
      required: z.array(z.string()).optional().describe("User attributes that must be present."),
      equals: z.record(z.string(), z.string()).optional().describe("User attributes that must have this value."),
    })
    .optional(),
  outpost: z.string().optional().describe("Outpost address Caddy asks (default from Settings)."),
});

// ---- Middleware -----------------------------------------------------------------------------

export const MiddlewareSpec = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("rate-limit"),
    requests: z.number().int().min(1),
    window: Duration,
    key: z.enum(["ip", "host"]).optional(),
  }),
  z.strictObject({
    type: z.literal("compression"),
    encodings: z.array(z.enum(["gzip", "zstd"])).optional(),
    minLength: z.number().int().min(0).optional(),
  }),
  z.strictObject({
    type: z.literal("security-headers"),
    headers: z.record(z.string(), z.string()).optional().describe("Override or add headers to the default set."),
  }),
  z.strictObject({ type: z.literal("ip-filter"), allow: z.array(z.string()).optional(), deny: z.array(z.string()).optional() }),
  z.strictObject({
    type: z.literal("basic-auth"),
    realm: z.string().optional(),
    users: z.array(z.strictObject({ username: z.string().min(1), passwordHash: SecretRef.describe("bcrypt hash") })).min(1),
  }),
  z.strictObject({ type: z.literal("headers"), request: HeaderOps.optional(), response: HeaderOps.optional() }),
  z.strictObject({
    type: z.literal("redirect"),
    kind: z.enum(["https", "www-to-apex", "apex-to-www", "custom"]),
    to: z.string().optional().describe("Target URL for kind custom."),
    code: z.union([z.literal(301), z.literal(302), z.literal(307), z.literal(308)]).optional(),
  }),
  z.strictObject({ type: z.literal("request-size"), maxBytes: z.number().int().min(1) }),
  z.strictObject({ type: z.literal("audit-log"), includeHeaders: z.boolean().optional() }),
]);

// ---- Stream ---------------------------------------------------------------------------------

export const StreamUpstream = z.strictObject({
  address: Address,
  weight: z.number().int().min(1).max(100).optional(),
  maxFails: z.number().int().min(0).optional(),
  failTimeout: Duration.optional(),
  maxConns: z.number().int().min(0).optional(),
  backup: z.boolean().optional(),
});

export const StreamSpec = z.strictObject({
  preset: z.string().optional().describe("Service preset supplying ports and timeouts (see `hecate presets`); it expands into one stream per port."),
  protocol: z.enum(["tcp", "udp"]).optional(),
  listen: z
    .union([z.number().int().min(1).max(65535), z.string().min(1)])
    .optional()
    .describe('Port, or "address:port" to listen on. Required without a preset; with a preset, an address alone (e.g. "203.0.113.5") binds all the preset\'s ports there, and a port is allowed for single-port presets.'),
  upstreams: z.array(StreamUpstream).min(1),
  balancing: z
    .enum(["round_robin", "least_conn", "random", "hash"])
    .optional()
    .describe("How nginx picks an upstream (default round_robin; hash = by client address, no backup servers)."),
  timeouts: z.strictObject({ connect: Duration.optional(), idle: Duration.optional() }).optional(),
  proxyProtocol: z.boolean().optional().describe("Send the PROXY protocol header upstream."),
  ipFilter: IpFilter.optional(),
});

// ---- DnsRecord, Certificate, Secret, CompliancePolicy, Settings -----------------------------

export const DnsRecordSpec = z.strictObject({
  name: z.string().min(1).describe("Fully qualified name, e.g. app.example.com."),
  type: z.enum(DNS_TYPES).describe("Every type the Hetzner API takes but SOA (the zone's own)."),
  values: z.array(z.string().min(1)).min(1),
  ttl: z.number().int().min(60).max(86400).optional(),
});

export const CertificateSpec = z.strictObject({
  hosts: z.array(z.string().min(1)).min(1),
  issuer: z.enum(["acme", "internal", "imported"]),
  acme: z
    .strictObject({
      email: z.string().email().optional(),
      ca: z.string().url().optional().describe("ACME directory URL (default Let's Encrypt production)."),
      challenge: z
        .enum(["http-01", "tls-alpn-01", "dns-01"])
        .optional()
        .describe("http-01 / tls-alpn-01: Caddy obtains and renews it; tls-alpn-01 turns http-01 off in Caddy's issuer; dns-01 (wildcards): Hecate obtains it through its DNS provider in `hecate apply` (or `hecate cert renew`) and loads it into Caddy."),
    })
    .optional(),
  certificate: SecretRef.optional().describe("PEM certificate chain (issuer imported)."),
  key: SecretRef.optional().describe("PEM private key (issuer imported)."),
});

export const SecretSpec = z.strictObject({
  from: z
    .string()
    .regex(/^(env:.+|file:.+|store)$/, '"env:VAR", "file:/path" or "store" (the encrypted store)')
    .describe('Where the value lives: "env:VAR", "file:/path", or "store" (set with `hecate create secret NAME --value-from ...`).'),
  rotateEvery: Duration.optional().describe(
    'Rotate on this schedule (the reconcile loop of `hecate serve` does it): the authentik API token through authentik, any other store Secret to a new random value. Needs from "store"; not for bcrypt hashes (rotate those with `hecate secret rotate NAME --value-from ...`).',
  ),
  grace: Duration.optional().describe("How long the old value stays accepted after a rotation (default 10m)."),
});

export const ComplianceRule = z.enum([
  "require-auth",
  "require-https",
  "require-hsts",
  "min-tls-1.2",
  "min-tls-1.3",
  "no-insecure-upstream-tls",
  "require-security-headers",
  "require-mfa",
]);

export const CompliancePolicySpec = z.strictObject({
  rules: z.array(ComplianceRule).min(1),
  selector: z.record(z.string(), z.string()).optional().describe("Only routes whose labels match all of these."),
  severity: z.enum(["error", "warning"]).optional(),
  exemptions: z
    .array(
      z.strictObject({
        route: Name,
        rules: z.array(ComplianceRule).optional().describe("Default all rules."),
        reason: z.string().min(1),
        expires: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a date YYYY-MM-DD"),
      }),
    )
    .optional(),
});

export const SettingsSpec = z.strictObject({
  caddy: z
    .strictObject({
      admin: z
        .array(z.string())
        .min(1)
        .optional()
        .describe('Admin endpoints: "http://127.0.0.1:2019", "https://caddy1.internal:2021" (see tls) or "unix:/run/caddy/admin.sock"; several = a fleet.'),
      version: z.string().optional().describe("Target Caddy version when it cannot be asked (e.g. 2.6.2)."),
      modules: z.array(z.string()).optional().describe("Extra non-standard modules the target Caddy has (e.g. http.handlers.rate_limit)."),
      server: z.string().optional().describe("Name of the Caddy server Hecate owns (default hecate)."),
      listen: z.array(z.string()).optional().describe('Listen addresses (default [":443"]).'),
      httpPort: z.number().int().min(1).max(65535).optional(),
      httpsPort: z.number().int().min(1).max(65535).optional(),
      timeout: Duration.optional().describe("How long one admin API request may take (a big config loads slowly)."),
      settleTimeout: Duration.optional().describe("After a write times out, how much longer to wait for Caddy's answer before its outcome is unknown."),
      accessLog: z
        .string()
        .startsWith("/")
        .optional()
        .describe("File Caddy writes the access log of routes with a split to (one line per request, with the pool that answered), and Hecate reads per-pool request and error counts from for canary analysis. Caddy and Hecate must both reach it."),
      allowPlaintextAdmin: z.boolean().optional().describe("Allow http:// admin endpoints off loopback (config and secrets cross the network in clear)."),
      shapes: z
        .boolean()
        .optional()
        .describe("Routes that differ only in hosts and one upstream share one Caddy route with a host→upstream map (default true; `hecate render caddy --explain` says which). false: one Caddy route per route."),
      tls: z
        .strictObject({
          ca: z.string().optional().describe("PEM file of the CA that signed Caddy's admin certificate (default: system CAs)."),
          cert: z.string().optional().describe("PEM client certificate file that Caddy's admin.remote access_control accepts."),
          key: z.string().optional().describe("PEM key file of the client certificate."),
        })
        .optional()
        .describe("For https:// admin endpoints (Caddy's admin.remote, mutual TLS)."),
    })
    .optional(),
  nginx: z
    .strictObject({
      binary: z.string().optional(),
      prefix: z.string().optional().describe("nginx prefix directory (-p)."),
      config: z.string().optional().describe("Main nginx.conf (-c)."),
      streamFile: z.string().optional().describe("The file Hecate owns, included in the stream block."),
    })
    .optional(),
  authentik: z
    .strictObject({
      url: z.string().url().describe("Base URL, e.g. https://auth.example.com."),
      token: SecretRef,
      outpost: z.string().optional().describe('Outpost address Caddy asks, e.g. "127.0.0.1:9000" (default: the url).'),
    })
    .optional(),
  hetzner: z.strictObject({ token: SecretRef, endpoint: z.string().url().optional() }).optional(),
  dns: z
    .strictObject({
      defaultTtl: z.number().int().min(60).max(86400).optional(),
      target: z.string().optional().describe("IP (A/AAAA) or host name (CNAME) that routes with dns point at."),
      nameservers: z.array(z.string()).optional().describe('Authoritative servers `check dns` asks, "host[:port]" (default: the zone\'s nameservers at Hetzner).'),
      resolver: z.string().optional().describe('The resolver `check dns` also asks, "host[:port]" (default: the system\'s).'),
    })
    .optional(),
  acme: z
    .strictObject({
      email: z.string().email().optional(),
      ca: z.string().url().optional().describe("ACME directory URL (default Let's Encrypt production)."),
      trustedRoots: z
        .array(z.string().min(1))
        .optional()
        .describe("PEM files of the roots the ACME server's HTTPS certificate chains to, for a private ACME CA (default: the system's trust store). Verification stays on."),
    })
    .optional(),
  securityHeaders: z.record(z.string(), z.string()).optional().describe("Default security headers for the security-headers middleware."),
  blocks: z.array(Block).optional().describe("Client addresses refused with 403 on every route (`hecate block IP`)."),
  trustedProxies: z.array(z.string()).optional().describe("CIDRs trusted to set X-Forwarded-* (default private ranges)."),
});

// ---- documents ------------------------------------------------------------------------------

const doc = <K extends string, S extends z.ZodType>(kind: K, spec: S) =>
  z.strictObject({ apiVersion: z.literal(API_VERSION), kind: z.literal(kind), metadata: Metadata, spec });

export const RouteDoc = doc("Route", RouteSpec);
export const UpstreamDoc = doc("Upstream", UpstreamSpec);
export const AuthPolicyDoc = doc("AuthPolicy", AuthPolicySpec);
export const MiddlewareDoc = doc("Middleware", MiddlewareSpec);
export const StreamDoc = doc("Stream", StreamSpec);
export const DnsRecordDoc = doc("DnsRecord", DnsRecordSpec);
export const CertificateDoc = doc("Certificate", CertificateSpec);
export const SecretDoc = doc("Secret", SecretSpec);
export const CompliancePolicyDoc = doc("CompliancePolicy", CompliancePolicySpec);
export const SettingsDoc = doc("Settings", SettingsSpec);

export const ResourceDoc = z.discriminatedUnion("kind", [
  RouteDoc,
  UpstreamDoc,
  AuthPolicyDoc,
  MiddlewareDoc,
  StreamDoc,
  DnsRecordDoc,
  CertificateDoc,
  SecretDoc,
  CompliancePolicyDoc,
  SettingsDoc,
]);


export const SPEC_BY_KIND: Record<Kind, z.ZodType> = {
  Route: RouteSpec,
  Upstream: UpstreamSpec,
  AuthPolicy: AuthPolicySpec,
  Middleware: MiddlewareSpec,
  Stream: StreamSpec,
  DnsRecord: DnsRecordSpec,
  Certificate: CertificateSpec,
  Secret: SecretSpec,
  CompliancePolicy: CompliancePolicySpec,
  Settings: SettingsSpec,
};

export type Resource = z.infer<typeof ResourceDoc>;
export type RouteResource = z.infer<typeof RouteDoc>;
export type UpstreamResource = z.infer<typeof UpstreamDoc>;
export type AuthPolicyResource = z.infer<typeof AuthPolicyDoc>;
export type MiddlewareResource = z.infer<typeof MiddlewareDoc>;
export type StreamResource = z.infer<typeof StreamDoc>;
export type DnsRecordResource = z.infer<typeof DnsRecordDoc>;
export type CertificateResource = z.infer<typeof CertificateDoc>;
export type SecretResource = z.infer<typeof SecretDoc>;
export type CompliancePolicyResource = z.infer<typeof CompliancePolicyDoc>;
export type SettingsResource = z.infer<typeof SettingsDoc>;
export type MiddlewareSpecT = z.infer<typeof MiddlewareSpec>;
export type HeaderOpsT = z.infer<typeof HeaderOps>;
