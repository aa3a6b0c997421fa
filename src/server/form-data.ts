// YAML files sent to POST /v1/plan and /v1/apply as multipart/form-data (RFC 7578): the bytes of
// each file as they are on disk, so neither side turns megabytes of YAML into a JSON string and
// back (at 10,000 routes that was ≈ 60 ms of the CLI's and ≈ 20 ms of the server's time). Also
// what `curl -F options='{"yes":true}' -F file=@routes.yaml` sends.
//
// Parsed here rather than with Request.formData(): undici's parser took 11–70 ms for 1.7 MB on
// this project's machines, a search for the boundary with Buffer.indexOf takes about one.
// The encoder lives here too, so one module holds both sides of the format.
import { isUtf8 } from "node:buffer";
import { HecateError } from "../diag.js";
import type { YamlFile } from "../model/files.js";

/** A form field (`options`) or a file (`file`, with the name diagnostics give it). */
export interface FormPart {
  name: string;
  filename?: string;
  type?: string;
  bytes: Uint8Array;
}

const CRLF = Buffer.from("\r\n");

function bad(message: string): HecateError {
  return new HecateError("bad-request", `multipart body: ${message}`, { status: 400 });
}

/** WHATWG's escaping of a field name or filename in Content-Disposition (what browsers and curl do). */
function escapeName(s: string): string {
  return s.replace(/"/g, "%22").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function unescapeName(s: string): string {
  return s.replace(/%22/g, '"').replace(/%0D/g, "\r").replace(/%0A/g, "\n");
}

/**
 * The body, as the pieces to send one after another (the files' bytes are not copied into one
 * buffer: at 10,000 routes that copy alone was ≈ 10 ms of a CLI's fresh heap), its length and
 * Content-Type; the boundary is chosen so that no part contains it.
 */
export function encodeFormData(parts: FormPart[]): { chunks: Uint8Array[]; length: number; type: string } {
  let boundary: string;
  do boundary = `hecate-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  while (parts.some((p) => Buffer.from(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength).includes(boundary)));
  const chunks: Uint8Array[] = [];
  for (const p of parts) {
    const head = [`--${boundary}`, `Content-Disposition: form-data; name="${escapeName(p.name)}"${p.filename !== undefined ? `; filename="${escapeName(p.filename)}"` : ""}`];
    if (p.type) head.push(`Content-Type: ${p.type}`);
    chunks.push(Buffer.from(`${head.join("\r\n")}\r\n\r\n`), p.bytes, CRLF);
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { chunks, length: chunks.reduce((n, c) => n + c.byteLength, 0), type: `multipart/form-data; boundary=${boundary}` };
}

/** The boundary parameter of a multipart/form-data Content-Type. */
function boundaryOf(contentType: string): string {
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const b = m?.[1] ?? m?.[2];
  if (!b || b.length > 70) throw bad("Content-Type has no boundary (or one longer than 70 characters)");
  return b;
}

/** One header's value and its parameters (`form-data; name="x"; filename="y"`). */
function disposition(value: string): { name?: string; filename?: string } {
  const out: { name?: string; filename?: string } = {};
  if (!/^form-data\s*(;|$)/i.test(value)) throw bad(`a part's Content-Disposition is "${value}", not form-data`);
  for (const m of value.matchAll(/;\s*([a-z*]+)=(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/gi)) {
    const key = m[1]!.toLowerCase();
    const v = unescapeName(m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3]!);
    if (key === "name") out.name = v;
    else if (key === "filename") out.filename = v;
  }
  return out;
}

/** The parts of a multipart/form-data body, in order; anything malformed is a 400 that says what. */
export function parseFormData(body: Buffer, contentType: string): FormPart[] {
  const delimiter = Buffer.from(`--${boundaryOf(contentType)}`);
  // The first delimiter may follow a preamble (RFC 2046), which is ignored.
  let at = body.indexOf(delimiter);
  if (at < 0 || (at > 0 && !(body[at - 2] === 13 && body[at - 1] === 10))) throw bad("no part starts with the boundary of the Content-Type");
  const parts: FormPart[] = [];
  const next = Buffer.concat([CRLF, delimiter]);
  for (;;) {
    at += delimiter.length;
    if (body[at] === 45 && body[at + 1] === 45) break; // "--": the last delimiter
    if (!(body[at] === 13 && body[at + 1] === 10)) throw bad("a boundary line is not followed by CRLF");
    const headStart = at + 2;
    const headEnd = body.indexOf("\r\n\r\n", headStart);
    if (headEnd < 0) throw bad("a part's headers do not end (no empty line)");
    const end = body.indexOf(next, headEnd + 4);
    if (end < 0) throw bad("the body ends inside a part (no closing boundary)");
    let name: string | undefined;
    let filename: string | undefined;
    let type: string | undefined;
    for (const line of body.toString("utf8", headStart, headEnd).split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon <= 0) throw bad(`a part has a header line without a name: "${line.slice(0, 80)}"`);
      const key = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (key === "content-disposition") ({ name, filename } = disposition(value));
      else if (key === "content-type") type = value;
    }
    if (name === undefined) throw bad("a part has no Content-Disposition name");
    parts.push({ name, ...(filename !== undefined ? { filename } : {}), ...(type ? { type } : {}), bytes: body.subarray(headEnd + 4, end) });
    at = end + 2;
  }
  return parts;
}

/**
 * A plan or apply request sent as a form: its `options` part (the JSON body's fields but `files`,
 * a field or a file: `-F options=@opts.json` works too) and a `file` part per YAML file, named by
 * its filename, kept as bytes (checked to be UTF-8; the reader decodes what it needs, a leading
 * BOM kept as reading the file locally keeps it). Parts of other names are refused, as the JSON
 * body refuses unknown fields.
 */
export function sentRequest(body: Buffer, contentType: string): { options: Record<string, unknown>; files?: YamlFile[] } {
  const parts = parseFormData(body, contentType);
  let options: Record<string, unknown> = {};
  const files: YamlFile[] = [];
  for (const p of parts) {
    if (p.name === "options") {
      let v: unknown;
      try {
        v = JSON.parse(Buffer.from(p.bytes).toString("utf8"));
      } catch (e) {
        throw bad(`the options part is not JSON: ${(e as Error).message}`);
      }
      if (!v || typeof v !== "object" || Array.isArray(v)) throw bad("the options part must be a JSON object");
      if ("files" in v) throw bad("files are sent as file parts, not in options");
      options = v as Record<string, unknown>;
    } else if (p.name === "file") {
      if (!p.filename) throw bad('a file part has no filename (Content-Disposition: form-data; name="file"; filename="...")');
      if (!isUtf8(p.bytes)) throw new HecateError("bad-request", `${p.filename}: not UTF-8 text (save it as UTF-8)`, { status: 400 });
      files.push({ name: p.filename, bytes: p.bytes });
    } else throw bad(`unknown part "${p.name}" (expected options and file)`);
  }
  return { options, ...(files.length ? { files } : {}) };
}
