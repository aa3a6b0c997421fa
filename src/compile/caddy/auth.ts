// Identity-aware pieces shared by all protected routes: the identity-header strip, the outpost
// path route, and ONE forward-auth handler per outpost (not one per site: that is what makes
// 10,000 protected hosts load in well under a second).
import type { CaddyHandler } from "./types.js";

/** The identity headers authentik's outpost answers with (copied to the request on 2xx). */
export const IDENTITY_HEADERS = [
  "X-Authentik-Username",
  "X-Authentik-Groups",
  "X-Authentik-Entitlements",
  "X-Authentik-Email",
  "X-Authentik-Name",
  "X-Authentik-Uid",
  "X-Authentik-Jwt",
  "X-Authentik-Meta-Jwks",
  "X-Authentik-Meta-Outpost",
  "X-Authentik-Meta-Provider",
  "X-Authentik-Meta-App",
  "X-Authentik-Meta-Version",
] as const;

export const OUTPOST_PATH = "/outpost.goauthentik.io/*";
export const OUTPOST_AUTH_URI = "/outpost.goauthentik.io/auth/caddy";

/**
 * A header name as Go's net/http stores it (textproto.CanonicalMIMEHeaderKey): upper case first
 * and after each "-", lower case elsewhere; "_" is kept, and the letter after it is lower case.
 */
export function goCanonicalHeader(name: string): string {
  let upper = true;
  let out = "";
  for (const c of name) {
    out += upper ? c.toUpperCase() : c.toLowerCase();
    upper = c === "-";
  }
  return out;
}

/** Every way to write name with each "-" as "-" or "_", in Go's canonical case. */
export function separatorSpellings(name: string): string[] {
  const parts = name.split("-");
  const out = new Set<string>();
  for (let mask = 0; mask < 2 ** (parts.length - 1); mask++) {
    const spelled = parts.reduce((acc, p, i) => (i === 0 ? p : acc + ((mask >> (i - 1)) & 1 ? "_" : "-") + p), "");
    out.add(goCanonicalHeader(spelled));
  }
  return [...out].sort();
}

/**
 * Deletes every client-supplied identity header in every spelling. CGI, WSGI and PHP fold "_"
 * and "-" into one variable, so X_Authentik_Username is as good as a forged X-Authentik-Username;
 * Go keeps "_" in a name and canonicalizes case, and Caddy's prefix wildcard matches that
 * canonical name, so one prefix per separator spelling covers every case. The prefixes also cover
 * names authentik may add later; the explicit names keep it safe on a Caddy without wildcards.
 */
export function identityStrip(): CaddyHandler {
  return { handler: "headers", request: { delete: [...separatorSpellings("X-Authentik-*"), ...IDENTITY_HEADERS.flatMap(separatorSpellings)] } };
}

/** "127.0.0.1:9000", "http://outpost:9000", "https://auth.example.com" → dial + whether TLS. */
export function outpostDial(outpost: string): { dial: string; tls: boolean; host?: string } {
  const m = /^(https?):\/\/([^/]+)/i.exec(outpost);
  if (!m) return { dial: outpost, tls: false };
  const tls = m[1]!.toLowerCase() === "https";
  const hostport = m[2]!;
  const hasPort = /:\d+$/.test(hostport) && !hostport.endsWith("]");
  const host = hostport.replace(/:\d+$/, "");
  return { dial: hasPort ? hostport : `${hostport}:${tls ? 443 : 80}`, tls, host };
}

function outpostUpstream(outpost: string): Record<string, unknown> {
  const o = outpostDial(outpost);
  const out: Record<string, unknown> = { upstreams: [{ dial: o.dial }] };
  if (o.tls) {
    out.transport = { protocol: "http", tls: o.host ? { server_name: o.host } : {} };
    // An outpost behind TLS by name (authentik's own URL) routes on Host.
    if (o.host) out.headers = { request: { set: { Host: [o.host] } } };
  }
  return out;
}

/** Proxies the outpost's own paths (login callback, sign_out) for protected hosts. */
export function outpostProxy(outpost: string): CaddyHandler {
  return { handler: "reverse_proxy", ...outpostUpstream(outpost) };
}

/**
 * Forward auth as Caddy's forward_auth shortcut expands it: the request (GET, rewritten URI) goes
 * to the outpost; a 2xx copies each identity header it returned onto the request and the chain
 * continues; anything else (302 to the login page) goes back to the client unchanged.
 */
export function forwardAuth(outpost: string, trustedProxies: readonly string[]): CaddyHandler {
  const base = outpostUpstream(outpost);
  const setHeaders: Record<string, string[]> = { "X-Forwarded-Method": ["{http.request.method}"], "X-Forwarded-Uri": ["{http.request.uri}"] };
  const reqHeaders = (base.headers as { request?: { set?: Record<string, string[]> } } | undefined)?.request?.set ?? {};
  const h: CaddyHandler = {
    handler: "reverse_proxy",
    upstreams: base.upstreams,
    ...(base.transport ? { transport: base.transport } : {}),
    rewrite: { method: "GET", uri: OUTPOST_AUTH_URI },
    headers: { request: { set: { ...reqHeaders, ...setHeaders } } },
    handle_response: [
      {
        match: { status_code: [2] },
        routes: [
          {
            handle: [
              {
                handler: "headers",
                request: { set: Object.fromEntries(IDENTITY_HEADERS.map((n) => [n, [`{http.reverse_proxy.header.${n}}`]])) },
              },
            ],
          },
          // Caddy 2.6.2 leaves the placeholder of a header the outpost did not send as literal
          // text; such a header is removed so that absent stays absent (never "{http...}" or "").
          ...IDENTITY_HEADERS.map((n) => ({
            match: [{ header_regexp: { [n]: { pattern: "^\\{http\\.reverse_proxy\\.header\\." } } }],
            handle: [{ handler: "headers", request: { delete: [n] } }],
          })),
        ],
      },
    ],
  };
  if (trustedProxies.length) h.trusted_proxies = [...trustedProxies];
  return h;
}
