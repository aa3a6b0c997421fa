// Strict checks of request bodies and query values into typed inputs: every bad field reported at once as 422.
import { isIP } from "node:net";
import { ApiError, FieldErrors } from "./errors.js";
import { checkLabels, type Labels } from "./labels.js";
import { rrsetNameProblems, zoneNameProblems } from "./names.js";
import type { NewRRSet, NewZone, PrimaryNameserver, RecordValue } from "./store.js";
import { isRRSetType, RRSET_TYPES, valueProblem, type RRSetType } from "./values.js";

export type Body = Record<string, unknown>;

export const TTL_MIN = 60;
export const TTL_MAX = 2147483647;

/** Parse a JSON body; anything but a JSON object is a json_error, like the real API. */
export function parseBody(text: string): Body {
  let v: unknown;
  try {
    v = text.trim() === "" ? undefined : JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, "json_error", `request body is not valid JSON: ${(e as Error).message}`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new ApiError(400, "json_error", "request body must be a JSON object");
  return v as Body;
}

// Unknown fields are refused: a client that sends {ttl} to a labels-only PUT should learn it, not be ignored.
function only(body: Body, allowed: string[], errors: FieldErrors, prefix = ""): void {
  for (const k of Object.keys(body)) if (!allowed.includes(k)) errors.add(prefix + k, "is not a known field for this request");
}

function ttlOf(raw: unknown, field: string, errors: FieldErrors, nullable: boolean): number | null {
  if (raw === null && nullable) return null;
  if (typeof raw !== "number" || !Number.isInteger(raw)) errors.add(field, nullable ? "must be an integer or null" : "must be an integer");
  else if (raw < TTL_MIN || raw > TTL_MAX) errors.add(field, `must be between ${TTL_MIN} and ${TTL_MAX}`);
  else return raw;
  return null;
}

function recordsOf(raw: unknown, type: RRSetType | null, errors: FieldErrors): RecordValue[] {
  if (!Array.isArray(raw)) {
    errors.add("records", "must be a list");
    return [];
  }
  if (raw.length === 0) errors.add("records", "must not be empty");
  const out: RecordValue[] = [];
  raw.forEach((r: unknown, i) => {
    const at = `records[${i}]`;
    if (r === null || typeof r !== "object" || Array.isArray(r)) return errors.add(at, "must be an object {value, comment}");
    const rec = r as Body;
    only(rec, ["value", "comment"], errors, `${at}.`);
    if (typeof rec.value !== "string") return errors.add(`${at}.value`, "must be a string");
    if (rec.comment !== undefined && typeof rec.comment !== "string") return errors.add(`${at}.comment`, "must be a string");
    if (typeof rec.comment === "string" && rec.comment.length > 255) return errors.add(`${at}.comment`, "must be at most 255 characters");
    const problem = type ? valueProblem(type, rec.value) : null;
    if (problem) return errors.add(`${at}.value`, problem);
    if (out.some((o) => o.value === rec.value)) return errors.add(`${at}.value`, "duplicate value");
    out.push({ value: rec.value, comment: typeof rec.comment === "string" ? rec.comment : "" });
  });
  if (type === "CNAME" && out.length > 1) errors.add("records", "a CNAME rrset has exactly one record");
  return out;
}

export function typeProblem(type: string): string | null {
  return isRRSetType(type) ? null : `must be one of ${RRSET_TYPES.join(", ")}`;
}

export function zoneCreate(body: Body): NewZone & { zonefile?: string } {
  const errors = new FieldErrors();
  only(body, ["name", "mode", "ttl", "labels", "primary_nameservers", "zonefile"], errors);
  if (typeof body.name !== "string") errors.add("name", "is required and must be a string");
  else for (const p of zoneNameProblems(body.name)) errors.add("name", p);
  const mode = body.mode;
  if (mode !== "primary" && mode !== "secondary") errors.add("mode", "must be primary or secondary");
  const ttl = body.ttl === undefined ? 3600 : ttlOf(body.ttl, "ttl", errors, false);
  const labels = checkLabels(body.labels, "labels", errors);
  let primaries: PrimaryNameserver[] | undefined;
  if (mode === "secondary") {
    if (body.zonefile !== undefined) errors.add("zonefile", "is only allowed for primary zones");
    primaries = primaryNameservers(body.primary_nameservers, errors);
  } else if (body.primary_nameservers !== undefined) errors.add("primary_nameservers", "is only allowed for secondary zones");
  if (body.zonefile !== undefined && typeof body.zonefile !== "string") errors.add("zonefile", "must be a string");
  errors.throwIfAny();
  return {
    name: body.name as string,
    mode: mode as "primary" | "secondary",
    ttl: ttl ?? 3600,
    labels,
    ...(primaries ? { primary_nameservers: primaries } : {}),
    ...(typeof body.zonefile === "string" ? { zonefile: body.zonefile } : {}),
  };
}

function primaryNameservers(raw: unknown, errors: FieldErrors): PrimaryNameserver[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    errors.add("primary_nameservers", "is required for secondary zones and must be a non-empty list");
    return [];
  }
  return raw.flatMap((p: unknown, i) => {
    const at = `primary_nameservers[${i}]`;
    if (p === null || typeof p !== "object") return errors.add(at, "must be an object {address, port}"), [];
    const ns = p as Body;
    if (typeof ns.address !== "string" || isIP(ns.address) === 0) return errors.add(`${at}.address`, "must be an IP address"), [];
    const port = ns.port ?? 53;
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) return errors.add(`${at}.port`, "must be a port number"), [];
    return [{ address: ns.address, port }];
  });
}

export function labelsOnly(body: Body): Labels {
  const errors = new FieldErrors();
  only(body, ["labels"], errors);
  if (body.labels === undefined) errors.add("labels", "is required");
  const labels = checkLabels(body.labels, "labels", errors);
  errors.throwIfAny();
  return labels;
}

export function ttlChange(body: Body, nullable: boolean): number | null {
  const errors = new FieldErrors();
  only(body, ["ttl"], errors);
  if (!("ttl" in body)) errors.add("ttl", "is required");
  const ttl = ttlOf(body.ttl, "ttl", errors, nullable);
  errors.throwIfAny();
  return ttl;
}

export function protectionChange(body: Body, field: "delete" | "change"): boolean {
  const errors = new FieldErrors();
  only(body, [field], errors);
  if (typeof body[field] !== "boolean") errors.add(field, "is required and must be a boolean");
  errors.throwIfAny();
  return body[field] as boolean;
}

export function zonefileImport(body: Body): string {
  const errors = new FieldErrors();
  only(body, ["zonefile"], errors);
  if (typeof body.zonefile !== "string") errors.add("zonefile", "is required and must be a string");
  errors.throwIfAny();
  return body.zonefile as string;
}

export function rrsetCreate(body: Body, zone: string): NewRRSet {
  const errors = new FieldErrors();
  only(body, ["name", "type", "ttl", "records", "labels"], errors);
  if (typeof body.name !== "string") errors.add("name", "is required and must be a string");
  else for (const p of rrsetNameProblems(body.name, zone)) errors.add("name", p);
  const type = typeof body.type === "string" && isRRSetType(body.type) ? body.type : null;
  if (!type) errors.add("type", `is required and must be one of ${RRSET_TYPES.join(", ")}`);
  const ttl = body.ttl === undefined ? null : ttlOf(body.ttl, "ttl", errors, true);
  const records = recordsOf(body.records, type, errors);
  const labels = checkLabels(body.labels, "labels", errors);
  errors.throwIfAny();
  return { name: body.name as string, type: type!, ttl, records, labels };
}

/** set_records / add_records / remove_records bodies. remove_records needs values only (comments are ignored there by design). */
export function recordsChange(body: Body, type: RRSetType, op: "set" | "add" | "remove"): { records: RecordValue[]; ttl: number | null } {
  const errors = new FieldErrors();
  only(body, op === "add" ? ["records", "ttl"] : ["records"], errors);
  const records = recordsOf(body.records, op === "remove" ? null : type, errors);
  const ttl = op === "add" && body.ttl !== undefined ? ttlOf(body.ttl, "ttl", errors, true) : null;
  errors.throwIfAny();
  return { records, ttl };
}

/** Path segments name an rrset: the same rules as a body, reported against the path. */
export function rrsetPath(name: string, type: string, zone: string): RRSetType {
  const errors = new FieldErrors();
  for (const p of rrsetNameProblems(name, zone)) errors.add("rr_name", p);
  const tp = typeProblem(type);
  if (tp) errors.add("rr_type", tp);
  errors.throwIfAny();
  return type as RRSetType;
}

/** page/per_page from a query, strict: out-of-range values are refused, not clamped. */
export function paging(page: string | undefined, perPage: string | undefined, max: number): { page: number; perPage: number } {
  const errors = new FieldErrors();
  const num = (raw: string | undefined, field: string, dflt: number, hi: number): number => {
    if (raw === undefined) return dflt;
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > hi) {
      errors.add(field, hi === Infinity ? "must be a positive integer" : `must be an integer between 1 and ${hi}`);
      return dflt;
    }
    return Number(raw);
  };
  const result = { page: num(page, "page", 1, Infinity), perPage: num(perPage, "per_page", 25, max) };
  errors.throwIfAny();
  return result;
}
