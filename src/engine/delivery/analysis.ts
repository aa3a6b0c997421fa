// Per-pool request and error counts of a split route, read from the access log Caddy writes for
// split routes (Settings caddy.accessLog): one JSON line per request with its host, status and the
// X-Hecate-Pool response header naming the pool that answered. Caddy 2.6.2's metrics count per
// server and handler module only, so the log is where per-pool numbers live.
import { createReadStream, existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { DELIVERY_LOGGER, POOL_HEADER } from "../../compile/caddy/delivery.js";

export interface PoolCounts {
  requests: number;
  /** Answers with status 500-599. */
  errors: number;
}

/** Counts per pool name of requests to `hosts` (under `paths`, when set) logged at or after `since`. */
export async function poolCounts(file: string, route: { hosts: readonly string[]; paths?: readonly string[] }, since: Date): Promise<Map<string, PoolCounts>> {
  const out = new Map<string, PoolCounts>();
  if (!existsSync(file)) return out;
  const hosts = new Set(route.hosts.map((h) => h.toLowerCase()));
  const from = since.getTime() / 1000;
  const logger = `http.log.access.${DELIVERY_LOGGER}`;
  const lines = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.includes(POOL_HEADER)) continue;
    let e: { logger?: string; ts?: number; status?: number; request?: { host?: string; uri?: string }; resp_headers?: Record<string, string[]> };
    try {
      e = JSON.parse(line);
    } catch {
      continue; // a line being written while we read
    }
    if (e.logger !== logger || (e.ts ?? 0) < from) continue;
    const host = (e.request?.host ?? "").toLowerCase().replace(/:\d+$/, "");
    if (!hosts.has(host)) continue;
    if (route.paths?.length && !route.paths.some((p) => (e.request?.uri ?? "").startsWith(p))) continue;
    const pool = e.resp_headers?.[POOL_HEADER]?.[0];
    if (!pool) continue;
    const c = out.get(pool) ?? out.set(pool, { requests: 0, errors: 0 }).get(pool)!;
    c.requests++;
    if ((e.status ?? 0) >= 500) c.errors++;
  }
  return out;
}

/** Error rate in percent (0 with no requests). */
export const errorRate = (c: PoolCounts | undefined) => (c && c.requests ? (100 * c.errors) / c.requests : 0);
