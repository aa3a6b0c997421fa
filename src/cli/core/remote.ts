// The CLI's remote mode: with HECATE_API_ENDPOINT (or --endpoint) and HECATE_API_TOKEN set, the
// commands that support it talk to `hecate serve` instead of opening the local store, and print
// what they print locally. This is only a client: every decision (validation, the edit on the
// head, plan, apply, drift) is the server's, which runs the same engine.
import { resolve } from "node:path";
import { HecateError, hasErrors, invalidState, type Diagnostic } from "../../diag.js";
import { readYamlBytes } from "../../model/files.js";
import type { Resource } from "../../model/schema.js";
import type { ApplyResult, DriftReport, Plan } from "../../engine/types.js";
import type { RevisionMeta } from "../../store/store.js";

export interface RemoteHead {
  seq: number;
  hash: string;
  resources: Resource[];
}

/** The server's answer, read whole. */
interface Answer {
  status: number;
  ok: boolean;
  body: Buffer;
  header(name: string): string | undefined;
}

export class RemoteApi {
  constructor(readonly endpoint: string, private readonly token: string | undefined) {}

  /**
   * One request; a network failure is "unreachable", naming the endpoint. node:http rather than
   * fetch: fetch loads undici, about a third of a remote command's own start-up.
   */
  private async send(method: string, path: string, body?: { bytes: string | Uint8Array; type: string } | { pieces: Uint8Array[]; length: number; type: string }): Promise<Answer> {
    const unreachable = (why: string) => new HecateError("unreachable", `cannot reach the Hecate server at ${this.endpoint}: ${why}`, { status: 502 });
    let url: URL;
    try {
      url = new URL(`${this.endpoint.replace(/\/+$/, "")}${path}`);
    } catch {
      throw unreachable("not a URL (expected http://HOST:PORT or https://HOST)");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw unreachable(`${url.protocol} is not http: or https:`);
    const { request } = url.protocol === "https:" ? await import("node:https") : await import("node:http");
    // Pieces (a form's parts) are written one after another, with their length known up front.
    const length: Record<string, string> = body && "pieces" in body ? { "content-length": String(body.length) } : {};
    const headers: Record<string, string> = { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...(body ? { "content-type": body.type, ...length } : {}) };
    return new Promise<Answer>((resolve, reject) => {
      const fail = (e: Error) => reject(unreachable((e as NodeJS.ErrnoException).code ?? e.message));
      const req = request(url, { method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", fail);
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          const header = (name: string) => {
            const v = res.headers[name.toLowerCase()];
            return Array.isArray(v) ? v.join(", ") : v;
          };
          resolve({ status, ok: status >= 200 && status < 300, body: Buffer.concat(chunks), header });
        });
      });
      req.on("error", fail);
      if (body && "pieces" in body) {
        for (const p of body.pieces) req.write(p);
        req.end();
      } else req.end(body?.bytes);
    });
  }

  /** A JSON call; an error answer becomes the HecateError the server raised (code, message, diagnostics). */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.answer<T>(await this.send(method, path, body !== undefined ? { bytes: JSON.stringify(body), type: "application/json" } : undefined));
  }

  /**
   * A plan or apply: with files, sent as multipart/form-data (the files' bytes as read, the rest
   * as the options part), else as JSON.
   */
  private async post<T>(path: string, body: { files?: SentFile[] } & Record<string, unknown>): Promise<T> {
    const { files, ...options } = body;
    if (!files) return this.call<T>("POST", path, options);
    const { encodeFormData } = await import("../../server/form-data.js");
    const form = encodeFormData([
      { name: "options", type: "application/json", bytes: Buffer.from(JSON.stringify(options)) },
      ...files.map((f) => ({ name: "file", filename: f.name, type: "application/yaml", bytes: f.bytes })),
    ]);
    return this.answer<T>(await this.send("POST", path, { pieces: form.chunks, length: form.length, type: form.type }));
  }

  /** A POST of raw bytes (a backup archive) with a JSON answer. */
  async upload<T>(path: string, bytes: Buffer, type: string): Promise<T> {
    return this.answer<T>(await this.send("POST", path, { bytes, type }));
  }

  /** A GET of raw bytes (a backup archive) and one header of the answer. */
  async download(path: string, header: string): Promise<{ bytes: Buffer; manifest: string }> {
    const res = await this.send("GET", path);
    if (!res.ok) return this.answer(res);
    return { bytes: res.body, manifest: res.header(header) ?? "{}" };
  }

  private async answer<T>(res: Answer): Promise<T> {
    const text = res.body.toString("utf8");
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      throw new HecateError("bad-answer", `the server at ${this.endpoint} answered ${res.status} with something that is not JSON (is it a Hecate server?)`, { status: 502 });
    }
    if (res.ok) return data as T;
    const err = (data as { error?: { code?: string; message?: string; diagnostics?: Diagnostic[] } } | undefined)?.error;
    const e = new HecateError(err?.code ?? "http", err?.message ?? `the server answered ${res.status}`, { status: res.status, diagnostics: err?.diagnostics ?? [] });
    return Promise.reject(Object.assign(e, { answer: data }));
  }

  /** The head revision (undefined: none yet). */
  async head(): Promise<RemoteHead | undefined> {
    try {
      return await this.call<RemoteHead>("GET", "/v1/revisions/head");
    } catch (e) {
      if (e instanceof HecateError && e.status === 404) return undefined;
      throw e;
    }
  }

  /** Store a whole desired state as the revision after `parent` (409 head-moved when it is not the head any more). */
  putState(parent: number, resources: Resource[], message: string): Promise<{ revision: { seq: number; hash: string } | null; changed: string[]; message: string; warnings: Diagnostic[] }> {
    return this.call("POST", "/v1/revisions", { parent, resources, message });
  }

  async history(limit: number): Promise<(RevisionMeta & { applied?: boolean })[]> {
    return (await this.call<{ items: (RevisionMeta & { applied?: boolean })[] }>("GET", `/v1/history?limit=${limit}`)).items;
  }

  /** The plan and the server's text of it (what `printPlan` prints without color or -v). */
  async plan(body: { revision?: string; systems?: string[] } & Partial<SentFiles>): Promise<{ plan: Plan; text: string }> {
    return this.post<{ plan: Plan; text: string }>("/v1/plan", body);
  }

  async apply(body: Record<string, unknown> & Partial<SentFiles>): Promise<ApplyResult> {
    try {
      return await this.post<ApplyResult>("/v1/apply", body);
    } catch (e) {
      // A rolled-back or failed apply: the CLI reports the result itself (reportResult).
      const result = (e as { answer?: { result?: ApplyResult } }).answer?.result;
      if (e instanceof HecateError && e.code === "apply-failed" && result) return result;
      throw e;
    }
  }

  /** The drift report (also when a system could not be read: the caller reports that). */
  async drift(systems: string[] | undefined): Promise<DriftReport> {
    const q = systems ? `?systems=${encodeURIComponent(systems.join(","))}` : "";
    try {
      const { text: _text, ...report } = await this.call<DriftReport & { text: string }>("GET", `/v1/drift${q}`);
      return report;
    } catch (e) {
      const report = (e as { answer?: { report?: DriftReport & { text?: string } } }).answer?.report;
      if (e instanceof HecateError && e.code === "read-failed" && report) {
        const { text: _text, ...rest } = report;
        return rest;
      }
      throw e;
    }
  }
}

/** A YAML file as sent: the name diagnostics give it, its bytes as on disk. */
export interface SentFile {
  name: string;
  bytes: Uint8Array;
}

/** YAML files as the API takes them (`files`, `location`): the desired state sent instead of a stored revision. */
export interface SentFiles {
  files: SentFile[];
  location: string;
}

/**
 * PATHS read as `hecate plan DIR` reads them (a directory's *.yaml / *.yml files, recursively),
 * to send: the server parses them, and its diagnostics name them as the operator wrote them.
 */
export function filesToSend(paths: string[]): SentFiles {
  const { files, diagnostics } = readYamlBytes(paths);
  // Refused as a local `plan DIR` refuses them, so both print the same.
  if (hasErrors(diagnostics)) throw invalidState(diagnostics);
  return { files, location: paths.map((p) => resolve(p)).join(",") };
}

/** The server to talk to, when remote mode is on (--endpoint, else HECATE_API_ENDPOINT). */
export function remoteFrom(flag: string | undefined, env: Record<string, string | undefined>): RemoteApi | undefined {
  const endpoint = flag || env.HECATE_API_ENDPOINT;
  if (!endpoint) return undefined;
  if (!/^https?:\/\/[^/]/.test(endpoint)) throw new HecateError("usage", `the API endpoint must be an http(s) URL like http://127.0.0.1:7380, got "${endpoint}"`, { status: 400 });
  return new RemoteApi(endpoint, env.HECATE_API_TOKEN || undefined);
}
