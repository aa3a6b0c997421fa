// The API's request and response shapes. Resource bodies are the model's own zod schemas (the
// ones YAML is checked with); these add the envelopes around them. Each named schema becomes a
// component of /openapi.json (ids are registered once, at module load).
import { z } from "zod";
import { HecateError } from "../diag.js";
import { parseDurationMs } from "../cli/commands/shared-flags.js";
import { DEFAULT_GRACE } from "../secrets/upkeep.js";
import { DOC_BY_KIND } from "../model/check.js";
import { KINDS, type Kind } from "../model/schema.js";

/** Each kind's document schema under its kind's name. */
export const DOCS = Object.fromEntries(KINDS.map((k) => [k, DOC_BY_KIND[k].meta({ id: k })])) as Record<Kind, z.ZodType>;

export const Diagnostic = z
  .object({
    severity: z.enum(["error", "warning"]),
    code: z.string().describe('Stable machine code, e.g. "schema", "dangling-ref".'),
    message: z.string().describe("What is wrong, naming the field, as the CLI prints it."),
    field: z.string().optional().describe('The offending field, e.g. "spec.hosts[0]".'),
    address: z.string().optional().describe('Resource address, e.g. "Route/app".'),
    node: z.string().optional().describe("The node of a fleet it is about (a Caddy admin endpoint)."),
    pos: z.object({ file: z.string(), line: z.number().int(), col: z.number().int() }).optional(),
  })
  .meta({ id: "Diagnostic" });

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().describe('The same code the CLI reports with -o json, e.g. "invalid", "not-found", "precondition-failed".'),
      message: z.string(),
      diagnostics: z.array(Diagnostic),
    }),
  })
  .catchall(z.unknown())
  .meta({ id: "Error" });

export const RevisionRef = z.object({ seq: z.number().int(), hash: z.string() }).meta({ id: "RevisionRef" });

export const RevisionMeta = z
  .object({
    seq: z.number().int(),
    hash: z.string(),
    parent: z.string().optional(),
    author: z.string(),
    message: z.string(),
    source: z.object({ type: z.string(), location: z.string().optional(), ref: z.string().optional(), commit: z.string().optional() }),
    createdAt: z.string(),
    applied: z.boolean().optional().describe("True for the revision last applied."),
  })
  .meta({ id: "RevisionMeta" });

export const EditResult = z
  .object({
    revision: RevisionRef.nullable().describe("The revision stored (null: nothing changed, or a dry run)."),
    changed: z.array(z.string()).describe('Addresses created, updated or deleted, e.g. "Route/app".'),
    message: z.string(),
    warnings: z.array(Diagnostic),
    dryRun: z.boolean().optional(),
    resource: z.unknown().optional().describe("The resource as stored (create and replace)."),
  })
  .meta({ id: "EditResult" });

export const StepOutcome = z.object({
  system: z.string(),
  phase: z.string(),
  status: z.enum(["applied", "failed", "undone", "undo-failed", "skipped"]),
  error: z.string().optional(),
});

export const ApplyResult = z
  .object({
    applyId: z.string(),
    revision: z.string(),
    status: z.enum(["succeeded", "rolled-back", "failed", "no-op", "dry-run"]),
    steps: z.array(StepOutcome),
    diagnostics: z.array(Diagnostic),
    usage: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: "ApplyResult" });

export const PlanBody = z
  .object({
    plan: z.record(z.string(), z.unknown()).describe("The plan as `hecate plan -o json` prints it (format hecate-plan/1, secrets redacted); an apply sent `configs: false` leaves out each system's desired and actual config."),
    text: z.string().describe("The plan as `hecate plan` prints it."),
  })
  .meta({ id: "Plan" });

export const DriftReport = z
  .object({
    revision: z.string().optional(),
    systems: z.array(
      z.object({
        system: z.string(),
        changes: z.array(z.unknown()),
        error: z.string().optional(),
        nodes: z
          .array(z.object({ node: z.string(), state: z.enum(["in-sync", "behind", "down"]), changes: z.number().int().optional(), error: z.string().optional() }))
          .optional()
          .describe("A fleet (several Caddy admin endpoints), node by node."),
        revision: z.string().optional().describe("The revision this system is compared with when it was applied to it alone (`apply --system`) after the one above."),
      }),
    ),
    drifted: z.boolean(),
    text: z.string().describe("The report as `hecate drift` prints it."),
  })
  .meta({ id: "DriftReport" });

export const AuditEntry = z
  .object({
    id: z.number().int(),
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    target: z.string().optional(),
    detail: z.record(z.string(), z.unknown()).optional(),
    address: z.string().optional(),
    hash: z.string().optional(),
  })
  .meta({ id: "AuditEntry" });

export const AuditVerification = z
  .object({ ok: z.boolean(), entries: z.number().int(), problems: z.array(z.object({ id: z.number().int().optional(), message: z.string() })) })
  .meta({ id: "AuditVerification" });

export const Scope = z.enum(["read", "write", "admin"]);

export const Token = z
  .object({
    id: z.string(),
    name: z.string(),
    scope: Scope,
    createdAt: z.string(),
    createdBy: z.string(),
    expiresAt: z.string().optional(),
    revokedAt: z.string().optional(),
    rotatedAt: z.string().optional().describe("When its secret was last rotated."),
    previousUntil: z.string().optional().describe("Until when the secret before the last rotation is still accepted (its grace window)."),
  })
  .meta({ id: "Token" });

export const ApplyRecord = z
  .object({
    applyId: z.string(),
    revision: z.string().describe("The revision's hash."),
    status: z.enum(["running", "succeeded", "rolled-back", "failed", "abandoned"]),
    startedAt: z.string(),
    endedAt: z.string().optional(),
    holder: z.string(),
  })
  .meta({ id: "ApplyRecord" });

export const Lock = z
  .object({
    name: z.string(),
    holder: z.string().describe("actor@host/pid/nonce of the process holding it."),
    token: z.number().int().describe("Fencing token of this acquisition."),
    acquiredAt: z.string(),
    expiresAt: z.string().describe("When its lease runs out unless renewed."),
  })
  .meta({ id: "Lock" });

export const Systems = z.array(z.string()).optional().describe("Only these systems (dns, certs, authentik, caddy, nginx).");

export const ApplyOptionsBody = z
  .strictObject({
    revision: z.string().optional().describe("Revision to apply (head, applied, #N, N or a hash prefix); default the head."),
    systems: Systems,
    yes: z.boolean().optional().describe("Required when the plan deletes objects (the CLI's --yes)."),
    dryRun: z.boolean().optional(),
    maxDeletes: z.number().int().min(0).optional(),
    allowProtected: z.boolean().optional(),
    lockTimeoutMs: z.number().int().min(0).max(600_000).optional(),
    probe: z.boolean().optional(),
  })
  .meta({ id: "ApplyOptions" });

/** YAML files sent as text: the desired state of `plan` and `apply` instead of a stored revision (the CLI's remote `plan DIR` / `apply DIR`). */
export const SentFiles = {
  files: z
    .array(z.strictObject({ name: z.string().min(1).max(4096).describe("What diagnostics call the file (file:line:col)."), text: z.string().max(64 << 20) }))
    .max(100_000)
    .optional()
    .describe("YAML files, read as `hecate plan DIR` reads them; Settings and CompliancePolicy in them must be as the head has them."),
  location: z.string().max(4096).optional().describe("Where the files came from, recorded as the revision's source (default: their names)."),
};

/**
 * The same request as multipart/form-data (server/form-data.ts), as `hecate plan DIR` and `hecate apply DIR` send
 * it: the YAML files as they are on disk instead of JSON strings. Described here for
 * /openapi.json only: the handler reads the parts itself.
 */
export const SentForm = {
  schema: {
    type: "object" as const,
    properties: {
      options: { type: "string" as const, description: "The JSON body's other fields as one JSON object (Content-Type: application/json)." },
      file: { type: "array" as const, items: { type: "string" as const, format: "binary" }, description: "A YAML file per part; its filename is what diagnostics call it." },
    },
  },
};

/** Error answers of a route, by status, for /openapi.json. */
export const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((code) => [code, { description: ERROR_TEXT[code] ?? "error", content: { "application/json": { schema: ErrorBody } } }]));

const ERROR_TEXT: Record<number, string> = {
  400: "invalid request: every field and reason in diagnostics",
  401: "no token, or not a valid one",
  403: "the token's scope does not allow this",
  404: "no such resource",
  409: "conflict: exists, referenced, or the head kept moving",
  412: "If-Match does not name the resource as it is now",
  429: "too many refused tokens from this address",
  502: "a system could not be read or written",
};

/** A JSON answer of a route, for /openapi.json. */
export const json = <S extends z.ZodType>(schema: S, description: string) => ({ description, content: { "application/json": { schema } } });

/** The body of a rotation (token, webhook secret): how long the old secret stays accepted. */
export const RotateRequest = z
  .strictObject({ grace: z.string().optional().describe('how long the old secret stays accepted, e.g. "24h", "10m", "0" (default "10m")') })
  .meta({ id: "RotateRequest" });

/** A rotation's grace in ms; a bad one is a 400 naming the field, as schema errors are. */
export function graceOf(body: { grace?: string } | undefined): number {
  try {
    return parseDurationMs(body?.grace ?? DEFAULT_GRACE, "grace", "10m, 24h or 7d");
  } catch (e) {
    throw new HecateError("invalid", "the request body is not valid (1 error)", { status: 400, diagnostics: [{ severity: "error", code: "schema", field: "grace", message: (e as Error).message }] });
  }
}
