// A small client for Caddy's admin API over TCP or a unix socket; every failure becomes a HecateError.
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
//   localhost" otherwise); over TCP, Host must be localhost / 127.0.0.1 / ::1.
// - A config that fails to provision answers 500 on /config/ and 400 on /load, both {"error"}.
// - The admin API has no version endpoint in 2.6.2: version and modules come from the binary.
import { execFile } from "node:child_process";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { HecateError } from "../../diag.js";

export type AdminEndpoint =
  | { kind: "tcp"; host: string; port: number; label: string }
  | { kind: "unix"; socketPath: string; label: string };

/** Parse "http://127.0.0.1:2019", "127.0.0.1:2019", "localhost:2019" or "unix:/path/admin.sock". */
export function parseAdminEndpoint(spec: string): AdminEndpoint {
  const s = spec.trim();
  if (s.startsWith("unix:")) {
    const socketPath = s.slice("unix:".length).replace(/^\/\/(?=\/)/, "");
    if (!socketPath.startsWith("/")) {
      throw new HecateError("caddy-endpoint", `Caddy admin endpoint "${spec}": a unix socket needs an absolute path, e.g. unix:/run/caddy/admin.sock`);
    }
    return { kind: "unix", socketPath, label: s };
  }
  let url: URL;
  try {
    url = new URL(/^[a-z]+:\/\//i.test(s) ? s : `http://${s}`);
  } catch {
    throw new HecateError("caddy-endpoint", `Caddy admin endpoint "${spec}" is neither http://host:port nor unix:/path`);
  }
  if (url.protocol !== "http:") {
    throw new HecateError("caddy-endpoint", `Caddy admin endpoint "${spec}": only http:// and unix: are supported`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return { kind: "tcp", host, port: url.port ? Number(url.port) : 2019, label: `http://${url.host}` };
}

export interface AdminResponse {
  status: number;
  headers: IncomingHttpHeaders;
  trailers: NodeJS.Dict<string>;
  body: string;
}

export interface CaddyClientOptions {
  /** Per request; a big config can take Caddy many seconds to load. Default 120 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

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

export class CaddyClient {
  readonly endpoint: AdminEndpoint;
  private readonly timeoutMs: number;
  private readonly signal?: AbortSignal;

  constructor(spec: string | AdminEndpoint, opts: CaddyClientOptions = {}) {
    this.endpoint = typeof spec === "string" ? parseAdminEndpoint(spec) : spec;
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    this.signal = opts.signal;
  }

  get label(): string {
    return this.endpoint.label;
  }

  /** One raw request; rejects only when Caddy cannot be reached (caddy-unreachable). */
  request(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<AdminResponse> {
    const ep = this.endpoint;
    const hdrs: Record<string, string> = { ...headers };
    if (body !== undefined) {
      hdrs["Content-Type"] = "application/json";
      hdrs["Content-Length"] = String(Buffer.byteLength(body));
    }
    // Caddy's DNS-rebinding guard: TCP wants a loopback Host, a unix socket wants an empty one.
    hdrs["Host"] = ep.kind === "unix" ? "" : `localhost:${ep.port}`;
    return new Promise<AdminResponse>((resolve, reject) => {
      const req = httpRequest(
        {
          method,
          path,
          headers: hdrs,
          setHost: false,
          // Caddy restarts its admin server on every config change, so a kept-alive socket dies
          // under the next request ("socket hang up"): one connection per request.
          agent: false,
          signal: this.signal,
          ...(ep.kind === "unix" ? { socketPath: ep.socketPath } : { host: ep.host, port: ep.port }),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", (e) => reject(this.unreachable(e)));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, trailers: res.trailers, body: Buffer.concat(chunks).toString("utf8") }),
          );
        },
      );
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on("error", (e) => reject(this.unreachable(e)));
      req.end(body);
    });
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

  /** POST /load: replace the whole config, unguarded (Caddy ignores If-Match here). */
  async load(config: unknown, opts: { force?: boolean } = {}): Promise<void> {
    await this.call("POST", "/load", JSON.stringify(config), opts.force ? { "Cache-Control": "must-revalidate" } : {});
  }

  /** GET /reverse_proxy/upstreams: per upstream address, requests in flight and recent fails. */
  async upstreams(): Promise<UpstreamStatus[]> {
    const res = await this.call("GET", "/reverse_proxy/upstreams");
    return (JSON.parse(res.body || "[]") ?? []) as UpstreamStatus[];
  }

  private unreachable(e: unknown): HecateError {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === "ECONNREFUSED" ? "connection refused"
      : err.code === "ENOENT" ? "no such socket"
      : err.code === "EACCES" ? "permission denied on the socket"
      : err.message;
    return new HecateError("caddy-unreachable", `Caddy admin endpoint ${this.label} is unreachable (${why}): is Caddy running with this admin address?`, {
      status: 502,
      cause: e,
    });
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
