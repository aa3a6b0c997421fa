// A test client for the API: real HTTP to a running server, and every answer checked against the
// server's own /openapi.json (the schema of that path, method and status) before a test sees it.
import assert from "node:assert/strict";
import { Ajv2020 } from "ajv/dist/2020.js";

export interface Answer {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
  bytes: Buffer;
}

export class ApiClient {
  private ajv?: Ajv2020;
  private doc?: { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>> };

  constructor(readonly url: string, readonly token?: string) {}

  as(token: string | undefined): ApiClient {
    const c = new ApiClient(this.url, token);
    c.ajv = this.ajv;
    c.doc = this.doc;
    return c;
  }

  /** Fetch /openapi.json once (with an admin token) and compile against it from then on. */
  async loadSpec(token: string): Promise<Record<string, unknown>> {
    const res = await fetch(`${this.url}/openapi.json`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    const doc = (await res.json()) as Record<string, unknown>;
    // OpenAPI 3.1 schemas are JSON Schema 2020-12; the document's other keys are not keywords.
    this.ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
    this.ajv.addSchema(doc, "openapi");
    this.doc = doc as never;
    return doc;
  }

  /** `raw`: bytes sent as they are (a backup archive); the answer's bytes are in `bytes`. */
  async call(method: string, path: string, opts: { body?: unknown; raw?: { bytes: Uint8Array; type: string }; headers?: Record<string, string>; pattern?: string } = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...opts.headers };
    if (opts.body !== undefined) headers["content-type"] = "application/json";
    if (opts.raw) headers["content-type"] = opts.raw.type;
    const payload = opts.raw ? { body: opts.raw.bytes as BodyInit } : opts.body !== undefined ? { body: typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body) } : {};
    const res = await fetch(`${this.url}${path}`, { method, headers, ...payload });
    const bytes = Buffer.from(await res.arrayBuffer());
    const text = bytes.toString("utf8");
    const isJson = (res.headers.get("content-type") ?? "").includes("json");
    const body = isJson && text ? JSON.parse(text) : text;
    if (this.ajv) this.check(method, opts.pattern ?? path.split("?")[0]!, res.status, res.headers.get("content-type") ?? "", body);
    return { status: res.status, headers: res.headers, body, text, bytes };
  }

  /** The answer matches what /openapi.json promises for this operation and status. */
  private check(method: string, pattern: string, status: number, type: string, body: unknown): void {
    if (pattern === "/openapi.json") return; // the document does not describe itself
    const op = this.doc!.paths[pattern]?.[method.toLowerCase()];
    if (!op) {
      assert.equal(status, status >= 400 ? status : -1, `${method} ${pattern} is not in /openapi.json`);
      return;
    }
    const declared = op.responses[String(status)];
    assert.ok(declared, `${method} ${pattern} answered ${status}, which /openapi.json does not declare (${Object.keys(op.responses).join(", ")})`);
    const media = type.split(";")[0]!.trim();
    if (!declared.content?.[media]) return;
    const ptr = ["paths", pattern, method.toLowerCase(), "responses", String(status), "content", media, "schema"].map((p) => p.replace(/~/g, "~0").replace(/\//g, "~1")).join("/");
    const validate = this.ajv!.getSchema(`openapi#/${ptr}`)!;
    assert.ok(validate(body), `${method} ${pattern} ${status}: the answer does not match /openapi.json: ${this.ajv!.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`);
  }
}
