// Builders of ResolvedState for tests and benchmarks (defaults as the model applies them).
import type { ResolvedAuthPolicy, ResolvedRoute, ResolvedSettings, ResolvedState, ResolvedStream } from "./resolved.js";

export const PRIVATE_RANGES = ["10.0.0.0/8", "127.0.0.1/8", "172.16.0.0/12", "192.168.0.0/16", "::1", "fd00::/8"];

export function settings(over: Partial<ResolvedSettings["caddy"]> = {}, rest: Partial<ResolvedSettings> = {}): ResolvedSettings {
  return {
    caddy: { admin: ["http://127.0.0.1:2019"], modules: [], server: "hecate", listen: [":443"], httpPort: 80, httpsPort: 443, ...over },
    nginx: { binary: "nginx" },
    dns: { defaultTtl: 300 },
    acme: {},
    securityHeaders: { "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY" },
    trustedProxies: PRIVATE_RANGES,
    ...rest,
  };
}

export function authPolicy(name: string, outpost: string, over: Partial<ResolvedAuthPolicy> = {}): ResolvedAuthPolicy {
  return {
    name,
    mode: "forward_single",
    flow: "default-provider-authorization-implicit-consent",
    groups: [],
    users: [],
    requireMfa: false,
    sessionDuration: "8h",
    allowedMethods: [],
    metadata: { required: [], equals: {} },
    outpost,
    ...over,
  };
}

export type RouteInput = Partial<Omit<ResolvedRoute, "tls">> & { tls?: Partial<ResolvedRoute["tls"]> };

export function route(name: string, hosts: string[], upstreams: string[] | { address: string; weight: number }[], over: RouteInput = {}): ResolvedRoute {
  const targets = upstreams.map((u) => (typeof u === "string" ? { address: u, weight: 1 } : u));
  const { tls, ...rest } = over;
  return {
    name,
    labels: {},
    protected: !!over.auth,
    hosts: [...hosts].sort(),
    paths: [],
    pool: { targets, policy: "round_robin", timeouts: {} },
    websockets: false,
    headers: { request: { set: {}, remove: [] }, response: { set: {}, remove: [] } },
    middleware: [],
    ssoBypass: [],
    ...rest,
    tls: { mode: "auto", minVersion: "1.2", forceHttps: true, ...tls },
  };
}

export function state(routes: ResolvedRoute[], s: ResolvedSettings = settings(), streams: ResolvedStream[] = []): ResolvedState {
  const policies = new Map(routes.filter((r) => r.auth).map((r) => [r.auth!.name, r.auth!]));
  return {
    settings: s,
    routes: [...routes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    streams,
    dnsRecords: [],
    authPolicies: [...policies.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
    certificates: [],
    secrets: [],
  };
}
