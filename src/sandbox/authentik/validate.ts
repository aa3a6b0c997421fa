// Request bodies checked against the OpenAPI component schemas with Ajv (compiled lazily, one
// validator per schema and version), errors mapped to Django REST framework's messages.

import AjvModule, { type ErrorObject, type ValidateFunction } from "ajv";
import { addError, type FieldErrors } from "./errors.js";
import { openApiDoc, versionedSchemas, type JsonSchema } from "./schema.js";
import type { VersionFeatures } from "./version.js";

const Ajv = AjvModule.default;
type AjvInstance = InstanceType<typeof Ajv>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

export function isUuid(s: unknown): s is string {
  return typeof s === "string" && UUID.test(s);
}

/** Django's URLValidator, roughly: http(s)/ftp(s) with a host. Blank is left to minLength. */
function isUrl(s: string): boolean {
  if (s === "") return true;
  if (!/^(https?|ftps?):\/\/[^\s/?#]+/i.test(s)) return false;
  try {
    return new URL(s).hostname !== "";
  } catch {
    return false;
  }
}

/** OpenAPI 3.0 `nullable` → JSON Schema (type lists, null in enums, anyOf for bare refs). */
function denullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(denullable);
  if (node === null || typeof node !== "object") return node;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(node)) if (k !== "nullable") out[k] = denullable(v);
  if ((node as JsonSchema).nullable !== true) return out;
  if (typeof out.type === "string") {
    out.type = [out.type, "null"];
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
    return out;
  }
  return { anyOf: [out, { type: "null" }] };
}

interface Validators {
  schemas: Record<string, JsonSchema>;
  ajv: AjvInstance;
  compiled: Map<string, ValidateFunction>;
}
const byVersion = new Map<string, Validators>();

function validators(f: VersionFeatures): Validators {
  const key = `${f.invalidationFlow}/${f.groupParents}`;
  let v = byVersion.get(key);
  if (!v) {
    const versioned = versionedSchemas(openApiDoc(), f);
    const schemas = denullable(versioned);
    const ajv = new Ajv({
      strict: false,
      allErrors: true,
      verbose: true,
      validateSchema: false,
      formats: {
        uuid: UUID,
        uri: isUrl,
        email: (s: string) => s === "" || EMAIL.test(s),
        "date-time": (s: string) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)),
        double: true,
        float: true,
        int32: true,
        int64: true,
        binary: true,
        byte: true,
      },
    });
    ajv.addSchema({ components: { schemas } }, "ak");
    v = { schemas: versioned, ajv, compiled: new Map() };
    byVersion.set(key, v);
  }
  return v;
}

function typeName(data: unknown): string {
  if (Array.isArray(data)) return "list";
  if (data === null) return "NoneType";
  if (typeof data === "object") return "dict";
  if (typeof data === "number") return Number.isInteger(data) ? "int" : "float";
  if (typeof data === "boolean") return "bool";
  return "str";
}

/** DRF's wording for one Ajv error. */
function message(e: ErrorObject): string {
  const data: unknown = e.data;
  switch (e.keyword) {
    case "required":
      return "This field is required.";
    case "type": {
      if (data === null) return "This field may not be null.";
      const t = String(e.params.type).split(",")[0];
      if (t === "integer") return "A valid integer is required.";
      if (t === "number") return "A valid number is required.";
      if (t === "boolean") return "Must be a valid boolean.";
      if (t === "array") return `Expected a list of items but got type "${typeName(data)}".`;
      if (t === "object") return `Expected a dictionary of items but got type "${typeName(data)}".`;
      return "Not a valid string.";
    }
    case "enum":
      return `"${String(data)}" is not a valid choice.`;
    case "format": {
      const fmt = String(e.params.format);
      if (fmt === "uuid") return "Must be a valid UUID.";
      if (fmt === "uri") return "Enter a valid URL.";
      if (fmt === "email") return "Enter a valid email address.";
      if (fmt === "date-time") return "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].";
      return `Invalid ${fmt}.`;
    }
    case "minLength":
      return e.params.limit === 1 ? "This field may not be blank." : `Ensure this field has at least ${String(e.params.limit)} characters.`;
    case "maxLength":
      return `Ensure this field has no more than ${String(e.params.limit)} characters.`;
    case "pattern":
      return String(e.params.pattern) === "^[-a-zA-Z0-9_]+$"
        ? "Enter a valid “slug” consisting of letters, numbers, underscores or hyphens."
        : `This value does not match the required pattern.`;
    case "minimum":
      return `Ensure this value is greater than or equal to ${String(e.params.limit)}.`;
    case "maximum":
      return `Ensure this value is less than or equal to ${String(e.params.limit)}.`;
    case "minItems":
      return "This list may not be empty.";
    default:
      return e.message ?? "Invalid value.";
  }
}

const COMBINATORS = new Set(["anyOf", "oneOf", "allOf", "if", "not"]);

/** Ajv errors → `{field: [msg]}`; nested positions are prefixed ("0.url: ..."). */
export function toFieldErrors(errors: ErrorObject[]): FieldErrors {
  const out: FieldErrors = {};
  const seen = new Set<string>();
  for (const e of errors) {
    if (COMBINATORS.has(e.keyword)) continue;
    if (e.keyword === "type" && String(e.params.type) === "null") continue; // the non-null branch speaks
    const segs = e.instancePath.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    if (e.keyword === "required") segs.push(String(e.params.missingProperty));
    if (segs.length === 0) {
      addError(out, "non_field_errors", `Invalid data. Expected a dictionary, but got ${typeName(e.data)}.`);
      continue;
    }
    const [field, ...rest] = segs as [string, ...string[]];
    const where = segs.join("/");
    if (seen.has(where)) continue; // one message per position, like DRF
    seen.add(where);
    addError(out, field, rest.length ? `${rest.join(".")}: ${message(e)}` : message(e));
  }
  return out;
}

/** Validates `body` against component schema `name` for the version; returns field errors. */
export function validateBody(f: VersionFeatures, name: string, body: unknown): FieldErrors {
  const v = validators(f);
  let fn = v.compiled.get(name);
  if (!fn) {
    fn = v.ajv.compile({ $ref: `ak#/components/schemas/${name}` });
    v.compiled.set(name, fn);
  }
  if (fn(body)) return {};
  return toFieldErrors(fn.errors ?? []);
}

/** Drops keys the schema does not declare, as DRF ignores unknown fields; returns their names. */
export function knownFields(f: VersionFeatures, name: string, body: Record<string, unknown>): { data: Record<string, unknown>; ignored: string[] } {
  const schema = validators(f).schemas[name];
  const props = (schema?.properties ?? {}) as Record<string, unknown>;
  const data: Record<string, unknown> = {};
  const ignored: string[] = [];
  for (const [k, val] of Object.entries(body)) {
    if (Object.hasOwn(props, k)) data[k] = val;
    else ignored.push(k);
  }
  return { data, ignored };
}
