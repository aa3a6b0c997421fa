// Operations on the desired state as a whole and on the systems: validate, plan, apply, drift,
// history, one revision, rollback. Each is the engine call the CLI command makes, with the same
// safety rails (a destructive plan needs yes, a failed apply is an error) and the same codes,
// through the server's actions (actions.ts), which the dashboard uses too.
import { IncomingMessage } from "node:http";
import { z } from "zod";
import { hasErrors, sortDiagnostics, type Diagnostic } from "../../diag.js";
import * as model from "../../model/index.js";
import type { Resource } from "../../model/schema.js";
import { resolveRevision } from "../../engine/index.js";
import { op, sent, type App, type Server } from "../app.js";
import { assertEditable, changedBetween, planBody } from "../actions.js";
import { HecateError } from "../../diag.js";
import { EditResult } from "../schemas.js";

import { ApplyOptionsBody, ApplyRecord, ApplyResult as ApplyResultSchema, Diagnostic as DiagnosticSchema, DriftReport, errors, json, PlanBody, RevisionMeta, RevisionRef, SentFiles, SentForm, Systems } from "../schemas.js";
import type { YamlFile } from "../../model/files.js";
import { sentRequest } from "../form-data.js";
import { addressIn } from "./resources.js";


/** Validate documents as `hecate validate` does (shape, then the whole state): nothing stored. */
export function validateDocuments(docs: unknown[]): { valid: boolean; resources: number; errors: number; warnings: number; diagnostics: Diagnostic[] } {
  const shape = docs.flatMap((d, i) => model.checkDocument(d, { address: addressIn(d).address ?? `document ${i + 1}` }).diagnostics);
  const resolved = hasErrors(shape) ? [] : model.resolveState(docs as Resource[]).diagnostics;
  const diagnostics = sortDiagnostics([...shape, ...resolved]);
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  return { valid: errors === 0, resources: docs.length, errors, warnings: diagnostics.length - errors, diagnostics };
}

const PlanRequest = z.strictObject({ revision: z.string().optional(), systems: Systems, ...SentFiles }).meta({ id: "PlanRequest" });
const ApplyRequest = ApplyOptionsBody.extend({
  ...SentFiles,
  message: z.string().min(1).optional().describe("Message of the revision stored for `files`."),
  configs: z.boolean().optional().describe("false: the answer's plan leaves out each system's desired and actual configs (megabytes at 10,000 routes); its changes stay."),
}).meta({ id: "ApplyRequest" });

type BodyContext = { env: unknown; req: { header(name: string): string | undefined; arrayBuffer(): Promise<ArrayBuffer>; json(): Promise<unknown> } };

/**
 * A plan or apply body: JSON, or multipart/form-data with the YAML files as file parts
 * (form-data.ts), whose files are then not part of `options` (they are bytes, not the JSON
 * body's text: the request schema does not see them).
 */
async function sentBody(c: BodyContext): Promise<{ options: unknown; files?: YamlFile[] }> {
  const type = c.req.header("content-type") ?? "";
  if (/^multipart\/form-data\s*;/i.test(type)) return sentRequest(await requestBytes(c), type);
  return { options: await c.req.json().catch(() => ({})) };
}

/** Largest form body taken (the YAML files of 10,000 routes are ≈ 1.7 MB). */
const MAX_FORM_BYTES = 64 * 1024 * 1024;

function tooLarge(): HecateError {
  return new HecateError("too-large", `the files sent are larger than ${MAX_FORM_BYTES / 1024 / 1024} MiB, the most a plan or apply takes`, { status: 413 });
}

/**
 * The request's bytes, read from Node's request into one buffer of its Content-Length as they
 * arrive (Hono's arrayBuffer() joins them after the last one and copies them once more: ≈ 15 ms
 * for 1.7 MB here), or from the Request when there is no Node request (app.request in tests),
 * it was read already, or it has no length (chunked).
 */
async function requestBytes(c: BodyContext): Promise<Buffer> {
  const length = Number(c.req.header("content-length") ?? Number.NaN);
  if (length > MAX_FORM_BYTES) throw tooLarge();
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!(incoming instanceof IncomingMessage) || incoming.readableDidRead || !Number.isSafeInteger(length) || length < 0) {
    const bytes = Buffer.from(await c.req.arrayBuffer());
    if (bytes.length > MAX_FORM_BYTES) throw tooLarge();
    return bytes;
  }
  const bytes = Buffer.allocUnsafe(length);
  let at = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    // Node's parser stops at Content-Length; a body that ends early is an aborted request.
    if (at + chunk.length > length) throw new HecateError("bad-request", "the body is longer than its Content-Length", { status: 400 });
    chunk.copy(bytes, at);
    at += chunk.length;
  }
  if (at !== length) throw new HecateError("bad-request", "the body is shorter than its Content-Length", { status: 400 });
  return bytes;
}

export function operationRoutes(app: App, s: Server): void {
  app.openapi(
    op("read", {
      method: "post",
      path: "/v1/validate",
      tags: ["operations"],
      summary: "Check documents as `hecate validate` does; nothing stored",
      request: { body: { required: true, content: { "application/json": { schema: z.object({ resources: z.array(z.unknown()) }).meta({ id: "ValidateRequest" }) } } } },
      responses: { 200: json(z.object({ valid: z.boolean(), resources: z.number().int(), errors: z.number().int(), warnings: z.number().int(), diagnostics: z.array(DiagnosticSchema) }).meta({ id: "Validation" }), "the verdict and every diagnostic"), ...errors(400, 401, 403) },
    }),
    (c) => c.json(validateDocuments(c.req.valid("json").resources), 200),
  );

  app.openapi(
    op("read", {
      method: "post",
      path: "/v1/plan",
      tags: ["operations"],
      summary: "What apply would change in each system (reads the systems, changes nothing)",
      request: { body: { required: false, content: { "application/json": { schema: PlanRequest }, "multipart/form-data": SentForm } } },
      responses: { 200: json(PlanBody, "the plan"), ...errors(400, 401, 403, 404, 413, 502) },
    }),
    async (c) => {
      const body = await sentBody(c);
      const { files: inJson, location, ...b } = PlanRequest.parse(body.options);
      const files = body.files ?? inJson;
      return c.json(planBody(await s.actions.plan(c, { ...b, ...(files ? { files: { files, location } } : {}) })), 200);
    },
  );

  app.openapi(
    op("write", {
      method: "post",
      path: "/v1/apply",
      tags: ["operations"],
      summary: "Apply a revision (default the head) to every system as one transaction",
      request: { body: { required: false, content: { "application/json": { schema: ApplyRequest }, "multipart/form-data": SentForm } } },
      responses: { 200: json(ApplyResultSchema.extend({ plan: PlanBody.optional() }), "applied, nothing to do, or a dry run"), ...errors(400, 401, 403, 404, 409, 413, 502) },
    }),
    async (c) => {
      const body = await sentBody(c);
      const { files: inJson, location, configs, ...b } = ApplyRequest.parse(body.options);
      const files = body.files ?? inJson;
      const { result, plan } = await s.actions.apply(c, { ...b, ...(files ? { files: { files, location } } : {}) });
      return sent(c.json({ ...result, plan: planBody(plan, { configs: configs !== false }) }, 200));
    },
  );

  app.openapi(
    op("read", {
      method: "get",
      path: "/v1/drift",
      tags: ["operations"],
      summary: "Edits made to the systems behind Hecate's back since the last apply",
      request: { query: z.object({ systems: z.string().optional().describe("Comma-separated: only these systems.") }) },
      responses: { 200: json(DriftReport, "the drift report"), ...errors(400, 401, 403, 502) },
    }),
    async (c) => {
      return c.json(await s.actions.drift(c, c.req.valid("query").systems?.split(",").map((x) => x.trim()).filter(Boolean)), 200);
    },
  );

  app.openapi(
    op("read", {
      method: "get",
      path: "/v1/history",
      tags: ["operations"],
      summary: "Revisions, newest first (applied marks the one last applied)",
      request: { query: z.object({ limit: z.coerce.number().int().min(1).max(10_000).optional() }) },
      responses: { 200: json(z.object({ items: z.array(RevisionMeta) }), "revisions"), ...errors(400, 401, 403) },
    }),
    async (c) => {
      const revs = await s.store.listRevisions({ limit: c.req.valid("query").limit ?? 50 });
      // By seq: a rollback stores an earlier revision's content again, under the same hash.
      const applied = (await s.store.lastApplied())?.seq;
      return c.json({ items: revs.map((r) => ({ ...r, applied: r.seq === applied })) }, 200);
    },
  );

  app.openapi(
    op("read", {
      method: "get",
      path: "/v1/applies",
      tags: ["operations"],
      summary: "Applies, newest first: which revision, how it ended, who ran it (what `rollback --last-good` reads)",
      request: { query: z.object({ status: z.enum(["running", "succeeded", "rolled-back", "failed", "abandoned"]).optional(), limit: z.coerce.number().int().min(1).max(10_000).optional() }) },
      responses: { 200: json(z.object({ items: z.array(ApplyRecord) }), "applies"), ...errors(400, 401, 403) },
    }),
    async (c) => {
      const { status, limit } = c.req.valid("query");
      return c.json({ items: await s.store.listApplies({ ...(status ? { status } : {}), ...(limit ? { limit } : {}) }) }, 200);
    },
  );

  app.openapi(
    op("read", {
      method: "get",
      path: "/v1/revisions/{ref}",
      tags: ["operations"],
      summary: "One revision with its resources (ref: head, applied, #N, N or a hash prefix)",
      request: { params: z.object({ ref: z.string().min(1) }) },
      responses: { 200: json(RevisionMeta.extend({ resources: z.array(z.unknown()) }), "the revision"), ...errors(401, 403, 404, 409) },
    }),
    async (c) => c.json(await resolveRevision(s.store, c.req.valid("param").ref), 200),
  );

  app.openapi(
    op("write", {
      method: "post",
      path: "/v1/revisions",
      tags: ["operations"],
      summary: "Store a whole desired state as the revision after `parent` (what the CLI's remote mode sends)",
      description: "Stored only while `parent` (a seq; 0 for an empty store) is still the head, else 409 head-moved: read the head again, redo the change, send it again. The state is validated as a whole, as for every edit.",
      request: {
        body: {
          required: true,
          content: { "application/json": { schema: z.strictObject({ parent: z.number().int().min(0), resources: z.array(z.unknown()), message: z.string().min(1) }).meta({ id: "StateRequest" }) } },
        },
      },
      responses: { 201: json(EditResult, "stored"), 200: json(EditResult, "nothing changed"), ...errors(400, 401, 403, 409) },
    }),
    async (c) => {
      const b = c.req.valid("json");
      const after = b.resources as Resource[];
      const out = await s.actions.edit(c, async (resources, base) => {
        // Another edit stored in the same commit, before this one, moved the head too.
        const seq = base.seq + base.pending;
        if (seq !== b.parent) throw new HecateError("head-moved", `the head is #${base.seq}${base.pending ? ` and ${base.pending} more edit${base.pending === 1 ? " is" : "s are"} being stored` : ""}, not #${b.parent}: read it again and redo the change`, { status: 409 });
        const changed = changedBetween(resources, after);
        // Like a local edit, a state equal to the head is still stored (a new message).
        assertEditable(resources, after);
        return { after, changed, message: b.message };
      });
      if (out.status !== "stored") return sent(c.json({ revision: null, changed: [], message: "no changes", warnings: [] }, 200));
      return sent(c.json({ revision: { seq: out.revision.seq, hash: out.revision.hash }, changed: out.change.changed, message: out.change.message, warnings: out.warnings }, 201));
    },
  );

  app.openapi(
    op("write", {
      method: "post",
      path: "/v1/rollback",
      tags: ["operations"],
      summary: "Go back to an earlier revision: stored as a new revision and applied",
      request: { body: { required: true, content: { "application/json": { schema: ApplyOptionsBody.omit({ revision: true }).extend({ to: z.string().min(1), message: z.string().optional() }).meta({ id: "RollbackRequest" }) } } } },
      responses: { 200: json(z.object({ revision: RevisionRef.nullable(), result: ApplyResultSchema, plan: PlanBody.optional() }), "rolled back, or a dry run"), ...errors(400, 401, 403, 404, 409, 502) },
    }),
    async (c) => {
      const b = c.req.valid("json");
      const { plan, ...rest } = await s.actions.rollback(c, b);
      return sent(c.json({ ...rest, ...(plan ? { plan: planBody(plan) } : {}) }, 200));
    },
  );
}
