// Progressive delivery and emergency switches in Caddy JSON: the split between a route's pools
// (opt-in header or cookie, sticky cookie, random share by weight), blocked client addresses,
// and the access log that counts requests and errors per pool. Every split route keeps its own
// handlers (no sharing with other routes): the pool header and cookie name are per route.
//
// Weights on Caddy 2.6.2 (which has no weighted round robin): Caddy gives each request a random
// v4 UUID ({http.request.uuid}, generated once per request); its first four hex digits are
// uniform over 0..65535, so a pool with p% owns a range of p/100·65536 values and a vars_regexp
// matcher on that range sends it exactly that share (10% = 6554/65536 = 10.0006%). Each pool
// keeps its own reverse_proxy (its balancing, health checks, TLS), which Caddy's own weights
// (2.7+, per upstream inside one reverse_proxy) could not, and the same config works on every
// Caddy version.
import type { ResolvedRoute, ResolvedSplit, ResolvedSettings } from "../../model/resolved.js";
import { reverseProxy } from "./proxy.js";
import type { CaddyHandler, CaddyRoute } from "./types.js";
import { literal } from "./util.js";

/** Response header naming the pool that answered; the access log records it for canary analysis. */
export const POOL_HEADER = "X-Hecate-Pool";
/** The Caddy logger (logging.logs) of split routes' access log. */
export const DELIVERY_LOGGER = "hecate-delivery";

const UUID_SPACE = 0x10000;
const forbidden = (): CaddyHandler => ({ handler: "static_response", status_code: 403 });

/** A guard answering 403 to the blocked client addresses and handing everything else on. */
export function blockHandler(addresses: readonly string[]): CaddyHandler {
  return { handler: "subroute", routes: [{ match: [{ remote_ip: { ranges: [...addresses] } }], handle: [forbidden()] }] };
}

/** The server-wide block route (Settings spec.blocks), right after the identity strip. */
export function blockRoute(id: string, addresses: readonly string[]): CaddyRoute {
  return { "@id": id, match: [{ remote_ip: { ranges: [...addresses] } }], handle: [forbidden()], terminal: true };
}

const hexClass = (lo: number, hi: number): string => {
  if (lo === 0 && hi === 15) return "[0-9a-f]";
  if (lo === hi) return lo.toString(16);
  const part = (a: number, b: number) => (a === b ? a.toString(16) : `${a.toString(16)}-${b.toString(16)}`);
  const out: string[] = [];
  if (lo <= 9) out.push(part(lo, Math.min(hi, 9)));
  if (hi >= 10) out.push(part(Math.max(lo, 10), hi));
  return `[${out.join("")}]`;
};

/** Alternatives matching exactly the `width`-digit lower-case hex numbers in [lo, hi]. */
export function hexRange(lo: number, hi: number, width: number): string[] {
  if (lo > hi) return [];
  if (width === 0) return [""];
  const unit = 16 ** (width - 1);
  const full = width > 1 ? `[0-9a-f]{${width - 1}}` : "";
  const dl = Math.floor(lo / unit), dh = Math.floor(hi / unit);
  const rl = lo % unit, rh = hi % unit;
  if (dl === dh) return hexRange(rl, rh, width - 1).map((r) => dl.toString(16) + r);
  const out: string[] = [];
  let from = dl, to = dh;
  if (rl !== 0) {
    out.push(...hexRange(rl, unit - 1, width - 1).map((r) => dl.toString(16) + r));
    from = dl + 1;
  }
  if (rh !== unit - 1) to = dh - 1;
  if (from <= to) out.push(hexClass(from, to) + full);
  if (rh !== unit - 1) out.push(...hexRange(0, rh, width - 1).map((r) => dh.toString(16) + r));
  return out;
}

/** The uuid matcher of the share [from, to) of UUID_SPACE. */
function shareMatcher(from: number, to: number): Record<string, unknown> {
  return { vars_regexp: { "{http.request.uuid}": { pattern: `^(?:${hexRange(from, to - 1, 4).join("|")})` } } };
}

const reEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const cookieMatcher = (name: string, value: string) => ({ header_regexp: { Cookie: { pattern: `(?:^|;\\s*)${reEscape(name)}=${reEscape(value)}(?:;|$)` } } });

interface SplitCtx {
  version: string;
  websockets: boolean;
  diag: (severity: "error" | "warning", code: string, message: string) => void;
}

/**
 * The split of a route as one subroute: opt-in header, opt-in cookie, the sticky cookie, the random
 * shares, then the route's own pool. Every answer names its pool (POOL_HEADER); with sticky on,
 * a client sent somewhere by chance gets a cookie that keeps it there.
 */
export function splitHandler(route: ResolvedRoute, split: ResolvedSplit, ctx: SplitCtx): CaddyHandler {
  const pools = new Map(split.pools.map((p) => [p.name, p.pool]));
  pools.set(split.main, route.pool!);
  const sticky = split.sticky;
  const branch = (pool: string, setCookie: boolean): CaddyHandler[] => {
    // Not deferred: set before the proxy runs, so Caddy's own error answers (502 when the pool is
    // unreachable) carry it too and count as that pool's errors; the upstream's copy comes second.
    const response: Record<string, unknown> = { set: { [POOL_HEADER]: [pool] } };
    if (setCookie && sticky) response.add = { "Set-Cookie": [`${sticky.cookie}=${pool}; Path=/; Max-Age=${sticky.maxAge}; HttpOnly; SameSite=Lax`] };
    return [{ handler: "headers", response }, reverseProxy(pools.get(pool)!, ctx)];
  };
  const routes: CaddyRoute[] = [];
  if (split.header) routes.push({ match: [{ header: { [split.header.name]: [literal(split.header.value)] } }], handle: branch(split.header.pool, false), terminal: true });
  if (split.cookie) routes.push({ match: [cookieMatcher(split.cookie.name, split.cookie.value)], handle: branch(split.cookie.pool, false), terminal: true });
  if (sticky) {
    for (const name of [...pools.keys()].sort()) routes.push({ match: [cookieMatcher(sticky.cookie, name)], handle: branch(name, true), terminal: true });
  }
  let from = 0;
  for (const p of split.pools) {
    const to = Math.min(UUID_SPACE, from + Math.round((p.percent / 100) * UUID_SPACE));
    if (to > from) routes.push({ match: [shareMatcher(from, to)], handle: branch(p.name, true), terminal: true });
    from = to;
  }
  if (from < UUID_SPACE) routes.push({ handle: branch(split.main, true), terminal: true });
  return { handler: "subroute", routes };
}

/** The logger Caddy writes split routes' access lines to (one JSON object per request). */
export function deliveryLogger(file: string): Record<string, unknown> {
  return { writer: { output: "file", filename: file }, encoder: { format: "json" }, include: [`http.log.access.${DELIVERY_LOGGER}`] };
}

/** Whether routes with a split have their requests counted (Settings caddy.accessLog). */
export function counted(settings: ResolvedSettings): boolean {
  return !!settings.caddy.accessLog;
}
