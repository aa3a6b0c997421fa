// Streams: TCP/UDP proxies for nginx, presets expanded into one stream per port, and listen ports
// checked against each other and against the ports Caddy binds.
import { where, type Entry } from "../ctx.js";
import { suggest, type PathSeg } from "../load.js";
import { hasPort, isIPv4, isIPv6, parseDuration, parseHostPort } from "../net.js";
import { STREAM_PRESETS, streamPreset } from "../presets.js";
import type { ResolvedStream, ResolvedStreamUpstream } from "../resolved.js";
import type { StreamResource } from "../schema.js";
import { checkIpFilter } from "../validate.js";
import type { ResolveCtx } from "./context.js";
import { sortRecord } from "./order.js";
import { caddyListenPort } from "./settings.js";

// Mail sessions sit idle for minutes (SMTP 5 min per command, IMAP IDLE 29), so these ports need a long idle timeout.
const MAIL_PORTS = new Set([25, 465, 587, 143, 993, 110, 995]);
const MAIL_MIN_IDLE_MS = 10 * 60_000;

/** One resolved stream with the entry and field it came from, for collision messages. */
export interface StreamUnit {
  entry: Entry<StreamResource>;
  resolved: ResolvedStream;
  listenPath: PathSeg[];
}

export function resolveStreams(ctx: ResolveCtx): StreamUnit[] {
  const out: StreamUnit[] = [];
  for (const e of ctx.catalog.list<StreamResource>("Stream")) {
    const s = e.resource.spec;
    const name = e.resource.metadata.name;
    const ipFilter = checkIpFilter(ctx.rep, e, ["spec", "ipFilter"], s.ipFilter);
    // listen: a port, "address:port", or (presets) an address alone
    let address: string | undefined;
    let port: number | undefined;
    if (s.listen !== undefined) {
      const l = parseListen(s.listen);
      if (!l.ok) {
        ctx.rep.error("address", `spec.listen: ${JSON.stringify(s.listen)} ${l.reason}`, e, ["spec", "listen"]);
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
        ctx.rep.error("preset", `spec.preset: unknown stream preset ${JSON.stringify(s.preset)}${close ? ` (did you mean "${close}"?)` : ""}; known: ${listStreamPresetNames().join(", ")}`, e, ["spec", "preset"]);
        continue;
      }
      parts = p.ports.filter((x) => !s.protocol || x.protocol === s.protocol);
      if (port !== undefined) {
        if (parts.length !== 1) {
          ctx.rep.error("stream", `spec.listen: preset ${p.name} listens on several ports (${p.ports.map((x) => `${x.port}/${x.protocol}`).join(", ")}); give an address only (e.g. "0.0.0.0") or no listen`, e, ["spec", "listen"]);
          continue;
        }
        parts = [{ ...parts[0]!, port }];
      }
    } else {
      if (port === undefined) {
        ctx.rep.error("stream", s.listen === undefined ? `stream "${name}" has no spec.listen (a port, or "address:port")` : `spec.listen: ${JSON.stringify(s.listen)} has no port`, e, s.listen === undefined ? ["spec"] : ["spec", "listen"], { key: true });
        continue;
      }
      parts = [{ port, protocol: s.protocol ?? "tcp" }];
    }
    if (!checkBackups(ctx, e)) continue;
    const multi = parts.length > 1;
    for (const part of parts) {
      const ups: ResolvedStreamUpstream[] = [];
      s.upstreams.forEach((u, i) => {
        if (multi && hasPort(u.address)) {
          ctx.rep.error("address", `spec.upstreams[${i}].address: with preset ${s.preset} (several ports) give the host only; the preset supplies each port`, e, ["spec", "upstreams", i, "address"]);
          return;
        }
        const hp = parseHostPort(u.address, s.preset !== undefined ? part.port : undefined);
        if (!hp.ok) {
          ctx.rep.error("address", `spec.upstreams[${i}].address: ${JSON.stringify(u.address)} ${hp.reason}`, e, ["spec", "upstreams", i, "address"]);
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
        ctx.rep.error(
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

export function checkStreamPorts(ctx: ResolveCtx, units: readonly StreamUnit[]): void {
  const wild = (a?: string) => a === undefined || a === "*" || a === "0.0.0.0" || a === "[::]" || a === "::";
  const overlap = (a?: string, b?: string) => wild(a) || wild(b) || a === b;
  const seen: StreamUnit[] = [];
  const names = new Map<string, StreamUnit>();
  for (const u of units) {
    const r = u.resolved;
    const dupName = names.get(r.name);
    if (dupName && dupName.entry !== u.entry) ctx.rep.error("duplicate-name", `stream name "${r.name}" (from a preset) collides with stream "${dupName.entry.resource.metadata.name}"`, u.entry, ["metadata", "name"]);
    names.set(r.name, u);
    for (const o of seen) {
      const q = o.resolved;
      if (q.protocol === r.protocol && q.listen.port === r.listen.port && overlap(q.listen.address, r.listen.address)) {
        ctx.rep.error(
          "port-collision",
          `stream "${r.name}" listens on ${r.listen.port}/${r.protocol}${r.listen.address ? ` (${r.listen.address})` : ""}, as does stream "${q.name}" (${where(o.entry, o.listenPath)}); each port+protocol+address may be used once`,
          u.entry,
          u.listenPath,
        );
      }
    }
    seen.push(u);
    // Caddy binds its HTTP and HTTPS ports (TCP, and UDP for HTTP/3 on the HTTPS port).
    const c = ctx.settings.caddy;
    const caddyTcp = new Set([c.httpPort, c.httpsPort, ...c.listen.map(caddyListenPort).filter((x): x is number => x !== undefined)]);
    const clash = r.protocol === "tcp" ? caddyTcp.has(r.listen.port) : r.listen.port === c.httpsPort;
    if (clash) {
      ctx.rep.error(
        "port-collision",
        `stream "${r.name}" listens on ${r.listen.port}/${r.protocol}, which Caddy uses (${r.protocol === "udp" ? "HTTP/3 on its HTTPS port" : `httpPort ${c.httpPort}, httpsPort ${c.httpsPort}, listen ${c.listen.join(" ")}`} in Settings); pick another port or move Caddy`,
        u.entry,
        u.listenPath,
      );
    }
  }
}

/**
 * nginx refuses an upstream block of backups only ("no live upstreams" for every connection) and
 * backups under hash balancing; the model says so at the field, not the compiler at plan time.
 */
function checkBackups(ctx: ResolveCtx, e: Entry<StreamResource>): boolean {
  const s = e.resource.spec;
  let ok = true;
  if (s.upstreams.length > 0 && s.upstreams.every((u) => u.backup)) {
    ctx.rep.error("stream-backup", `spec.upstreams: every upstream is a backup; at least one must be a primary (remove "backup: true" from one)`, e, ["spec", "upstreams"]);
    ok = false;
  }
  if (s.balancing === "hash") {
    s.upstreams.forEach((u, i) => {
      if (!u.backup) return;
      ctx.rep.error("stream-backup", `spec.upstreams[${i}].backup: nginx does not allow backup servers with hash balancing; use another spec.balancing or drop the backup`, e, ["spec", "upstreams", i, "backup"]);
      ok = false;
    });
  }
  return ok;
}

function listStreamPresetNames(): string[] {
  return STREAM_PRESETS.map((p) => p.name).sort();
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
