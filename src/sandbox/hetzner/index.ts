// startHetznerSandbox: the sandbox Hetzner Cloud DNS API and its authoritative nameserver on loopback, sharing one store.
import { createHash, timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Actions, type Action, type ActionFailure } from "./actions.js";
import { hetznerApi } from "./api.js";
import { Faults, type Fault } from "./faults.js";
import { startNameserver } from "./nameserver.js";
import { RateLimiter, type RateLimitOptions } from "./ratelimit.js";
import { RequestLog, type LoggedRequest } from "./requestlog.js";
import { seedStore, type Seed } from "./seed.js";
import { HetznerStore, type RRSet, type Zone } from "./store.js";

export { loadSeed, type Seed, type SeedZone, type SeedRRSet } from "./seed.js";
export { REAL_RATE_LIMIT, type RateLimitOptions } from "./ratelimit.js";
export type { Action, ActionFailure, Fault, LoggedRequest, RRSet, Zone };
export { quoteTxt } from "./values.js";

export interface HetznerSandboxOptions {
  /** Loopback by default: the sandbox has one well-known token and must not face a network. */
  host?: string;
  /** HTTP port; 0 (the default) picks a free one. */
  port?: number;
  /** DNS port (UDP and TCP); 0 (the default) picks a free one. */
  dnsPort?: number;
  /** The bearer token clients must send. */
  token: string;
  /** Token bucket; default the real API's 3600 requests, 1 per second back. */
  rateLimit?: RateLimitOptions;
  /** How long a write's action stays running (and its zone locked); default 100 ms, 0 finishes at once. */
  actionDelayMs?: number;
  /** Zones to start with, created synchronously before the first request. */
  zones?: Seed["zones"];
}

export interface HetznerSandbox {
  /** Base URL of the API, e.g. http://127.0.0.1:PORT/v1 */
  url: string;
  dns: { host: string; port: number };
  /** The live store: read it to assert, or change it behind the API's back to simulate drift. */
  store: HetznerStore;
  zones(): Zone[];
  rrsets(zone: string | number): RRSet[];
  actions(): Action[];
  /** Every /v1 request served so far (no headers, so no tokens). */
  requests(): LoggedRequest[];
  clearRequests(): void;
  /** The next /v1 request fails with this status (code defaults by status: 503 unavailable, 504 timeout, 500 server_error). */
  failNext(fault: Partial<Fault> & { status: number }): void;
  /** Request number n (1-based over all /v1 requests) fails. */
  failRequest(n: number, fault: Partial<Fault> & { status: number }): void;
  /** The next write's action ends in `error`, and its change is undone. */
  failNextAction(failure?: ActionFailure): void;
  /** Change the action delay for later writes. */
  setActionDelay(ms: number): void;
  close(): Promise<void>;
}

const digest = (s: string): Buffer => createHash("sha256").update(s).digest();

export async function startHetznerSandbox(opts: HetznerSandboxOptions): Promise<HetznerSandbox> {
  if (!opts.token) throw new Error("startHetznerSandbox needs a token");
  const host = opts.host ?? "127.0.0.1";
  const store = new HetznerStore();
  if (opts.zones) seedStore(store, { zones: opts.zones });
  const actions = new Actions(store, opts.actionDelayMs ?? 100);
  const faults = new Faults();
  const log = new RequestLog();
  // Hash both sides so the comparison takes the same time whatever the lengths.
  const expected = digest(opts.token);
  const app = hetznerApi({
    store,
    actions,
    faults,
    log,
    limiter: new RateLimiter(opts.rateLimit ?? { limit: 3600, refillPerSecond: 1 }),
    tokenMatches: (t) => timingSafeEqual(digest(t), expected),
  });

  const server = await new Promise<ReturnType<typeof serve>>((res, rej) => {
    const s = serve({ fetch: app.fetch, hostname: host, port: opts.port ?? 0 }, () => res(s));
    s.once("error", rej);
  });
  let ns;
  try {
    ns = await startNameserver(store, host, opts.dnsPort ?? 0);
  } catch (e) {
    await new Promise((r) => server.close(r));
    throw e;
  }
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}/v1`,
    dns: { host: ns.host, port: ns.port },
    store,
    zones: () => store.listZones(),
    rrsets: (zone) => store.listRrsets(zone),
    actions: () => actions.list(),
    requests: () => log.all(),
    clearRequests: () => log.clear(),
    failNext: (f) => faults.failNext(f),
    failRequest: (n, f) => faults.failRequest(n, f),
    failNextAction: (f) => actions.failNext(f),
    setActionDelay: (ms) => void (actions.delayMs = ms),
    async close() {
      actions.stop();
      await ns.close();
      if ("closeAllConnections" in server) server.closeAllConnections();
      await new Promise<void>((res, rej) => server.close((e) => (e ? rej(e) : res())));
    },
  };
}
