// Settings: the built-in defaults and the one Settings document laid over them.
import type { Entry, Reporter } from "../ctx.js";
import type { ResolvedSettings } from "../resolved.js";
import type { SettingsResource } from "../schema.js";
import { checkHeaderName, checkIpFilter } from "../validate.js";
import type { Catalog } from "./context.js";
import { checkDnsTarget } from "./dns.js";
import { isIPv4, isIPv6, isPlaintextRemote, normalizeHost, parseAdminAddress, parseDuration } from "../net.js";
import { sortRecord } from "./order.js";
import { checkBlocks } from "./delivery.js";

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

export function resolveSettings(rep: Reporter, catalog: Catalog): ResolvedSettings {
  const e = catalog.list<SettingsResource>("Settings")[0];
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
    dns: { defaultTtl: s.dns?.defaultTtl ?? d.dns.defaultTtl, ...(s.dns?.nameservers ? { nameservers: s.dns.nameservers } : {}), ...(s.dns?.resolver ? { resolver: s.dns.resolver } : {}) },
    acme: {},
    securityHeaders: sortRecord({ ...DEFAULT_SECURITY_HEADERS, ...(s.securityHeaders ?? {}) }),
    trustedProxies: d.trustedProxies,
  };
  const blocks = checkBlocks(rep, e, s.blocks);
  if (blocks.length) out.blocks = blocks;
  if (s.caddy?.accessLog) out.caddy.accessLog = s.caddy.accessLog;
  if (s.caddy?.version) out.caddy.version = s.caddy.version;
  if (s.caddy?.timeout) out.caddy.timeoutMs = parseDuration(s.caddy.timeout);
  if (s.caddy?.settleTimeout) out.caddy.settleMs = parseDuration(s.caddy.settleTimeout);
  if (s.caddy?.allowPlaintextAdmin) out.caddy.allowPlaintextAdmin = true;
  if (s.caddy?.shapes === false) out.caddy.shapes = false;
  if (s.caddy?.tls) out.caddy.tls = { ...s.caddy.tls };
  checkAdminEndpoints(rep, e, s.caddy);
  if (s.nginx?.prefix) out.nginx.prefix = s.nginx.prefix;
  if (s.nginx?.config) out.nginx.config = s.nginx.config;
  if (s.nginx?.streamFile) out.nginx.streamFile = s.nginx.streamFile;
  const servers: [string, (string | number)[]][] = [
    ...(s.dns?.nameservers ?? []).map((v, i): [string, (string | number)[]] => [v, ["spec", "dns", "nameservers", i]]),
    ...(s.dns?.resolver ? [[s.dns.resolver, ["spec", "dns", "resolver"]] as [string, (string | number)[]]] : []),
  ];
  for (const [v, path] of servers) {
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:\[\]]+))(?::(\d{1,5}))?$/.exec(v);
    const host = m?.[1] ?? m?.[2];
    const ok = m && (m[1] ? isIPv6(m[1]) : isIPv4(host!) || normalizeHost(host!, { wildcard: false }).ok) && (!m[3] || (Number(m[3]) > 0 && Number(m[3]) < 65536));
    if (!ok && !isIPv6(v)) rep.error("dns", `${path.join(".").replace(/\.(\d+)/g, "[$1]")}: ${JSON.stringify(v)} is not "host[:port]" (e.g. "ns1.example.com", "127.0.0.1:5353", "[::1]:53")`, e, path);
  }
  if (s.dns?.target) {
    const t = checkDnsTarget(rep, e, ["spec", "dns", "target"], s.dns.target);
    if (t) out.dns.target = t.value;
  }
  if (s.acme?.email) out.acme.email = s.acme.email;
  if (s.acme?.ca) out.acme.ca = s.acme.ca;
  if (s.acme?.trustedRoots?.length) out.acme.trustedRoots = [...s.acme.trustedRoots];
  if (s.authentik) out.authentik = { url: s.authentik.url, token: s.authentik.token, outpost: s.authentik.outpost ?? s.authentik.url.replace(/\/+$/, "") };
  if (s.hetzner) out.hetzner = { token: s.hetzner.token, endpoint: s.hetzner.endpoint ?? "https://api.hetzner.cloud/v1" };
  if (s.trustedProxies) {
    const f = checkIpFilter(rep, e, ["spec"], { allow: s.trustedProxies });
    out.trustedProxies = (f?.allow ?? []).map((x) => (x.includes("/") ? x : x.includes(":") ? `${x}/128` : `${x}/32`));
    // report positions as spec.trustedProxies[i] rather than spec.allow[i]
    for (const d2 of rep.diagnostics) if (d2.code === "ip" && d2.address === e.address) d2.message = d2.message.replace(/^spec\.allow/, "spec.trustedProxies");
  }
  for (const [name] of Object.entries(s.securityHeaders ?? {})) checkHeaderName(rep, e, ["spec", "securityHeaders", name], name, true);
  (s.caddy?.listen ?? []).forEach((l, i) => {
    if (caddyListenPort(l) === undefined) rep.error("address", `spec.caddy.listen[${i}]: ${JSON.stringify(l)} is not a listen address like ":443" or "0.0.0.0:443"`, e, ["spec", "caddy", "listen", i]);
  });
  return out;
}

/**
 * Admin endpoints: each must parse, and plain http:// to another machine is a warning (Caddy's
 * whole config, secrets included, would cross the network in clear; apply refuses it unless
 * allowPlaintextAdmin says the operator accepts that).
 */
function checkAdminEndpoints(rep: Reporter, e: Entry, caddy: SettingsResource["spec"]["caddy"]): void {
  (caddy?.admin ?? []).forEach((spec, i) => {
    const path = ["spec", "caddy", "admin", i];
    const parsed = parseAdminAddress(spec);
    if (!parsed.ok) return rep.error("caddy-endpoint", `spec.caddy.admin[${i}]: ${JSON.stringify(spec)} ${parsed.reason}`, e, path);
    if (isPlaintextRemote(parsed.value) && !caddy?.allowPlaintextAdmin) {
      rep.warn(
        "caddy-plaintext",
        `spec.caddy.admin[${i}]: ${parsed.value.label} is plain http:// to another machine: Caddy's config, secrets included, would cross the network in clear. Use https:// with spec.caddy.tls (Caddy's admin.remote); apply refuses it unless spec.caddy.allowPlaintextAdmin is true`,
        e,
        path,
      );
    }
  });
  const tls = caddy?.tls;
  if (tls && !tls.cert !== !tls.key) rep.error("caddy-tls", `spec.caddy.tls: cert and key go together (a client certificate needs its key)`, e, ["spec", "caddy", "tls", tls.cert ? "key" : "cert"]);
}

/** The port of a Caddy listen address (":443", "0.0.0.0:443", "[::]:8443"). */
export function caddyListenPort(l: string): number | undefined {
  const m = /:(\d+)$/.exec(l);
  if (!m) return undefined;
  const p = Number(m[1]);
  return p >= 1 && p <= 65535 ? p : undefined;
}
