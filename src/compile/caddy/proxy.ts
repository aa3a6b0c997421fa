// The reverse_proxy handler for a route's upstream pool: balancing, weights, health, transport, TLS.
import type { ResolvedPool } from "../../model/resolved.js";
import type { CaddyHandler } from "./types.js";
import { secretMarker } from "./secrets.js";
import { gcd, hasPlaceholderChars, versionAtLeast } from "./util.js";

/** Above this many repeated entries, weights are approximated (the list stays small). */
const MAX_WEIGHT_SLOTS = 100;

/**
 * Upstream list + selection policy. Caddy < 2.7 has no weighted_round_robin, so weights become
 * repetition: each target appears weight/gcd times and round_robin walks the list.
 */
export function balancing(
  pool: ResolvedPool,
  version: string,
  diag: (severity: "error" | "warning", code: string, message: string) => void,
): { upstreams: { dial: string }[]; policy: Record<string, unknown> } {
  const targets = pool.targets;
  const weighted = targets.some((t) => t.weight !== targets[0]!.weight);
  const wantsWeights = pool.policy === "weighted_round_robin" || (weighted && (pool.policy === "round_robin" || pool.policy === "random"));
  if (weighted && !wantsWeights) {
    diag("warning", "caddy-weights-ignored", `load balancing policy ${pool.policy} ignores upstream weights`);
  }
  const plain = () => targets.map((t) => ({ dial: t.address }));
  if (!wantsWeights || !weighted) {
    const policy = pool.policy === "weighted_round_robin" ? "round_robin" : pool.policy;
    return { upstreams: plain(), policy: { policy } };
  }
  if (pool.policy !== "random" && versionAtLeast(version, "2.7.0")) {
    return { upstreams: plain(), policy: { policy: "weighted_round_robin", weights: targets.map((t) => t.weight) } };
  }
  const g = targets.reduce((acc, t) => gcd(acc, t.weight), 0) || 1;
  let slots = targets.map((t) => t.weight / g);
  const sum = slots.reduce((a, b) => a + b, 0);
  if (sum > MAX_WEIGHT_SLOTS) {
    diag("warning", "caddy-weights-approximated", `weights need ${sum} upstream entries on Caddy ${version}; approximated with ${MAX_WEIGHT_SLOTS}`);
    slots = slots.map((s) => Math.max(1, Math.round((s * MAX_WEIGHT_SLOTS) / sum)));
  }
  // Interleave (smooth round robin) so a 3:1 pool is a,a,b,a rather than long runs of one target.
  const upstreams: { dial: string }[] = [];
  const current = slots.map(() => 0);
  const total = slots.reduce((a, b) => a + b, 0);
  for (let n = 0; n < total; n++) {
    let best = 0;
    for (let i = 0; i < slots.length; i++) {
      current[i]! += slots[i]!;
      if (current[i]! > current[best]!) best = i;
    }
    current[best]! -= total;
    upstreams.push({ dial: targets[best]!.address });
  }
  return { upstreams, policy: { policy: pool.policy === "random" ? "random" : "round_robin" } };
}

export function reverseProxy(
  pool: ResolvedPool,
  opts: { version: string; websockets: boolean; diag: (severity: "error" | "warning", code: string, message: string) => void },
): CaddyHandler {
  for (const t of pool.targets) {
    if (hasPlaceholderChars(t.address)) opts.diag("error", "caddy-placeholder", `upstream address ${JSON.stringify(t.address)} contains { or }`);
  }
  const { upstreams, policy } = balancing(pool, opts.version, opts.diag);
  const h: CaddyHandler = { handler: "reverse_proxy", upstreams };
  const lb: Record<string, unknown> = { selection_policy: policy };
  if (pool.tryDuration) lb.try_duration = pool.tryDuration;
  if (pool.tryInterval) lb.try_interval = pool.tryInterval;
  h.load_balancing = lb;

  const health: Record<string, unknown> = {};
  if (pool.active) {
    const a: Record<string, unknown> = { uri: pool.active.path, interval: pool.active.interval, timeout: pool.active.timeout };
    if (pool.active.expectStatus !== undefined) a.expect_status = pool.active.expectStatus;
    if (pool.active.port !== undefined) a.port = pool.active.port;
    health.active = a;
  }
  if (pool.passive) {
    const p: Record<string, unknown> = { fail_duration: pool.passive.failDuration, max_fails: pool.passive.maxFails };
    if (pool.passive.unhealthyStatus?.length) p.unhealthy_status = [...pool.passive.unhealthyStatus];
    if (pool.passive.unhealthyLatency) p.unhealthy_latency = pool.passive.unhealthyLatency;
    health.passive = p;
  }
  if (Object.keys(health).length) h.health_checks = health;

  const transport: Record<string, unknown> = { protocol: "http" };
  const t = pool.timeouts;
  if (t.dial) transport.dial_timeout = t.dial;
  if (t.read) transport.read_timeout = t.read;
  if (t.write) transport.write_timeout = t.write;
  if (t.responseHeader) transport.response_header_timeout = t.responseHeader;
  if (pool.tls) transport.tls = upstreamTls(pool.tls, opts.diag);
  if (Object.keys(transport).length > 1) h.transport = transport;

  // Caddy proxies Upgrade requests natively; flushing immediately keeps streamed frames live.
  if (opts.websockets) h.flush_interval = -1;
  return h;
}

function upstreamTls(
  tls: NonNullable<ResolvedPool["tls"]>,
  diag: (severity: "error" | "warning", code: string, message: string) => void,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (tls.serverName) out.server_name = tls.serverName;
  if (tls.insecureSkipVerify) {
    out.insecure_skip_verify = true;
    diag("warning", "caddy-insecure-upstream", "upstream certificate is not verified (insecureSkipVerify)");
  }
  if (tls.ca) {
    if (tls.ca.startsWith("file:")) {
      const path = tls.ca.slice("file:".length);
      // A path is used as is by Caddy; placeholders in it would be expanded, so refuse them.
      if (hasPlaceholderChars(path)) diag("error", "caddy-placeholder", `CA file path ${JSON.stringify(path)} contains { or }`);
      else out.root_ca_pem_files = [path];
    } else {
      // The PEM itself is secret-referenced: a marker the provider turns into DER certificates.
      out.root_ca_pool = secretMarker(tls.ca, "pem-der-list");
    }
  }
  return out;
}
