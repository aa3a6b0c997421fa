// Webhooks: events (route.created/updated/deleted, apply.succeeded/failed, drift.detected,
// cert.expiring) POSTed
// as JSON to the URLs operators register, signed Stripe/GitHub style: the header
// `Hecate-Signature: t=UNIX,v1=HEX` where HEX is HMAC-SHA256(secret, "UNIX.BODY"), so a receiver
// checks both who sent it and when (and refuses replays of old bodies). The secret is made here,
// shown once, and kept as an encrypted Hecate secret. `hecate webhook rotate-secret` gives a new
// one; for its grace window every delivery carries a v1 signature with each secret, new first
// (`t=UNIX,v1=NEW,v1=OLD`, as Stripe does), so receivers switch at their own pace; then only the
// new one. Failed attempts are retried with doubling
// delays; every attempt lands in the webhook's delivery log, and any delivery can be sent again.
//
// Where it lives: the list in the store setting `webhooks`, the last DELIVERY_LOG deliveries of
// each in `webhook.<id>.deliveries`, the secret as the store secret `webhook.<id>`. Deliveries
// run in the server process; a retry still waiting when the server stops stays "pending" in the
// log (send it again with redeliver).
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { HecateError } from "../diag.js";
import { openGraces, previousName, rotateStoreSecret } from "../secrets/rotate.js";
import type { Store } from "../store/store.js";

export const EVENTS = ["route.created", "route.updated", "route.deleted", "apply.succeeded", "apply.failed", "drift.detected", "cert.expiring"] as const;
export type EventType = (typeof EVENTS)[number];

export interface Webhook {
  id: string;
  url: string;
  /** Event types sent, or ["*"] for every one. */
  events: string[];
  description?: string;
  createdAt: string;
  createdBy: string;
}

export interface Attempt {
  at: string;
  /** HTTP status of the answer (absent: no answer). */
  status?: number;
  error?: string;
  ms: number;
}

export interface Delivery {
  id: string;
  webhook: string;
  event: string;
  /** The event's id: the same for a redelivery, so receivers can tell it is one. */
  eventId: string;
  status: "pending" | "succeeded" | "failed";
  attempts: Attempt[];
  createdAt: string;
  /** The exact body sent (a redelivery sends it again, newly signed). */
  body: string;
  redeliveryOf?: string;
}

export interface RetryPolicy {
  /** Attempts in all (default 6). */
  attempts: number;
  /** First wait; doubled per failed attempt (default 1 s: 1, 2, 4, 8, 16 s). */
  baseMs: number;
  /** Longest one attempt may take (default 10 s). */
  timeoutMs: number;
}

const LIST_KEY = "webhooks";
const logKey = (id: string) => `webhook.${id}.deliveries`;
const secretName = (id: string) => `webhook.${id}`;
export const DELIVERY_LOG = 100;
export const SIGNATURE_HEADER = "Hecate-Signature";

/** The signature header's value for a body sent at `t` (seconds since the epoch): one v1 per secret, in order. */
export function sign(secrets: string | readonly string[], t: number, body: string): string {
  const all = typeof secrets === "string" ? [secrets] : secrets;
  return [`t=${t}`, ...all.map((k) => `v1=${createHmac("sha256", k).update(`${t}.${body}`).digest("hex")}`)].join(",");
}

const newSecret = () => `whsec_${randomBytes(32).toString("base64url")}`;

async function listOf(store: Pick<Store, "getSetting">): Promise<Webhook[]> {
  const raw = await store.getSetting(LIST_KEY);
  return raw ? (JSON.parse(raw) as Webhook[]) : [];
}

async function find(store: Pick<Store, "getSetting">, id: string): Promise<Webhook> {
  const w = (await listOf(store)).find((x) => x.id === id);
  if (!w) throw new HecateError("not-found", `webhook "${id}" does not exist (see GET /v1/webhooks)`, { status: 404 });
  return w;
}

/** The secrets a delivery is signed with now: the webhook's, then the one before it while its grace window is open. */
export async function signingSecrets(store: Pick<Store, "getSecret" | "getSetting">, id: string, now = Date.now()): Promise<string[]> {
  const name = secretName(id);
  const current = await store.getSecret(name);
  if (current === undefined) return [];
  // The window is judged by its end time here, so a server whose loop has not closed it yet stops on time.
  const old = (await openGraces(store, now)).has(name) ? await store.getSecret(previousName(name)) : undefined;
  return old === undefined ? [current] : [current, old];
}

/**
 * A new signing secret for a webhook, returned once. The old one still signs each delivery beside
 * it for `graceMs` (0: at once no more); the reconcile loop's upkeep then removes it.
 */
export async function rotateWebhookSecret(store: Store, id: string, opts: { graceMs: number; actor: string }): Promise<{ webhook: Webhook; secret: string; graceUntil?: string }> {
  const webhook = await find(store, id);
  const secret = newSecret();
  const r = await rotateStoreSecret(store, secretName(id), secret, { graceMs: opts.graceMs, actor: opts.actor, reason: "webhook signing secret", audit: { action: "webhook.rotate-secret", target: id } });
  return { webhook, secret, ...(r.graceUntil ? { graceUntil: r.graceUntil } : {}) };
}

export class Webhooks {
  private readonly policy: RetryPolicy;
  /** Writes of the list and logs, one at a time (read, change, write). */
  private chain: Promise<unknown> = Promise.resolve();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inflight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(private readonly store: Store, private readonly logger: Logger, policy: Partial<RetryPolicy> = {}) {
    this.policy = { attempts: 6, baseMs: 1000, timeoutMs: 10_000, ...policy };
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  list(): Promise<Webhook[]> {
    return listOf(this.store);
  }

  get(id: string): Promise<Webhook> {
    return find(this.store, id);
  }

  /** Register a URL; the secret is in this answer only. */
  async create(input: { url: string; events: string[]; description?: string | undefined }, actor: string): Promise<{ webhook: Webhook; secret: string }> {
    const problems = checkInput(input);
    if (problems.length) throw new HecateError("invalid", `the webhook is not valid (${problems.length} error${problems.length === 1 ? "" : "s"})`, { diagnostics: problems });
    const webhook: Webhook = {
      id: `wh_${randomBytes(6).toString("hex")}`,
      url: input.url,
      events: [...new Set(input.events)].sort(),
      ...(input.description ? { description: input.description } : {}),
      createdAt: new Date().toISOString(),
      createdBy: actor,
    };
    const secret = newSecret();
    await this.store.putSecret(secretName(webhook.id), secret);
    await this.serial(async () => this.store.setSetting(LIST_KEY, JSON.stringify([...(await this.list()), webhook])));
    await this.store.audit({ actor, action: "webhook.create", target: webhook.id, detail: { url: webhook.url, events: webhook.events } });
    return { webhook, secret };
  }

  async remove(id: string, actor: string): Promise<Webhook> {
    const w = await this.get(id);
    await this.serial(async () => {
      await this.store.setSetting(LIST_KEY, JSON.stringify((await this.list()).filter((x) => x.id !== id)));
      await this.store.setSetting(logKey(id), undefined);
    });
    await this.store.deleteSecret(secretName(id));
    await this.store.deleteSecret(previousName(secretName(id)));
    await this.store.audit({ actor, action: "webhook.delete", target: id, detail: { url: w.url } });
    return w;
  }

  /** The delivery log, newest first. */
  async deliveries(id: string): Promise<Delivery[]> {
    await this.get(id);
    const raw = await this.store.getSetting(logKey(id));
    return raw ? (JSON.parse(raw) as Delivery[]) : [];
  }

  /** Send an event to every webhook that wants it (in the background; never throws). */
  emit(type: string, data: Record<string, unknown>): void {
    if (this.closed) return;
    const body = JSON.stringify({ id: `evt_${randomUUID()}`, type, createdAt: new Date().toISOString(), data });
    this.track(
      this.list()
        .then((all) => Promise.all(all.filter((w) => w.events.includes("*") || w.events.includes(type)).map((w) => this.deliver(w, type, body))))
        .catch((e: unknown) => this.logger.error({ err: { message: (e as Error).message }, event: type }, "webhook event not queued")),
    );
  }

  /** Send a delivery's body again as a new delivery (same event id); returns it once queued. */
  async redeliver(id: string, deliveryId: string): Promise<Delivery> {
    const w = await this.get(id);
    const old = (await this.deliveries(id)).find((d) => d.id === deliveryId);
    if (!old) throw new HecateError("not-found", `delivery "${deliveryId}" is not in webhook ${id}'s log`, { status: 404 });
    return this.deliver(w, old.event, old.body, old.id);
  }

  private track(p: Promise<unknown>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private async deliver(w: Webhook, event: string, body: string, redeliveryOf?: string): Promise<Delivery> {
    const d: Delivery = {
      id: `dlv_${randomBytes(8).toString("hex")}`,
      webhook: w.id,
      event,
      eventId: (JSON.parse(body) as { id: string }).id,
      status: "pending",
      attempts: [],
      createdAt: new Date().toISOString(),
      body,
      ...(redeliveryOf ? { redeliveryOf } : {}),
    };
    await this.record(d);
    this.track(this.attempt(w, d));
    return d;
  }

  private async attempt(w: Webhook, d: Delivery): Promise<void> {
    if (this.closed) return;
    const secrets = await signingSecrets(this.store, w.id);
    if (!secrets.length) return; // removed meanwhile
    const t = Math.floor(Date.now() / 1000);
    const start = performance.now();
    const a: Attempt = { at: new Date().toISOString(), ms: 0 };
    try {
      const res = await fetch(w.url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "hecate-webhooks/1", "hecate-event": d.event, "hecate-delivery": d.id, [SIGNATURE_HEADER.toLowerCase()]: sign(secrets, t, d.body) },
        body: d.body,
        redirect: "manual",
        signal: AbortSignal.timeout(this.policy.timeoutMs),
      });
      await res.body?.cancel().catch(() => undefined);
      a.status = res.status;
      if (res.status < 200 || res.status >= 300) a.error = `answered ${res.status}`;
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      a.error = err.name === "TimeoutError" ? `no answer within ${this.policy.timeoutMs} ms` : (err.cause?.code ?? err.message);
    }
    a.ms = Math.round(performance.now() - start);
    d.attempts.push(a);
    const ok = a.error === undefined;
    d.status = ok ? "succeeded" : d.attempts.length >= this.policy.attempts ? "failed" : "pending";
    await this.record(d);
    if (!ok) this.logger.warn({ webhook: w.id, delivery: d.id, event: d.event, attempt: d.attempts.length, error: a.error }, d.status === "failed" ? "webhook delivery failed" : "webhook attempt failed; will retry");
    if (d.status === "pending" && !this.closed) {
      // Doubling waits with a little jitter, so many failed deliveries do not retry in lockstep.
      const wait = this.policy.baseMs * 2 ** (d.attempts.length - 1) * (0.9 + Math.random() * 0.2);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.track(this.attempt(w, d));
      }, wait);
      this.timers.add(timer);
    }
  }

  /** Put the delivery (new or updated) at its place in its webhook's log, keeping the newest. */
  private record(d: Delivery): Promise<void> {
    return this.serial(async () => {
      if (!(await this.list()).some((x) => x.id === d.webhook)) return;
      const raw = await this.store.getSetting(logKey(d.webhook));
      const log = raw ? (JSON.parse(raw) as Delivery[]) : [];
      const i = log.findIndex((x) => x.id === d.id);
      if (i >= 0) log[i] = d;
      else log.unshift(d);
      await this.store.setSetting(logKey(d.webhook), JSON.stringify(log.slice(0, DELIVERY_LOG)));
    });
  }

  /** Stop retrying and wait for attempts under way (server shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
    await this.chain;
  }
}

function checkInput(input: { url: string; events: string[] }): import("../diag.js").Diagnostic[] {
  const out: import("../diag.js").Diagnostic[] = [];
  let url: URL | undefined;
  try {
    url = new URL(input.url);
  } catch {
    out.push({ severity: "error", code: "url", field: "url", message: `url: "${input.url}" is not a URL` });
  }
  if (url && url.protocol !== "https:" && url.protocol !== "http:") out.push({ severity: "error", code: "url", field: "url", message: `url: must be http or https, got ${url.protocol}` });
  if (url && (url.username || url.password)) out.push({ severity: "error", code: "url", field: "url", message: "url: must not hold credentials (receivers check the signature instead)" });
  if (!input.events.length) out.push({ severity: "error", code: "events", field: "events", message: `events: name at least one of ${EVENTS.join(", ")} (or *)` });
  input.events.forEach((e, i) => {
    if (e !== "*" && !(EVENTS as readonly string[]).includes(e)) out.push({ severity: "error", code: "events", field: `events[${i}]`, message: `events[${i}]: unknown event "${e}": expected one of ${EVENTS.join(", ")} (or *)` });
  });
  return out;
}
