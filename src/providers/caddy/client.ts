// A small client for Caddy's admin API over http(s) or a unix socket; every failure becomes a
// HecateError naming the endpoint. A write that was sent is never reported as done or not done
// without Caddy's answer: past the timeout it is waited for (settleMs), then called unknown.
//
// What the real Caddy 2.6.2 does (checked by experiment, see test/caddy-provider/client.test.ts):
// - `POST /load` IGNORES If-Match: a stale or bogus If-Match still loads (200). So Hecate never
//   uses /load for guarded writes.
// - `POST /config/` with the whole config as body and `If-Match: "/config/ <hash>"` is checked and
//   applied under Caddy's config lock: 412 {"error":"If-Match header did not match current config
//   hash"} when the config changed since the read, otherwise one atomic reload of the whole config.
//   An identical config is a no-op there too ("config is unchanged" in Caddy's log).
// - `GET /config/` sends its Etag as an HTTP *trailer* in 2.6.2 (chunked body), not a header.
// - Over a unix socket Caddy 2.6.2 only accepts an EMPTY Host header (403 "host not allowed:
//   localhost" otherwise); over TCP, Host must be localhost / 127.0.0.1 / ::1 (or the listener's
//   own host:port when it is not on loopback).
// - Caddy finishes a /load or /config/ write it has read even when the client hangs up.
// - A config that fails to provision answers 500 on /config/ and 400 on /load, both {"error"}.
// - `GET /id/<@id>` answers the object and an Etag `"<its /config/ path> <hash of it>"`; a
//   `PATCH /id/<@id>` with that If-Match is checked against that one object (412 once it
//   changed), then replaces it and reloads the whole config (test/caddy-provider/id-patch.test.ts).
//   Caddy checks If-Match against the path the Etag names, not the request's: a `PATCH /id/<@id>`
//   with the Etag of `GET /config/` (`"/config/ <hash>"`) is refused with 412 when anything in
//   the whole config changed since that read.
// - The admin API has no version endpoint in 2.6.2: version and modules come from the binary.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { request as httpRequest, type ClientRequest, type IncomingHttpHeaders, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP } from "node:net";
import { HecateError } from "../../diag.js";
import type { ResolvedSettings } from "../../model/resolved.js";
import { isLoopbackHost, isPlaintextRemote, parseAdminAddress, type AdminEndpoint } from "../../model/net.js";
import { pending, track, type InFlight } from "./inflight.js";

export type { AdminEndpoint };

/** Parse "http://127.0.0.1:2019", "https://caddy1:2021", "localhost:2019" or "unix:/path/admin.sock". */
export function parseAdminEndpoint(spec: string): AdminEndpoint {
  const parsed = parseAdminAddress(spec);
  if (!parsed.ok) throw new HecateError("caddy-endpoint", `Caddy admin endpoint "${spec}": ${parsed.reason}`);
  return parsed.value;
}

export interface AdminResponse {
  status: number;
  headers: IncomingHttpHeaders;
  trailers: NodeJS.Dict<string>;
  body: string;
}

/** Files for an https:// admin endpoint (Caddy's `admin.remote` with mutual TLS). */
export interface AdminTls {
  /** PEM CA that signed Caddy's admin certificate (default: the system's CAs). */
  ca?: string;
  /** PEM client certificate Caddy's `access_control` knows, and its key. */
  cert?: string;
  key?: string;
}

export interface CaddyClientOptions {
  /** Per request; a big config can take Caddy many seconds to load. Default 120 s. */
  timeoutMs?: number;
  /**
   * After a write that was sent times out (or is aborted), how much longer to wait for Caddy's
   * answer before its outcome is unknown. Default 60 s.
   */
  settleMs?: number;
  signal?: AbortSignal;
  tls?: AdminTls;
  /** Use http:// to a non-loopback host (config and secrets cross the network in clear). */
  allowPlaintext?: boolean;
}

/** Client options from Settings; explicit `over` values (a --timeout flag, a signal) win. */
export function adminOptions(settings: ResolvedSettings["caddy"], over: CaddyClientOptions = {}): CaddyClientOptions {
  const o: CaddyClientOptions = {};
  const timeoutMs = over.timeoutMs ?? settings.timeoutMs;
  const settleMs = over.settleMs ?? settings.settleMs;
  if (timeoutMs !== undefined) o.timeoutMs = timeoutMs;
  if (settleMs !== undefined) o.settleMs = settleMs;
  if (over.signal) o.signal = over.signal;
  if (settings.tls) o.tls = settings.tls;
  if (settings.allowPlaintextAdmin) o.allowPlaintext = true;
  return o;
}

export const DEFAULT_TIMEOUT_MS = 120_000;
export const DEFAULT_SETTLE_MS = 60_000;

/** What Caddy said about the /config/ it holds now. */
export interface LiveConfig {
  /** The whole config (null when Caddy runs without one). */
  config: unknown;
  /** `"/config/ <hash>"`, ready for If-Match. */
  etag: string;
  /** The body exactly as Caddy sent it (see caddyText in owned.ts). */
  text?: string;
}

export interface UpstreamStatus {
  address: string;
  num_requests: number;
  fails: number;
}

export const CHANGED_MESSAGE = "Caddy's config changed since it was read: re-run plan";

/** Tries of a request that may be sent again (see retryable). */
const CONNECT_ATTEMPTS = 4;

/**
 * Whether a request may be sent again after it failed: reset or refused while connecting (nothing
 * was sent, a write included), or a read reset at any point (the listener was swapped under it).
 */
function retryable(e: unknown, method: string): boolean {
  if (!(e instanceof HecateError) || e.code !== "caddy-unreachable") return false;
  const cause = (e as { cause?: unknown }).cause as { syscall?: unknown; code?: unknown } | undefined;
  if (cause?.code === "ECONNRESET") return cause.syscall === "connect" || method === "GET";
  return cause?.syscall === "connect" && cause.code === "ECONNREFUSED";
}

function endpointKey(ep: AdminEndpoint): string {
  return ep.kind === "unix" ? `unix:${ep.socketPath}` : `${ep.host}:${ep.port}`;
}

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export class CaddyClient {
  readonly endpoint: AdminEndpoint;
  private readonly timeoutMs: number;
  private readonly settleMs: number;
  private readonly signal?: AbortSignal;
  private readonly tlsFiles?: AdminTls;
  private readonly allowPlaintext: boolean;

  constructor(spec: string | AdminEndpoint, opts: CaddyClientOptions = {}) {
    this.endpoint = typeof spec === "string" ? parseAdminEndpoint(spec) : spec;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.settleMs = opts.settleMs ?? DEFAULT_SETTLE_MS;
    this.signal = opts.signal;
    this.tlsFiles = opts.tls;
    this.allowPlaintext = opts.allowPlaintext ?? false;
  }

  get label(): string {
    return this.endpoint.label;
  }

  /** Writes to this endpoint still unanswered (from any client in this process). */
  pendingWrites(): number {
    return pending(endpointKey(this.endpoint)).length;
  }

  /** One raw request; rejects when Caddy cannot be reached or does not answer in time. */
  async request(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<AdminResponse> {
    const ep = this.endpoint;
    if (isPlaintextRemote(ep) && !this.allowPlaintext) {
      throw new HecateError(
        "caddy-plaintext",
        `Caddy admin endpoint ${this.label} is plain http:// to another machine: Caddy's config, secrets included, would cross the network in clear. Use https:// with spec.caddy.tls (Caddy's admin.remote), or accept the risk with spec.caddy.allowPlaintextAdmin: true`,
      );
    }
    const write = WRITES.has(method.toUpperCase());
    // A read must not answer while a write of ours may still land: it would prove nothing.
    if (!write) await this.settled();
    const hdrs: Record<string, string> = { ...headers };
    if (body !== undefined) {
      hdrs["Content-Type"] ??= "application/json"; // POST /adapt sends text/caddyfile
      hdrs["Content-Length"] = String(Buffer.byteLength(body));
    }
    // Caddy's DNS-rebinding guard: a unix socket wants an empty Host, a loopback listener a
    // loopback one, any other listener its own host:port.
    hdrs["Host"] = ep.kind === "unix" ? "" : isLoopbackHost(ep.host) ? `localhost:${ep.port}` : hostPort(ep.host, ep.port);
    const options: RequestOptions = {
      method,
      path,
      headers: hdrs,
      setHost: false,
      // Caddy restarts its admin server on every config change, so a kept-alive socket dies
      // under the next request ("socket hang up"): one connection per request.
      agent: false,
      ...(ep.kind === "unix" ? { socketPath: ep.socketPath } : { host: ep.host, port: ep.port }),
    };
    const https = ep.kind === "tcp" && ep.scheme === "https";
    // Caddy replaces its admin listener on every config change: a connection attempted in that
    // moment is reset or refused before a byte of the request is sent. Such a request reached
    // nothing (a write included), so it is tried again a few times before Caddy is called unreachable;
    // so is a read reset at any point.
    for (let attempt = 1; ; attempt++) {
      const req = https ? httpsRequest({ ...options, ...this.tlsOptions(ep.host) }) : httpRequest(options);
      try {
        return await this.exchange(req, `${method} ${path}`, write, body);
      } catch (e) {
        if (attempt >= CONNECT_ATTEMPTS || !retryable(e, method) || this.signal?.aborted) throw e;
        await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
      }
    }
  }

  /** Send, then wait for the answer; the timeout and the abort signal treat a sent write apart. */
  private exchange(req: ClientRequest, what: string, write: boolean, body?: string): Promise<AdminResponse> {
    let sent = false;
    let entry: InFlight | undefined;
    const answer = new Promise<AdminResponse>((resolve, reject) => {
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", (e) => reject(this.unreachable(e, what, sent && write)));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, trailers: res.trailers, body: Buffer.concat(chunks).toString("utf8") }));
      });
      req.on("error", (e) => reject(this.unreachable(e, what, sent && write)));
    });
    answer.catch(() => undefined);
    // "finish": the whole request is handed to the kernel, so Caddy may act on it from now on.
    if (write) {
      req.on("finish", () => {
        sent = true;
        entry = track(endpointKey(this.endpoint), what, answer);
      });
    }
    req.end(body);

    return new Promise<AdminResponse>((resolve, reject) => {
      let waiting = true; // false once answered, or once giveUp took over the outcome
      const timer = setTimeout(() => giveUp(`did not answer within ${this.timeoutMs} ms`), this.timeoutMs);
      const onAbort = () => giveUp(`was abandoned (${reasonText(this.signal?.reason)})`);
      const stopWaiting = (): boolean => {
        if (!waiting) return false;
        waiting = false;
        clearTimeout(timer);
        this.signal?.removeEventListener("abort", onAbort);
        return true;
      };
      const giveUp = (why: string) => {
        if (!stopWaiting()) return;
        if (!write || !sent || !entry) {
          // A read, or a write not completely sent: Caddy acts on no request it has not read
          // whole, so cutting it off is safe.
          req.destroy();
          const text = write ? `${what} was not completely sent to Caddy admin at ${this.label} (it ${why}): nothing was changed` : `Caddy admin at ${this.label} ${why} (${what})`;
          reject(new HecateError("caddy-timeout", text, { status: 504 }));
          return;
        }
        const sentEntry = entry;
        const late = setTimeout(() => {
          sentEntry.expire();
          // Keep the request open: its answer, whenever it comes, is what lets reads go on. It
          // must not keep a finished CLI alive, though.
          req.socket?.unref();
          reject(this.unknown(sentEntry, why));
        }, this.settleMs);
        answer.then(
          (res) => {
            clearTimeout(late);
            const outcome = res.status >= 200 && res.status < 300 ? "Caddy took it" : `Caddy refused it (${res.status}), nothing changed`;
            reject(new HecateError("caddy-timeout", `Caddy admin at ${this.label} ${why}; ${what} was answered ${Date.now() - sentEntry.sentAt} ms after it was sent: ${outcome}`, { status: 504 }));
          },
          (err: unknown) => {
            clearTimeout(late);
            reject(err);
          },
        );
      };
      if (this.signal?.aborted) onAbort();
      else this.signal?.addEventListener("abort", onAbort, { once: true });
      answer.then(
        (res) => stopWaiting() && resolve(res),
        (err: unknown) => stopWaiting() && reject(err),
      );
    });
  }

  /** Wait for writes to this endpoint still in flight; refuse when one's outcome is unknown. */
  private async settled(): Promise<void> {
    const writes = pending(endpointKey(this.endpoint));
    if (!writes.length) return;
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<void>((r) => {
      onAbort = r;
      this.signal?.addEventListener("abort", onAbort, { once: true });
    });
    try {
      for (const w of writes) {
        await Promise.race([w.done, w.expired, aborted]);
        if (w.finished) continue;
        if (this.signal?.aborted) throw new HecateError("caddy-outcome-unknown", `stopped waiting for ${w.what} to Caddy admin at ${this.label} to be answered (${reasonText(this.signal.reason)}); its outcome is unknown`, { status: 504 });
        throw this.unknown(w, "did not answer");
      }
    } finally {
      if (onAbort) this.signal?.removeEventListener("abort", onAbort);
    }
  }

  private unknown(w: InFlight, why: string): HecateError {
    return new HecateError(
      "caddy-outcome-unknown",
      `Caddy admin at ${this.label} ${why}: ${w.what} was sent ${Date.now() - w.sentAt} ms ago and is still unanswered, so whether Caddy loads it is unknown (it may still land); once Caddy answers, read its config (\`hecate drift\`) before trusting either revision`,
      { status: 504 },
    );
  }

  /** https options: the configured CA and client certificate, read when a request needs them. */
  private tlsOptions(host: string): { ca?: Buffer; cert?: Buffer; key?: Buffer; servername?: string } {
    const t = this.tlsFiles ?? {};
    const read = (field: keyof AdminTls): Buffer | undefined => {
      const file = t[field];
      if (!file) return undefined;
      try {
        return readFileSync(file);
      } catch (e) {
        throw new HecateError("caddy-tls", `cannot read spec.caddy.tls.${field} (${file}) for Caddy admin at ${this.label}: ${(e as Error).message}`);
      }
    };
    if (!t.cert !== !t.key) throw new HecateError("caddy-tls", `spec.caddy.tls needs both cert and key for a client certificate (Caddy admin at ${this.label})`);
    const out: { ca?: Buffer; cert?: Buffer; key?: Buffer; servername?: string } = {};
    const ca = read("ca");
    const cert = read("cert");
    const key = read("key");
    if (ca) out.ca = ca;
    if (cert) out.cert = cert;
    if (key) out.key = key;
    // SNI names the endpoint's host, never the Host header (node's default, "localhost" here);
    // an IP address sends none and is checked against the certificate's IP SANs.
    out.servername = isIP(host) ? "" : host;
    return out;
  }

  /** Request and turn any non-2xx answer into a HecateError. */
  async call(method: string, path: string, body?: string, headers?: Record<string, string>): Promise<AdminResponse> {
    const res = await this.request(method, path, body, headers);
    if (res.status >= 200 && res.status < 300) return res;
    throw this.failure(res, `${method} ${path}`);
  }

  /** GET /config/: the whole live config and its Etag. */
  async getConfig(): Promise<LiveConfig> {
    const { text, etag } = await this.getConfigText();
    let config: unknown;
    try {
      config = JSON.parse(text);
    } catch {
      throw new HecateError("caddy-rejected", `Caddy at ${this.label} answered GET /config/ with something that is not JSON`, { status: 502 });
    }
    return { config, etag, text };
  }

  /** GET /config/ without parsing it: the text and its Etag (for comparing, not for reading). */
  async getConfigText(): Promise<{ text: string; etag: string }> {
    const res = await this.call("GET", "/config/");
    const etag = res.trailers["etag"] ?? (typeof res.headers["etag"] === "string" ? res.headers["etag"] : undefined);
    if (!etag) throw new HecateError("caddy-rejected", `Caddy at ${this.label} answered GET /config/ without an Etag (needs Caddy 2.5.2 or later)`, { status: 502 });
    return { text: res.body, etag };
  }

  /**
   * Replace the whole config in one atomic reload, only if it is still the one read with `etag`
   * (POST /config/ + If-Match, because /load ignores If-Match). 412 → caddy-changed.
   */
  async putConfig(config: unknown, etag?: string): Promise<void> {
    await this.putConfigText(JSON.stringify(config), etag);
  }

  /** putConfig with the body already encoded (Hecate sends caddyText, which it then compares). */
  async putConfigText(body: string, etag?: string): Promise<void> {
    await this.call("POST", "/config/", body, etag ? { "If-Match": etag } : {});
  }

  /**
   * GET /id/<id>: the object carrying that @id, Caddy's text of it (what it holds, byte for byte)
   * and its Etag (`"<its path> <hash>"`, for If-Match); undefined when no object has that @id.
   */
  async getById(id: string): Promise<{ value: unknown; text: string; etag: string } | undefined> {
    const what = `GET /id/${id}`;
    const res = await this.request("GET", `/id/${encodeURIComponent(id)}`);
    if (res.status === 404) return undefined;
    if (res.status < 200 || res.status >= 300) throw this.failure(res, what);
    const etag = res.trailers["etag"] ?? (typeof res.headers["etag"] === "string" ? res.headers["etag"] : undefined);
    if (!etag) throw new HecateError("caddy-rejected", `Caddy at ${this.label} answered ${what} without an Etag (needs Caddy 2.5.2 or later)`, { status: 502 });
    try {
      return { value: JSON.parse(res.body) as unknown, text: res.body, etag };
    } catch {
      throw new HecateError("caddy-rejected", `Caddy at ${this.label} answered ${what} with something that is not JSON`, { status: 502 });
    }
  }

  /**
   * PATCH /id/<id>: replace that one object, only if what `etag` names (the object, or the whole
   * config) is still as read (412 → caddy-changed; an object gone since is changed too: 404).
   */
  async patchById(id: string, body: string, etag: string): Promise<void> {
    const what = `PATCH /id/${id}`;
    const res = await this.request("PATCH", `/id/${encodeURIComponent(id)}`, body, { "If-Match": etag });
    if (res.status === 404) throw new HecateError("caddy-changed", `${CHANGED_MESSAGE} (${this.label}: ${what} finds no such object; someone removed it since)`, { status: 409 });
    if (res.status < 200 || res.status >= 300) throw this.failure(res, what);
  }

  /** POST /load: replace the whole config, unguarded (Caddy ignores If-Match here). */
  async load(config: unknown, opts: { force?: boolean } = {}): Promise<void> {
    await this.call("POST", "/load", JSON.stringify(config), opts.force ? { "Cache-Control": "must-revalidate" } : {});
  }

  /** GET /reverse_proxy/upstreams: per upstream address, requests in flight and recent fails. */
  async upstreams(): Promise<UpstreamStatus[]> {
    const res = await this.call("GET", "/reverse_proxy/upstreams");
    return (JSON.parse(res.body || "[]") ?? []) as UpstreamStatus[];
  }

  /** A connection-level failure, naming the endpoint and, for a write already sent, what that means. */
  private unreachable(e: unknown, what: string, afterSend: boolean): HecateError {
    const why = connectionProblem(e, this.endpoint);
    const message = afterSend
      ? `lost the connection to Caddy admin at ${this.label} after ${what} was sent (${why}): Caddy may have loaded it; read its config before trusting either state`
      : `cannot reach Caddy admin at ${this.label}: ${why}`;
    return new HecateError(afterSend ? "caddy-outcome-unknown" : "caddy-unreachable", message, { status: 502, cause: e });
  }

  private failure(res: AdminResponse, what: string): HecateError {
    let message = res.body.trim();
    try {
      const parsed = JSON.parse(res.body) as { error?: unknown };
      if (parsed && typeof parsed.error === "string") message = parsed.error;
    } catch {
      /* not JSON: keep the text */
    }
    if (res.status === 412) {
      return new HecateError("caddy-changed", `${CHANGED_MESSAGE} (${this.label})`, { status: 409 });
    }
    return new HecateError("caddy-rejected", `Caddy at ${this.label} rejected ${what} (${res.status}): ${message || "no message"}`, {
      status: res.status === 403 ? 502 : 422,
      diagnostics: [{ severity: "error", code: "caddy-rejected", message: `Caddy at ${this.label}: ${message || `status ${res.status}`}` }],
    });
  }
}

function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function reasonText(reason: unknown): string {
  return reason instanceof Error ? reason.message : reason === undefined ? "aborted" : String(reason);
}

/** What went wrong on the wire, in words an operator can act on. */
function connectionProblem(e: unknown, ep: AdminEndpoint): string {
  const err = e as NodeJS.ErrnoException;
  const code = err.code ?? "";
  const msg = err.message ?? String(e);
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused (is Caddy running with this admin address?)";
    case "ENOENT":
      return "no such socket (is Caddy running with this admin socket?)";
    case "EACCES":
      return "permission denied on the socket";
    case "ENOTFOUND":
      return `host name ${ep.kind === "tcp" ? ep.host : ""} not found (DNS)`;
    case "EAI_AGAIN":
      return `DNS lookup of ${ep.kind === "tcp" ? ep.host : "the host"} failed for now (EAI_AGAIN)`;
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `no route to the host (${code})`;
    case "ETIMEDOUT":
      return "connecting timed out";
    case "ECONNRESET":
      return "connection reset";
  }
  if (/^(UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|CERT_|ERR_TLS_CERT)/.test(code)) {
    return `TLS: Caddy's admin certificate is not trusted (${code}: ${msg}); set spec.caddy.tls.ca to the CA that signed it`;
  }
  if (code.startsWith("ERR_SSL") || code === "EPROTO" || /alert|handshake|certificate/i.test(msg)) {
    // OpenSSL's text is long and multi-line; its alert ("bad certificate") is what matters.
    const alert = /alert ([a-z ]+?)(?::|$)/im.exec(msg)?.[1] ?? msg.split("\n")[0];
    return `TLS handshake failed (${alert}): is spec.caddy.tls.cert a client certificate Caddy's admin.remote access_control accepts?`;
  }
  return msg || code || "unknown error";
}

/** What a local Caddy binary says about itself (the admin API of 2.6.2 cannot tell). */
export interface CaddyBuild {
  version: string; // "2.6.2"
  modules: string[];
}

function run(binary: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { timeout: timeoutMs, maxBuffer: 8 << 20 }, (err, stdout) => {
      if (err) reject(new HecateError("caddy-binary", `could not run "${binary} ${args.join(" ")}": ${(err as Error).message.split("\n")[0]}`));
      else resolve(stdout);
    });
  });
}

/** Parse `caddy version` output ("v2.6.2 h1:…" or "2.6.2") into "2.6.2". */
export function parseCaddyVersion(out: string): string | undefined {
  return /v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)/.exec(out)?.[1];
}

/** Ask the local binary for its version and module list (`caddy version`, `caddy list-modules`). */
export async function detectCaddyBuild(binary = "caddy", timeoutMs = 10_000): Promise<CaddyBuild> {
  const [v, m] = await Promise.all([run(binary, ["version"], timeoutMs), run(binary, ["list-modules"], timeoutMs)]);
  const version = parseCaddyVersion(v);
  if (!version) throw new HecateError("caddy-binary", `could not read a version from "${binary} version" output: ${v.trim().slice(0, 80)}`);
  const modules = m
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^[a-z0-9_]+(\.[a-z0-9_]+)*$/.test(l));
  return { version, modules };
}

/** Compare dotted versions: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}
