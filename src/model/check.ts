// Schema diagnostics: parses one document with its kind's zod schema and turns every zod issue
// into a Diagnostic at the offending field, with a message a person can act on.
import type { z } from "zod";
import type { Diagnostic, SourcePos } from "../diag.js";
import { checkHeader, describeValue, suggest, type PathSeg } from "./load.js";
import {
  AuthPolicyDoc,
  CertificateDoc,
  CompliancePolicyDoc,
  DnsRecordDoc,
  MiddlewareDoc,
  RouteDoc,
  SecretDoc,
  SettingsDoc,
  StreamDoc,
  UpstreamDoc,
  type Kind,
  type Resource,
} from "./schema.js";

export const DOC_BY_KIND: Record<Kind, z.ZodType> = {
  Route: RouteDoc,
  Upstream: UpstreamDoc,
  AuthPolicy: AuthPolicyDoc,
  Middleware: MiddlewareDoc,
  Stream: StreamDoc,
  DnsRecord: DnsRecordDoc,
  Certificate: CertificateDoc,
  Secret: SecretDoc,
  CompliancePolicy: CompliancePolicyDoc,
  Settings: SettingsDoc,
};

/** Where diagnostics for one document point: source positions when loaded from YAML, else an address. */
export interface Where {
  address?: string;
  pos?(path: PathSeg[]): SourcePos | undefined;
  keyPos?(path: PathSeg[]): SourcePos | undefined;
}

export function formatPath(path: readonly PathSeg[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += out ? `[${JSON.stringify(seg)}]` : JSON.stringify(seg);
  }
  return out;
}

export function addressOf(raw: unknown): string | undefined {
  if (!raw || typeof raw !== "object") return undefined;
  const r = raw as { kind?: unknown; metadata?: { name?: unknown } };
  if (typeof r.kind !== "string") return undefined;
  return typeof r.metadata?.name === "string" ? `${r.kind}/${r.metadata.name}` : r.kind;
}

/** Checks one document fully; returns the typed resource when it has no schema errors. */
export function checkDocument(raw: unknown, where: Where): { resource?: Resource; diagnostics: Diagnostic[] } {
  const header = checkHeader(raw, where, where.address);
  if (header) return { diagnostics: [header] };
  const kind = (raw as { kind: Kind }).kind;
  const schema = DOC_BY_KIND[kind];
  const r = schema.safeParse(raw);
  if (r.success) return { resource: r.data as Resource, diagnostics: [] };
  const diagnostics: Diagnostic[] = [];
  for (const issue of r.error.issues) diagnostics.push(...issueToDiagnostics(issue, raw, kind, schema, where));
  return { diagnostics };
}

function mk(message: string, where: Where, pos: SourcePos | undefined, path: readonly PathSeg[]): Diagnostic {
  const d: Diagnostic = { severity: "error", code: "schema", message };
  if (pos) d.pos = pos;
  if (where.address) d.address = where.address;
  if (path.length) d.field = formatPath(path);
  return d;
}

function valueAt(raw: unknown, path: readonly PathSeg[]): unknown {
  let v: unknown = raw;
  for (const seg of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

function contextName(kind: Kind, path: readonly PathSeg[]): string {
  if (path.length === 0) return `${kind} document`;
  if (path.length === 1 && path[0] === "spec") return `${kind} spec`;
  return `${kind} ${formatPath(path)}`;
}

function issueToDiagnostics(issue: z.core.$ZodIssue, raw: unknown, kind: Kind, root: z.ZodType, where: Where): Diagnostic[] {
  const path = issue.path.filter((p): p is PathSeg => typeof p !== "symbol");
  const value = valueAt(raw, path);
  const field = formatPath(path);
  const posOf = (p: PathSeg[]) => where.pos?.(p);
  const keyPosOf = (p: PathSeg[]) => where.keyPos?.(p) ?? where.pos?.(p);
  const schema = schemaAt(root, path, raw);

  if (issue.code === "unrecognized_keys") {
    const known = schema ? objectKeys(schema, value) : [];
    return issue.keys.map((key) => {
      const hint = suggest(key, known);
      const list = !hint && known.length > 0 && known.length <= 16 ? `; known fields: ${known.join(", ")}` : "";
      return mk(`unknown field "${key}" in ${contextName(kind, path)}${hint ? ` (did you mean "${hint}"?)` : list}`, where, keyPosOf([...path, key]), [...path, key]);
    });
  }
  if (value === undefined && (issue.code === "invalid_type" || issue.code === "invalid_union")) {
    const parent = path.slice(0, -1);
    const name = path[path.length - 1];
    const expect = schema ? describeSchema(schema) : undefined;
    return [mk(`missing required field "${String(name)}" in ${contextName(kind, parent)}${expect ? ` (${expect})` : ""}`, where, keyPosOf(parent), path)];
  }
  let expected: string;
  switch (issue.code) {
    case "invalid_type":
      expected = schema ? describeSchema(schema) : `${issue.expected}`;
      break;
    case "too_small":
    case "too_big": {
      const origin = (issue as { origin?: string }).origin;
      if (origin === "array" || origin === "set") {
        const n = Number(issue.code === "too_small" ? (issue as { minimum: unknown }).minimum : (issue as { maximum: unknown }).maximum);
        expected = issue.code === "too_small" ? `at least ${n} item${n === 1 ? "" : "s"}` : `at most ${n} item${n === 1 ? "" : "s"}`;
        return [mk(`${field}: expected ${expected}, got ${Array.isArray(value) ? `${value.length}` : describeValue(value)}`, where, posOf(path), path)];
      }
      if (origin === "string") {
        const n = Number(issue.code === "too_small" ? (issue as { minimum: unknown }).minimum : (issue as { maximum: unknown }).maximum);
        expected = issue.code === "too_small" ? (n === 1 ? "a non-empty string" : `at least ${n} characters`) : `at most ${n} characters`;
        break;
      }
      expected = schema ? describeSchema(schema) : issue.message;
      break;
    }
    case "invalid_format": {
      const f = issue as z.core.$ZodIssueInvalidStringFormat;
      if (f.format === "regex") expected = issue.message;
      else if (f.format === "starts_with") expected = `a value starting with "${(f as { prefix?: string }).prefix}"`;
      else if (f.format === "email") expected = "an email address";
      else if (f.format === "url") expected = "a URL such as https://example.com";
      else expected = `a valid ${f.format}`;
      break;
    }
    case "invalid_value":
      expected = `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
      break;
    case "invalid_union": {
      const u = issue as { discriminator?: string; options?: unknown[] };
      if (u.discriminator && u.options) expected = `one of ${u.options.map((v) => JSON.stringify(v)).join(", ")}`;
      else expected = schema ? describeSchema(schema) : "a different value";
      break;
    }
    default:
      expected = issue.message;
  }
  return [mk(`${field}: expected ${expected}, got ${describeValue(value)}`, where, posOf(path), path)];
}

// ---- navigating zod schemas (zod v4 internals: _zod.def) ---------------------------------------

type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  valueType?: z.ZodType;
  entries?: Record<string, unknown>;
  values?: unknown[];
};
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s;
  for (;;) {
    const d = defOf(cur);
    if ((d.type === "optional" || d.type === "nullable" || d.type === "default") && d.innerType) cur = d.innerType;
    else return cur;
  }
}

/** Picks the union member a value was meant for (by discriminator, else the first object member). */
function pickMember(s: z.ZodType, value: unknown): z.ZodType | undefined {
  const d = defOf(s);
  if (!d.options) return undefined;
  if (d.discriminator && value && typeof value === "object") {
    const tag = (value as Record<string, unknown>)[d.discriminator];
    for (const o of d.options) {
      const lit = defOf(unwrap(objShape(o)?.[d.discriminator] ?? o));
      if (lit.values?.includes(tag)) return o;
    }
    return undefined;
  }
  if (value && typeof value === "object" && !Array.isArray(value)) return d.options.find((o) => defOf(unwrap(o)).type === "object");
  if (Array.isArray(value)) return d.options.find((o) => defOf(unwrap(o)).type === "array");
  return undefined;
}

function objShape(s: z.ZodType): Record<string, z.ZodType> | undefined {
  return defOf(unwrap(s)).shape;
}

/** The schema of the field at `path`, following the raw value through unions. */
export function schemaAt(root: z.ZodType, path: readonly PathSeg[], raw: unknown): z.ZodType | undefined {
  let s: z.ZodType | undefined = root;
  let v: unknown = raw;
  for (const seg of path) {
    if (!s) return undefined;
    s = unwrap(s);
    if (defOf(s).type === "union") {
      s = pickMember(s, v);
      if (!s) return undefined;
      s = unwrap(s);
    }
    const d = defOf(s);
    if (d.type === "object") s = d.shape?.[String(seg)];
    else if (d.type === "array") s = d.element;
    else if (d.type === "record") s = d.valueType;
    else return undefined;
    v = v && typeof v === "object" ? (v as Record<string | number, unknown>)[seg] : undefined;
  }
  return s;
}

function objectKeys(s: z.ZodType, value: unknown): string[] {
  let u = unwrap(s);
  if (defOf(u).type === "union") u = pickMember(u, value) ?? u;
  return Object.keys(objShape(u) ?? {});
}

/** "an integer from 1 to 100", 'one of "auto", "off"', "a list", ... */
export function describeSchema(s: z.ZodType): string {
  const u = unwrap(s);
  const d = defOf(u);
  switch (d.type) {
    case "number": {
      const n = u as unknown as { minValue: number | null; maxValue: number | null; isInt: boolean };
      const base = n.isInt ? "an integer" : "a number";
      const lo = n.minValue !== null && Number.isFinite(n.minValue) && n.minValue > Number.MIN_SAFE_INTEGER ? n.minValue : undefined;
      const hi = n.maxValue !== null && Number.isFinite(n.maxValue) && n.maxValue < Number.MAX_SAFE_INTEGER ? n.maxValue : undefined;
      if (lo !== undefined && hi !== undefined) return `${base} from ${lo} to ${hi}`;
      if (lo !== undefined) return `${base} of at least ${lo}`;
      if (hi !== undefined) return `${base} of at most ${hi}`;
      return base;
    }
    case "string":
      return "a string";
    case "boolean":
      return "true or false";
    case "enum":
      return `one of ${Object.values(d.entries ?? {}).map((v) => JSON.stringify(v)).join(", ")}`;
    case "literal":
      return (d.values ?? []).map((v) => JSON.stringify(v)).join(" or ");
    case "array":
      return "a list";
    case "object":
    case "record":
      return "a mapping";
    case "union": {
      const lits = (d.options ?? []).map((o) => defOf(unwrap(o)));
      if (lits.every((l) => l.type === "literal")) return `one of ${lits.flatMap((l) => l.values ?? []).map((v) => JSON.stringify(v)).join(", ")}`;
      return [...new Set((d.options ?? []).map(describeSchema))].join(" or ");
    }
    default:
      return d.type;
  }
}
