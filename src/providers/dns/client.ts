// A client for the Hetzner Cloud DNS API (zones, rrsets, actions): pages followed, actions
// waited for, 5xx and 423 retried with backoff, 429 waited out and writes paced from the
// RateLimit headers, every call counted. Errors carry Hetzner's code, message and fields.
import { HecateError } from "../../diag.js";
import type { ResolvedSettings } from "../../model/resolved.js";
import type { ApiUsage, ProviderContext } from "../provider.js";

export interface RateBudget {
  limit: number;
  remaining: number;
  /** Unix seconds when the budget is full again. */
  reset: number;
}


export interface HetznerClientOptions {
  /** e.g. https://api.hetzner.cloud/v1 */
  endpoint: string;
  token: string;
  signal?: AbortSignal;
  /** Give up retrying a 5xx/423 after this many attempts. */
  attempts?: number;
  /** Longest wait for an action to finish. */
  actionTimeoutMs?: number;
}

export interface Action {
  id: number;
  command: string;
  status: "running" | "success" | "error";
  progress?: number;
  error?: { code: string; message: string } | null;
}

interface Pagination {
  page: number;
  per_page: number;
  next_page: number | null;
  last_page?: number | null;
  total_entries?: number | null;
}

/** An error answer of the API, with Hetzner's own code and the fields it names. */
export class HetznerApiError extends HecateError {
  constructor(
    readonly httpStatus: number,
    readonly apiCode: string,
    readonly apiMessage: string,
    readonly fields: { name: string; messages: string[] }[],
    what: string,
  ) {
    const f = fields.map((x) => `${x.name}: ${x.messages.join("; ")}`).join(", ");
    super("hetzner-api", `Hetzner API ${what}: ${httpStatus} ${apiCode}: ${apiMessage}${f ? ` (${f})` : ""}${hint(httpStatus, apiCode)}`, {
      status: httpStatus >= 500 ? 502 : httpStatus === 404 ? 404 : httpStatus === 409 ? 409 : 400,
    });
  }
}

function hint(status: number, code: string): string {
  if (status === 401) return "; check the token in Settings spec.hetzner.token (a Hetzner Cloud project API token)";
  if (code === "token_readonly") return "; the token is read-only: create one with read & write permission";
  return "";
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => { signal?.removeEventListener("abort", onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(t); reject(signal!.reason); };
    signal?.addEventListener("abort", onAbort, { once: true });
  });

const RETRYABLE = new Set([500, 502, 503, 504, 423]);

export class HetznerClient {
  private readonly base: string;
  private readonly attempts: number;
  private readonly actionTimeoutMs: number;
  private budget: RateBudget | undefined;
  readonly usage: ApiUsage = { calls: 0, reads: 0, writes: 0, limited: 0 };

  constructor(private readonly opts: HetznerClientOptions) {
    this.base = opts.endpoint.replace(/\/+$/, "");
    this.attempts = opts.attempts ?? 6;
    this.actionTimeoutMs = opts.actionTimeoutMs ?? 120_000;
  }

  /** Seconds until one more request is allowed, by the last RateLimit headers. */
  private tokenIntervalMs(): number {
    const b = this.budget;
    if (!b) return 1000;
    const missing = Math.max(1, b.limit - b.remaining);
    const untilFull = Math.max(0, b.reset * 1000 - Date.now());
    return Math.min(60_000, Math.max(20, untilFull / missing));
  }

  /** Keep a small reserve of the budget so a long apply slows down instead of hitting 429. */
  private async pace(): Promise<void> {
    const b = this.budget;
    if (!b) return;
    const reserve = Math.min(10, Math.ceil(b.limit * 0.05));
    if (b.remaining <= reserve) await sleep(this.tokenIntervalMs() * (reserve - b.remaining + 1), this.opts.signal);
  }

  private noteBudget(res: Response): void {
    const limit = Number(res.headers.get("ratelimit-limit"));
    const remaining = Number(res.headers.get("ratelimit-remaining"));
    const reset = Number(res.headers.get("ratelimit-reset"));
    if (res.headers.has("ratelimit-limit") && Number.isFinite(limit) && Number.isFinite(remaining)) {
      this.budget = { limit, remaining, reset: Number.isFinite(reset) ? reset : Date.now() / 1000 + 1 };
      this.usage.rateLimit = { limit, remaining };
    }
  }

  /** One API call; retried on 5xx and 423, waited out on 429. Returns the parsed JSON body. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const what = `${method} ${path.split("?")[0]}`;
    for (let attempt = 1; ; attempt++) {
      await this.pace();
      this.usage.calls++;
      if (method === "GET") this.usage.reads++;
      else this.usage.writes++;
      let res: Response;
      // A signal of our own per call: fetch leaves its listener on the signal it is given, and an
      // apply of thousands of calls shares one.
      const parent = this.opts.signal;
      const ac = new AbortController();
      const onAbort = () => ac.abort(parent?.reason);
      parent?.addEventListener("abort", onAbort, { once: true });
      try {
        res = await fetch(this.base + path, {
          method,
          headers: { authorization: `Bearer ${this.opts.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: ac.signal,
        });
      } catch (e) {
        parent?.removeEventListener("abort", onAbort);
        if (parent?.aborted) throw e;
        if (attempt >= this.attempts) throw new HecateError("hetzner-unreachable", `Hetzner API ${what}: cannot connect to ${this.base}: ${(e as Error).message}`, { status: 502 });
        await sleep(backoff(attempt), this.opts.signal);
        continue;
      }
      this.noteBudget(res);
      const text = await res.text().finally(() => parent?.removeEventListener("abort", onAbort));
      if (res.ok) return (text ? JSON.parse(text) : {}) as T;
      const err = parseError(text);
      if (res.status === 429 && attempt < this.attempts * 4) {
        this.usage.limited++;
        await sleep(this.tokenIntervalMs(), this.opts.signal);
        continue;
      }
      if (RETRYABLE.has(res.status) && attempt < this.attempts) {
        await sleep(backoff(attempt), this.opts.signal);
        continue;
      }
      throw new HetznerApiError(res.status, err.code, err.message, err.fields, what);
    }
  }

  /** Every item of a paginated list, following meta.pagination.next_page. */
  async listAll<T>(path: string, key: string, perPage: number): Promise<T[]> {
    const out: T[] = [];
    const sep = path.includes("?") ? "&" : "?";
    for (let page: number | null = 1; page !== null; ) {
      const body: Record<string, unknown> & { meta?: { pagination?: Pagination } } = await this.call("GET", `${path}${sep}page=${page}&per_page=${perPage}`);
      out.push(...((body[key] as T[] | undefined) ?? []));
      const next: number | null | undefined = body.meta?.pagination?.next_page;
      page = next && next > page ? next : null;
    }
    return out;
  }

  /** A write that answers with an action: send it, then wait until the action has finished. */
  async write<T extends { action?: Action }>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.call<T>(method, path, body);
    if (res.action) await this.waitFor(res.action, `${method} ${path}`);
    return res;
  }

  /** Poll an action until success; an action that ends in error is thrown with its code and message. */
  async waitFor(action: Action, what: string): Promise<void> {
    const deadline = Date.now() + this.actionTimeoutMs;
    let a = action;
    for (let i = 0; a.status === "running"; i++) {
      if (Date.now() > deadline) throw new HecateError("hetzner-action-timeout", `Hetzner API ${what}: action ${a.id} (${a.command}) still running after ${this.actionTimeoutMs / 1000} s`, { status: 504 });
      // Real actions take about a second; start quick for fast ones, then back off to spare the budget.
      await sleep(Math.min(1000, 50 * 2 ** i), this.opts.signal);
      a = (await this.call<{ action: Action }>("GET", `/zones/actions/${a.id}`)).action;
    }
    if (a.status === "error") {
      throw new HetznerApiError(422, a.error?.code ?? "action_failed", a.error?.message ?? `action ${a.command} failed`, [], `${what} (action ${a.id})`);
    }
  }
}

const backoff = (attempt: number) => Math.min(5000, 100 * 2 ** (attempt - 1));

function parseError(text: string): { code: string; message: string; fields: { name: string; messages: string[] }[] } {
  try {
    const e = (JSON.parse(text) as { error?: { code?: string; message?: string; details?: { fields?: { name: string; messages: string[] }[] } } }).error;
    if (e) return { code: e.code ?? "unknown", message: e.message ?? "", fields: e.details?.fields ?? [] };
  } catch {
    // not JSON: show the start of the body
  }
  return { code: "unknown", message: text.slice(0, 200), fields: [] };
}

/** A path segment for a zone or rrset name ("@" and "*" escaped). */
export const seg = (s: string) => encodeURIComponent(s);

/** A client for the Settings' Hetzner endpoint, its token resolved from the secret reference now. */
export async function hetznerClient(settings: ResolvedSettings, ctx: ProviderContext): Promise<HetznerClient> {
  const h = settings.hetzner;
  if (!h) throw new HecateError("not-configured", "DNS needs a Hetzner Cloud API token: set Settings spec.hetzner.token (a secret reference, e.g. secret:hetzner-token)");
  const token = await ctx.secrets.resolve(h.token);
  return new HetznerClient({ endpoint: h.endpoint, token, ...(ctx.signal ? { signal: ctx.signal } : {}) });
}
