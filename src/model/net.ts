// Names and addresses: host names (IDN → lower-case punycode), host:port, CIDRs, durations, and
// the Public Suffix List (tldts) for cookie domains and DNS zones. Pure functions returning either a value or a reason.
import { domainToASCII } from "node:url";
import ipaddr from "ipaddr.js";
import { getDomain, getPublicSuffix } from "tldts";

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };
const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const bad = <T>(reason: string): Checked<T> => ({ ok: false, reason });

const LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
/** DNS names (not host names) may have service labels such as _dmarc, _acme-challenge, _sip. */
const SERVICE_LABEL = /^_[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export function isIPv4(s: string): boolean {
  // Host names are the common case, and ipaddr's parse of one is slow (a dozen regexes): only
  // something made of digits and dots can be a four-part decimal address.
  return /^[\d.]+$/.test(s) && ipaddr.IPv4.isValidFourPartDecimal(s);
}
export function isIPv6(s: string): boolean {
  return ipaddr.IPv6.isValid(s) && s.includes(":");
}

/**
 * Validates a host name and returns it as lower-case punycode without a trailing dot.
 * `*.` is allowed only as the whole leftmost label (Caddy matches exactly one label there).
 */
export function normalizeHost(input: string, opts: { wildcard?: boolean; service?: boolean } = { wildcard: true }): Checked<string> {
  if (input !== input.trim() || /\s/.test(input)) return bad("contains whitespace");
  let host = input.endsWith(".") ? input.slice(0, -1) : input;
  if (host.length === 0) return bad("is empty");
  if (isIPv4(host)) return ok(host);
  let wildcard = false;
  if (host.startsWith("*.")) {
    if (!opts.wildcard) return bad("a wildcard is not allowed here");
    wildcard = true;
    host = host.slice(2);
  }
  if (host.includes("*")) return bad('a wildcard "*" is allowed only as the whole leftmost label, as in "*.example.com"');
  if (host.includes("..") || host.startsWith(".")) return bad("has an empty label");
  let ascii = host;
  if (/[^\x00-\x7f]/.test(host) || /(^|\.)xn--/i.test(host)) {
    ascii = domainToASCII(host);
    if (!ascii) return bad("is not a valid internationalized domain name (IDNA/punycode conversion failed)");
  }
  ascii = ascii.toLowerCase();
  if (ascii.length > 253) return bad(`is ${ascii.length} characters long; at most 253 are allowed`);
  const labels = ascii.split(".");
  for (const l of labels) {
    if (l.length === 0) return bad("has an empty label");
    if (l.length > 63) return bad(`has a label of ${l.length} characters ("${l.slice(0, 20)}..."); at most 63 are allowed`);
    if (l.startsWith("-") || l.endsWith("-")) return bad(`has a label starting or ending with a hyphen ("${l}")`);
    if (!LABEL.test(l) && !(opts.service && SERVICE_LABEL.test(l))) return bad(`has a label with characters other than letters, digits and hyphens ("${l}")`);
  }
  if (labels.length > 1 && /^\d+$/.test(labels[labels.length - 1]!)) return bad("looks like an IP address but is not a valid one");
  return ok(wildcard ? `*.${ascii}` : ascii);
}

/** Parses "host:port", "[v6]:port"; with `defaultPort` a bare host is accepted too. */
export function parseHostPort(input: string, defaultPort?: number): Checked<{ host: string; port: number }> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) return bad('must not contain a scheme ("http://"); write "host:port" and use upstreamTls for HTTPS');
  if (input.includes("{") || input.includes("}")) return bad('contains "{...}", which Caddy would expand as a placeholder; remove the braces');
  let host: string;
  let portStr: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(input);
  if (v6) {
    host = v6[1]!;
    portStr = v6[2];
    if (!isIPv6(host)) return bad(`"${host}" is not a valid IPv6 address`);
  } else {
    const i = input.lastIndexOf(":");
    if (i >= 0 && input.indexOf(":") !== i) return bad('an IPv6 address must be written in brackets, as in "[::1]:8080"');
    host = i >= 0 ? input.slice(0, i) : input;
    portStr = i >= 0 ? input.slice(i + 1) : undefined;
    if (!isIPv4(host)) {
      const h = normalizeHost(host, { wildcard: false });
      if (!h.ok) return bad(`host "${host}" ${h.reason}`);
      host = h.value;
    }
  }
  let port: number;
  if (portStr === undefined || portStr === "") {
    if (defaultPort === undefined) return bad('is missing a port ("host:port")');
    port = defaultPort;
  } else {
    if (!/^\d+$/.test(portStr)) return bad(`port "${portStr}" is not a number`);
    port = Number(portStr);
    if (port < 1 || port > 65535) return bad(`port ${port} is out of range (1-65535)`);
  }
  return ok({ host, port });
}

/** True when the address has an explicit port. */
export function hasPort(input: string): boolean {
  return /^\[[^\]]+\]:\d+$/.test(input) || (/:\d+$/.test(input) && input.indexOf(":") === input.lastIndexOf(":"));
}

/** An IP or CIDR as ipaddr.js accepts it, normalized to its canonical text. */
export function parseCidrOrIp(input: string): Checked<string> {
  try {
    if (input.includes("/")) {
      const [addr, len] = ipaddr.parseCIDR(input);
      if (addr.kind() === "ipv4" && !isIPv4(input.split("/")[0]!)) return bad("is not a valid IPv4 CIDR (use four decimal parts)");
      return ok(`${addr.toString()}/${len}`);
    }
    if (isIPv4(input)) return ok(ipaddr.parse(input).toString());
    if (isIPv6(input)) return ok(ipaddr.parse(input).toString());
    return bad("is not an IP address or CIDR");
  } catch {
    return bad("is not a valid CIDR (address/prefix-length with a prefix length in range)");
  }
}

/** Milliseconds of a Go-style duration ("1h30m", "500ms", "2d"). */
export function parseDuration(s: string): number {
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  let total = 0;
  for (const m of s.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(m[1]) * unit[m[2]!]!;
  return total;
}

/**
 * A public suffix (the whole Public Suffix List, private section included, via tldts): a cookie
 * domain must never be one, browsers refuse it or share it with every site under that suffix.
 * The old tool broke on .net.au; a single label is always one.
 */
export function isPublicSuffix(domain: string): boolean {
  const d = domain.replace(/^\./, "").toLowerCase();
  return !d.includes(".") || getPublicSuffix(d, { allowPrivateDomains: true }) === d;
}

/**
 * The DNS zone a name lives in: its registrable domain by the ICANN section of the Public Suffix
 * List (app.example.net.au is in example.net.au, not net.au), as Hetzner only hosts those.
 */
export function zoneOf(fqdn: string): string | undefined {
  return getDomain(fqdn.replace(/^\*\./, ""), { allowPrivateDomains: false }) ?? undefined;
}

/** True when `host` equals `domain` or lies under it (cookie domain semantics). */
export function isUnder(host: string, domain: string): boolean {
  const h = host.replace(/^\*\./, "");
  const d = domain.replace(/^\./, "");
  return h === d || h.endsWith(`.${d}`);
}

/** A Caddy admin endpoint as Settings spell it: TCP (http:// or https://) or a unix socket. */
export type AdminEndpoint =
  | { kind: "tcp"; scheme: "http" | "https"; host: string; port: number; label: string }
  | { kind: "unix"; socketPath: string; label: string };

/** Parse "http://127.0.0.1:2019", "https://caddy1.internal:2021", "localhost:2019" or "unix:/path/admin.sock". */
export function parseAdminAddress(spec: string): Checked<AdminEndpoint> {
  const s = spec.trim();
  if (s.startsWith("unix:")) {
    const socketPath = s.slice("unix:".length).replace(/^\/\/(?=\/)/, "");
    if (!socketPath.startsWith("/")) return bad("a unix socket needs an absolute path, e.g. unix:/run/caddy/admin.sock");
    return ok({ kind: "unix", socketPath, label: s });
  }
  let url: URL;
  try {
    url = new URL(/^[a-z]+:\/\//i.test(s) ? s : `http://${s}`);
  } catch {
    return bad("is neither http(s)://host:port nor unix:/path");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return bad("only http://, https:// and unix: are supported");
  const scheme = url.protocol === "https:" ? "https" : "http";
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return ok({ kind: "tcp", scheme, host, port: url.port ? Number(url.port) : 2019, label: `${scheme}://${url.host}` });
}

/** Whether a host name or address never leaves the machine (localhost, 127.0.0.0/8, ::1). */
export function isLoopbackHost(host: string): boolean {
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  try {
    return ipaddr.parse(host).range() === "loopback";
  } catch {
    return false;
  }
}

/** An admin endpoint whose traffic crosses a network in clear: http:// to a non-loopback host. */
export function isPlaintextRemote(ep: AdminEndpoint): boolean {
  return ep.kind === "tcp" && ep.scheme === "http" && !isLoopbackHost(ep.host);
}
