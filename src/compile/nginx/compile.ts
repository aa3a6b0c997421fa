// Pure compiler: resolved streams → the one nginx stream file Hecate owns, byte-identical per input.
import { createHash } from "node:crypto";
import ipaddr from "ipaddr.js";
import type { Diagnostic } from "../../diag.js";
import type { ResolvedState, ResolvedStream } from "../../model/resolved.js";
import { canonicalDuration, formatDuration, parseDuration } from "./time.js";
import type { NginxOwned, NginxStream, NginxUpstreamServer, StreamBalancing } from "./types.js";

export const HEADER_LINE = "# Managed by Hecate — do not edit; changes are overwritten";
export const HASH_PREFIX = "# hecate-sha256: ";
export const UPSTREAM_PREFIX = "hecate_";

/** A stream as compile takes it; the model has already refused backups nginx would refuse. */
export type StreamInput = ResolvedStream;

/**
 * Ports of mail protocols and the shortest idle timeout each may get. A mail session idles far
 * longer than a second (SMTP servers wait 5 minutes per RFC 5321, IMAP IDLE up to 29 minutes
 * per RFC 2177), and the tool Hecate replaces cut them off with `proxy_timeout 1s`.
 */
export const MAIL_IDLE_FLOOR_MS: ReadonlyMap<number, number> = new Map([
  [25, 300_000], [465, 300_000], [587, 300_000], [2525, 300_000], [4190, 300_000],
  [110, 600_000], [995, 600_000],
  [143, 1_800_000], [993, 1_800_000],
]);

/** UDP request/response protocols where one answer ends the session (frees it at once). */
const ONE_RESPONSE_UDP_PORTS: ReadonlySet<number> = new Set([53, 123]);

const DEFAULT_CONNECT = "60s";
const DEFAULT_IDLE = "10m";
const DEFAULT_FAIL_TIMEOUT = "10s";
const HOST_RE = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/** Split "host:port" / "[v6]:port"; undefined when malformed or the host could inject config. */
export function splitHostPort(address: string): { host: string; port: number } | undefined {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:\s\[\]]+):(\d{1,5})$/.exec(address);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  const host = m[1]!;
  if (host.startsWith("[")) {
    return ipaddr.IPv6.isValid(host.slice(1, -1)) ? { host, port } : undefined;
  }
  if (ipaddr.IPv4.isValidFourPartDecimal(host) || HOST_RE.test(host)) return { host, port };
  return undefined;
}

/** The text after `listen`, normalized so the same socket is always spelled the same way. */
export function normalizeListen(listen: { address?: string; port: number }): string | undefined {
  const { address, port } = listen;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  if (address === undefined || address === "" || address === "*" || address === "0.0.0.0") return String(port);
  const bare = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) return `${bare}:${port}`;
  if (ipaddr.IPv6.isValid(bare)) return `[${ipaddr.IPv6.parse(bare).toString()}]:${port}`;
  return undefined;
}

/** Port of a normalized listen string. */
export function listenPort(listen: string): number {
  const i = listen.lastIndexOf(":");
  return Number(i < 0 ? listen : listen.slice(i + 1));
}

function validCidr(s: string): boolean {
  return (
    ipaddr.IPv4.isValidFourPartDecimal(s) ||
    ipaddr.IPv4.isValidCIDRFourPartDecimal(s) ||
    ipaddr.IPv6.isValid(s) ||
    ipaddr.IPv6.isValidCIDR(s)
  );
}

/** Normalize one stream; problems go to diags and make it undefined (never a broken file). */
function normalizeStream(s: StreamInput, diags: Diagnostic[]): NginxStream | undefined {
  const address = `Stream/${s.name}`;
  const errors: string[] = [];
  const warn = (code: string, message: string) => diags.push({ severity: "warning", code, message, address });

  const listen = normalizeListen(s.listen);
  if (listen === undefined) errors.push(`listen ${s.listen.address ?? ""}:${s.listen.port} is not an IP address and port`);
  if (s.upstreams.length === 0) errors.push("a stream needs at least one upstream");

  const balancing: StreamBalancing = s.balancing ?? "round_robin";
  const upstreamPorts: number[] = [];
  const upstreams: NginxUpstreamServer[] = s.upstreams.map((u, i) => {
    const hp = splitHostPort(u.address);
    if (!hp) errors.push(`upstreams[${i}].address "${u.address}" is not host:port`);
    else upstreamPorts.push(hp.port);
    const failTimeout = canonicalDuration(u.failTimeout || DEFAULT_FAIL_TIMEOUT);
    if (failTimeout === undefined) errors.push(`upstreams[${i}].failTimeout "${u.failTimeout}" is not a duration`);
    if (!Number.isInteger(u.weight) || u.weight < 1) errors.push(`upstreams[${i}].weight must be a whole number >= 1`);
    if (!Number.isInteger(u.maxFails) || u.maxFails < 0) errors.push(`upstreams[${i}].maxFails must be a whole number >= 0`);
    const out: NginxUpstreamServer = {
      address: u.address,
      weight: u.weight,
      maxFails: u.maxFails,
      failTimeout: failTimeout ?? DEFAULT_FAIL_TIMEOUT,
      backup: u.backup,
    };
    if (u.maxConns !== undefined && u.maxConns > 0) out.maxConns = u.maxConns;
    return out;
  });

  const connect = canonicalDuration(s.timeouts.connect || DEFAULT_CONNECT);
  if (connect === undefined) errors.push(`timeouts.connect "${s.timeouts.connect}" is not a duration`);
  let idleMs = parseDuration(s.timeouts.idle || DEFAULT_IDLE);
  if (idleMs === undefined) errors.push(`timeouts.idle "${s.timeouts.idle}" is not a duration`);

  const port = listen === undefined ? 0 : listenPort(listen);
  const floor = Math.max(MAIL_IDLE_FLOOR_MS.get(port) ?? 0, ...upstreamPorts.map((p) => MAIL_IDLE_FLOOR_MS.get(p) ?? 0));
  if (idleMs !== undefined && floor > 0 && idleMs < floor) {
    warn(
      "mail-timeout-raised",
      `timeouts.idle ${formatDuration(idleMs)} would cut off idle mail sessions on port ${port}; using ${formatDuration(floor)}`,
    );
    idleMs = floor;
  }

  const allow = s.ipFilter?.allow ?? [];
  const deny = s.ipFilter?.deny ?? [];
  for (const [field, list] of [["allow", allow], ["deny", deny]] as const) {
    list.forEach((v, i) => {
      if (!validCidr(v)) errors.push(`ipFilter.${field}[${i}] "${v}" is not an IP address or CIDR`);
    });
  }

  if (errors.length > 0) {
    for (const e of errors) diags.push({ severity: "error", code: "nginx-stream", message: e, address });
    return undefined;
  }
  const out: NginxStream = {
    name: s.name,
    protocol: s.protocol,
    listen: listen!,
    balancing,
    upstreams,
    connectTimeout: connect!,
    idleTimeout: formatDuration(idleMs!),
    proxyProtocol: s.proxyProtocol,
    allow: [...allow],
    deny: [...deny],
  };
  if (s.protocol === "udp" && ONE_RESPONSE_UDP_PORTS.has(port)) out.proxyResponses = 1;
  return out;
}

/** The directives of one stream, exactly as they appear in the file. */
export function renderStream(s: NginxStream): string {
  const up = UPSTREAM_PREFIX + s.name;
  const lines: string[] = [];
  lines.push(`# Stream/${s.name}: ${s.protocol} ${s.listen}`);
  lines.push(`upstream ${up} {`);
  if (s.balancing === "least_conn") lines.push("    least_conn;");
  if (s.balancing === "random") lines.push("    random;");
  if (s.balancing === "hash") lines.push("    hash $remote_addr consistent;");
  for (const u of s.upstreams) {
    let line = `    server ${u.address} weight=${u.weight} max_fails=${u.maxFails} fail_timeout=${u.failTimeout}`;
    if (u.maxConns !== undefined) line += ` max_conns=${u.maxConns}`;
    if (u.backup) line += " backup";
    lines.push(line + ";");
  }
  lines.push("}");
  lines.push("");
  lines.push("server {");
  lines.push(`    listen ${s.listen}${s.protocol === "udp" ? " udp reuseport" : ""};`);
  lines.push(`    proxy_pass ${up};`);
  lines.push(`    proxy_connect_timeout ${s.connectTimeout};`);
  lines.push(`    proxy_timeout ${s.idleTimeout};`);
  lines.push("    proxy_next_upstream on;");
  if (s.proxyResponses !== undefined) lines.push(`    proxy_responses ${s.proxyResponses};`);
  if (s.proxyProtocol) lines.push("    proxy_protocol on;");
  for (const d of s.deny) lines.push(`    deny ${d};`);
  for (const a of s.allow) lines.push(`    allow ${a};`);
  if (s.allow.length > 0) lines.push("    deny all;");
  lines.push("}");
  return lines.join("\n") + "\n";
}

/** sha256 of the body (everything after the hash line); lets read() notice hand edits. */
export function bodyHash(body: string): string {
  return createHash("sha256").update(body).digest("hex");
}

/** The whole owned file for these (already valid, sorted) streams. */
export function renderFile(streams: NginxStream[]): string {
  const body = streams.map((s) => "\n" + renderStream(s)).join("");
  return `${HEADER_LINE}\n${HASH_PREFIX}${bodyHash(body)}\n${body}`;
}

export function compileNginx(state: ResolvedState): { config: NginxOwned; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const inputs = [...(state.streams as StreamInput[])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const streams: NginxStream[] = [];
  const names = new Set<string>();
  const sockets = new Map<string, string>(); // "tcp 127.0.0.1:25" -> stream name
  for (const input of inputs) {
    const address = `Stream/${input.name}`;
    if (names.has(input.name)) {
      diagnostics.push({ severity: "error", code: "duplicate-stream", message: `stream ${input.name} is defined twice`, address });
      continue;
    }
    names.add(input.name);
    const s = normalizeStream(input, diagnostics);
    if (!s) continue;
    const key = `${s.protocol} ${s.listen}`;
    const other = sockets.get(key);
    if (other !== undefined) {
      diagnostics.push({
        severity: "error",
        code: "listen-collision",
        message: `${s.protocol} listen ${s.listen} is already used by Stream/${other}; left out of the nginx file`,
        address,
      });
      continue;
    }
    sockets.set(key, s.name);
    streams.push(s);
  }
  return { config: { file: renderFile(streams), streams }, diagnostics };
}

/** Text for `hecate render nginx`. */
export function renderNginx(state: ResolvedState): string {
  return compileNginx(state).config.file;
}
