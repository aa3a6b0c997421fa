// Prometheus metrics of one server (its own registry, so several servers in one process, as in
// tests, never share counters). Route states are computed when scraped, from the store.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { EngineEvent } from "../engine/types.js";
import type { HealthReport } from "../engine/health.js";
import type { Store } from "../store/store.js";
import { canonicalJson } from "../model/canonical-json.js";

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics(store: Store) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "hecate_process_" });
  const m = {
    registry,
    requests: new Counter({ name: "hecate_http_requests_total", help: "API requests by method, route pattern and status", labelNames: ["method", "route", "status"], registers: [registry] }),
    requestSeconds: new Histogram({ name: "hecate_http_request_duration_seconds", help: "API request duration", labelNames: ["method", "route"], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [registry] }),
    authFailures: new Counter({ name: "hecate_auth_failures_total", help: "Refused API tokens by reason", labelNames: ["reason"], registers: [registry] }),
    plans: new Counter({ name: "hecate_plans_total", help: "Plans made through the API by outcome", labelNames: ["outcome"], registers: [registry] }),
    planSeconds: new Histogram({ name: "hecate_plan_duration_seconds", help: "Time to plan (read every system, diff)", buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers: [registry] }),
    applies: new Counter({ name: "hecate_applies_total", help: "Applies through the API by status", labelNames: ["status"], registers: [registry] }),
    applySeconds: new Histogram({ name: "hecate_apply_duration_seconds", help: "Time to apply (lock, journal, write, verify)", buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120], registers: [registry] }),
    drift: driftGauge(registry),
    providerCalls: new Counter({ name: "hecate_provider_steps_total", help: "Provider steps (a batch of changes to one system) started by applies", labelNames: ["system"], registers: [registry] }),
    providerErrors: new Counter({ name: "hecate_provider_errors_total", help: "Provider steps that failed", labelNames: ["system"], registers: [registry] }),
    reconcileRounds: new Counter({ name: "hecate_reconcile_rounds_total", help: "Rounds of the server's reconcile loop by outcome (ok, idle, error, busy, suspended, breaker-open)", labelNames: ["status"], registers: [registry] }),
    leader: new Gauge({ name: "hecate_reconcile_leader", help: "1 while this server leads (runs the reconcile loop), else 0", registers: [registry] }),
    lockWaits: new Counter({ name: "hecate_lock_waits_total", help: "Applies that had to wait for another holder's lock", registers: [registry] }),
  };
  routesGauge(registry, store);
  bypassGauge(registry, store);
  expiryGauge(registry, store);
  return {
    ...m,
    /** Engine events of an apply, counted per system. */
    onEvent(e: EngineEvent): void {
      if (e.type === "step.start") m.providerCalls.inc({ system: e.system });
      else if (e.type === "step.failed") m.providerErrors.inc({ system: e.system });
      else if (e.type === "lock.wait") m.lockWaits.inc();
    },
  };
}

const driftGauge = (registry: Registry) =>
  new Gauge({ name: "hecate_drift_changes", help: "Changes found by the last drift check, per system (-1: the system could not be read)", labelNames: ["system"], registers: [registry] });

function routesGauge(registry: Registry, store: Store): void {
  new Gauge({
    name: "hecate_routes",
    help: "Routes of the head revision by state: applied (as last applied) or pending (not applied yet, or changed since)",
    labelNames: ["state"],
    registers: [registry],
    async collect() {
      const states = [...(await routeStates(store)).values()];
      this.set({ state: "applied" }, states.filter((x) => x === "applied").length);
      this.set({ state: "pending" }, states.filter((x) => x === "pending").length);
    },
  });
}

// Loud on purpose: a dashboard alert on this catches a break-glass that outlives its incident.
function bypassGauge(registry: Registry, store: Store): void {
  new Gauge({
    name: "hecate_auth_bypassed",
    help: "1 per route served without sign-in now (hecate bypass-auth), from the last applied revision; the label until says when it ends",
    labelNames: ["route", "until"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of (await store.lastApplied())?.resources ?? []) {
        if (r.kind === "Route" && r.spec.bypassAuth && r.spec.authPolicy) this.set({ route: r.metadata.name, until: r.spec.bypassAuth.until }, 1);
      }
    },
  });
}

/**
 * The control plane's state as Prometheus text, read now rather than counted by a server
 * (`hecate metrics`): routes by state, the revisions, and each system's health read.
 */
export async function stateMetrics(store: Store, health: HealthReport): Promise<{ text: string; contentType: string }> {
  const registry = new Registry();
  routesGauge(registry, store);
  bypassGauge(registry, store);
  const drift = driftGauge(registry);
  const up = new Gauge({ name: "hecate_system_up", help: "1 when the system could be read now, else 0", labelNames: ["system"], registers: [registry] });
  const seconds = new Gauge({ name: "hecate_system_read_seconds", help: "How long reading the system took", labelNames: ["system"], registers: [registry] });
  const revision = new Gauge({ name: "hecate_revision", help: "Revision number of the head and of the last applied revision", labelNames: ["which"], registers: [registry] });
  for (const s of health.systems) {
    up.set({ system: s.system }, s.state === "down" ? 0 : 1);
    seconds.set({ system: s.system }, s.ms / 1000);
    drift.set({ system: s.system }, s.state === "down" ? -1 : s.changes.length);
  }
  if (health.head !== undefined) revision.set({ which: "head" }, health.head);
  if (health.applied !== undefined) revision.set({ which: "applied" }, health.applied);
  return { text: await registry.metrics(), contentType: registry.contentType };
}

function expiryGauge(registry: Registry, store: Store): void {
  new Gauge({
    name: "hecate_certificate_expiry_timestamp_seconds",
    help: "Not-after of each certificate Hecate holds or imported (dns-01 and imported; Caddy's own are Caddy's), as unix time: alert on it minus time()",
    labelNames: ["certificate"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const c of await certificateNotAfters(store)) this.set({ certificate: c.name }, Math.floor(Date.parse(c.notAfter) / 1000));
    },
  });
}

/** Certificates of the last applied revision whose not-after Hecate knows (held and imported). */
async function certificateNotAfters(store: Store): Promise<{ name: string; notAfter: string }[]> {
  const applied = await store.lastApplied();
  if (!applied?.resources.some((r) => r.kind === "Certificate")) return [];
  const [{ certificateExpiries }, { createSecretResolver }] = await Promise.all([import("../secrets/upkeep.js"), import("../store/secrets.js")]);
  return certificateExpiries(store, applied.resources, createSecretResolver(store, applied.resources));
}

/** Each route of the head: applied (as last applied) or pending (not applied yet, or changed since). */
export async function routeStates(store: Store): Promise<Map<string, "applied" | "pending">> {
  const [head, applied] = await Promise.all([store.head(), store.lastApplied()]);
  const live = new Map((applied?.resources ?? []).filter((r) => r.kind === "Route").map((r) => [r.metadata.name, canonicalJson(r)]));
  const out = new Map<string, "applied" | "pending">();
  for (const r of head?.resources ?? []) {
    if (r.kind === "Route") out.set(r.metadata.name, live.get(r.metadata.name) === canonicalJson(r) ? "applied" : "pending");
  }
  return out;
}
