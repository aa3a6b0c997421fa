// Small ResolvedState builders for provider tests and the benchmark: plain-HTTP routes on loopback.
import type { ResolvedAuthPolicy, ResolvedRoute, ResolvedSettings, ResolvedState } from "../../src/model/resolved.js";
import type { SecretResolver } from "../../src/providers/provider.js";
import * as k from "../../src/model/testkit.js";

export function settings(opts: { admin: string[]; httpPort: number; httpsPort?: number; server?: string }): ResolvedSettings {
  return {
    caddy: {
      admin: opts.admin,
      version: "2.6.2",
      modules: [],
      server: opts.server ?? "hecate",
      listen: [`127.0.0.1:${opts.httpsPort ?? opts.httpPort + 1}`],
      httpPort: opts.httpPort,
      httpsPort: opts.httpsPort ?? opts.httpPort + 1,
    },
    nginx: { binary: "nginx" },
    dns: { defaultTtl: 300 },
    acme: {},
    securityHeaders: {},
    trustedProxies: ["127.0.0.1/32"],
  };
}

export interface RouteSpec {
  name: string;
  hosts: string[];
  upstream: string; // host:port
  auth?: ResolvedAuthPolicy;
  basicAuth?: { username: string; passwordHash: string /* SecretRef */ };
}

/** A plain-HTTP route (tls off) so tests can send traffic without certificates. */
export function route(r: RouteSpec): ResolvedRoute {
  const empty = () => ({ set: {}, remove: [] });
  return {
    name: r.name,
    labels: {},
    protected: false,
    hosts: [...r.hosts].sort(),
    paths: [],
    pool: { targets: [{ address: r.upstream, weight: 1 }], policy: "round_robin", timeouts: {} },
    websockets: false,
    headers: { request: empty(), response: empty() },
    middleware: r.basicAuth ? [{ name: "login", type: "basic-auth", realm: "hecate", users: [r.basicAuth] }] : [],
    ...(r.auth ? { auth: r.auth } : {}),
    ssoBypass: [],
    tls: { mode: "off", minVersion: "1.2", forceHttps: false },
  };
}

export function authPolicy(outpost: string): ResolvedAuthPolicy {
  return k.authPolicy("staff", outpost, { flow: "default-authentication-flow", groups: ["staff"] });
}

export function state(s: ResolvedSettings, routes: ResolvedRoute[]): ResolvedState {
  const policies = [...new Map(routes.filter((r) => r.auth).map((r) => [r.auth!.name, r.auth!])).values()];
  return {
    settings: s,
    routes: [...routes].sort((a, b) => (a.name < b.name ? -1 : 1)),
    streams: [],
    dnsRecords: [],
    authPolicies: policies,
    certificates: [],
    secrets: [],
  };
}

/** A resolver over a fixed map that records what was asked (to prove resolution happens at apply). */
export function secrets(values: Record<string, string>): SecretResolver & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async resolve(ref: string) {
      asked.push(ref);
      const v = values[ref];
      if (v === undefined) throw new Error(`no secret ${ref}`);
      return v;
    },
  };
}
