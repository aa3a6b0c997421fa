// Operations on the desired state as a whole and on the systems: validate, plan, apply, drift,
// history, one revision, rollback. Each is the engine call the CLI command makes, with the same
// safety rails (a destructive plan needs yes, a failed apply is an error) and the same codes.
import { z } from "zod";
import type { Context } from "hono";
import { HecateError, hasErrors, sortDiagnostics, type Diagnostic } from "../../diag.js";
import * as model from "../../model/index.js";
import type { Resource } from "../../model/schema.js";
import { planToJson, renderDrift, renderPlan, resolveRevision } from "../../engine/index.js";
import type { ApplyOptions, ApplyResult, Plan } from "../../engine/types.js";
import type { SystemName } from "../../providers/provider.js";
import { SYSTEMS } from "../../providers/registry.js";
import { op, sent, type App, type Env, type Server } from "../app.js";
import { withExtra } from "../errors.js";
import { ApplyOptionsBody, ApplyResult as ApplyResultSchema, Diagnostic as DiagnosticSchema, DriftReport, errors, json, PlanBody, RevisionMeta, RevisionRef, Systems } from "../schemas.js";
import { addressIn } from "./resources.js";


function systemsOf(list: string[] | undefined): SystemName[] | undefined {
  if (!list) return undefined;
  const bad = list.filter((s) => !SYSTEMS.includes(s as SystemName));
  if (bad.length) {
    const message = `unknown system ${bad.join(", ")}: expected ${SYSTEMS.join(", ")}`;
    throw new HecateError("usage", message, { diagnostics: [{ severity: "error", code: "usage", message, field: "systems" }] });
  }
  return list as SystemName[];
}

/** Validate documents as `hecate validate` does (shape, then the whole state): nothing stored. */
export function validateDocuments(docs: unknown[]): { valid: boolean; resources: number; errors: number; warnings: number; diagnostics: Diagnostic[] } {
  const shape = docs.flatMap((d, i) => model.checkDocument(d, { address: addressIn(d).address ?? `document ${i + 1}` }).diagnostics);
  const resolved = hasErrors(shape) ? [] : model.resolveState(docs as Resource[]).diagnostics;
  const diagnostics = sortDiagnostics([...shape, ...resolved]);
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  return { valid: errors === 0, resources: docs.length, errors, warnings: diagnostics.length - errors, diagnostics };
}

const planBody = (p: Plan) => ({ plan: JSON.parse(planToJson(p)) as Record<string, unknown>, text: renderPlan(p, { color: false }) });

/** An apply that did not leave reality matching: the CLI's "apply-failed" error, with the result. */
function applied(r: ApplyResult): Omit<ApplyResult, "plan"> {
  const { plan: _plan, ...rest } = r;
  if (r.status === "succeeded" || r.status === "no-op" || r.status === "dry-run") return rest;
  const failed = r.steps.filter((s) => s.error).map((s) => `${s.system}: ${s.error}`);
  const err = new HecateError("apply-failed", `apply ${r.status}${r.status === "rolled-back" ? " (every system is back where it was)" : ""}${failed.length ? ": " + failed.join("; ") : ""}`, { status: 502 });
  throw withExtra(err, { result: rest });
}

function confirmDeletes(plan: Plan, yes: boolean | undefined, retry: string): void {
  const n = plan.summary.delete;
  if (n > 0 && !yes) {
    throw new HecateError("confirmation-required", `the plan deletes ${n} object${n === 1 ? "" : "s"}: review it (${retry}), then send the request again with "yes": true`, { status: 409 });
  }
}

export function operationRoutes(app: App, s: Server): void {
  const applyOpts = (c: Context<Env>, b: z.infer<typeof ApplyOptionsBody>): ApplyOptions => {
    const o: ApplyOptions = { actor: c.get("token").name, onEvent: (e) => s.metrics.onEvent(e) };
    if (b.maxDeletes !== undefined) o.maxDeletes = b.maxDeletes;
    if (b.allowProtected) o.allowProtected = true;
    if (b.lockTimeoutMs !== undefined) o.lockTimeoutMs = b.lockTimeoutMs;
    if (b.probe) o.probe = true;
    const systems = systemsOf(b.systems);
    if (systems) o.systems = systems;
    return o;
  };
  /** Time an engine call and count it by the label its outcome gives (a throw counts as `failed`). */
  const timed = async <T>(seconds: { startTimer(): () => void }, count: (label: string) => void, label: (v: T) => string, fn: () => Promise<T>): Promise<T> => {
    const end = seconds.startTimer();
    try {
      const v = await fn();
      count(label(v));
      return v;
    } catch (e) {
      count("failed");
      throw e;
    } finally {
      end();
    }
  };
  const timedPlan = (fn: () => Promise<Plan>) =>
    timed(s.metrics.planSeconds, (outcome) => s.metrics.plans.inc({ outcome }), (p: Plan) => (hasErrors(p.diagnostics) ? "errors" : p.steps.length ? "changes" : "no-changes"), fn);
  const timedApply = (fn: () => Promise<ApplyResult>) => timed(s.metrics.applySeconds, (status) => s.metrics.applies.inc({ status }), (r: ApplyResult) => r.status, fn);

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
      request: { body: { required: false, content: { "application/json": { schema: z.strictObject({ revision: z.string().optional(), systems: Systems }).meta({ id: "PlanRequest" }) } } } },
      responses: { 200: json(PlanBody, "the plan"), ...errors(400, 401, 403, 404, 502) },
    }),
    async (c) => {
      const b = (await c.req.json().catch(() => ({}))) as { revision?: string; systems?: string[] };
      const systems = systemsOf(b.systems);
      const p = await timedPlan(() => s.engine(c).plan({ ...(b.revision ? { revision: b.revision } : {}), ...(systems ? { systems } : {}) }));
      return c.json(planBody(p), 200);
    },
  );

  app.openapi(
    op("write", {
      method: "post",
      path: "/v1/apply",
      tags: ["operations"],
      summary: "Apply a revision (default the head) to every system as one transaction",
      request: { body: { required: false, content: { "application/json": { schema: ApplyOptionsBody } } } },
      responses: { 200: json(ApplyResultSchema.extend({ plan: PlanBody.optional() }), "applied, nothing to do, or a dry run"), ...errors(400, 401, 403, 404, 409, 502) },
    }),
    async (c) => {
      const b = ApplyOptionsBody.parse(await c.req.json().catch(() => ({})));
      const o = applyOpts(c, b);
      const engine = s.engine(c);
      const plan = await timedPlan(() => engine.plan({ ...(b.revision ? { revision: b.revision } : {}), ...(o.systems ? { systems: o.systems } : {}) }));
      if (b.dryRun) {
        const r = await engine.apply(plan, { ...o, dryRun: true });
        return sent(c.json({ ...applied(r), plan: planBody(plan) }, 200));
      }
      if (plan.steps.length) confirmDeletes(plan, b.yes, "POST /v1/plan");
      const r = await timedApply(() => engine.apply(plan, o));
      return sent(c.json({ ...applied(r), plan: planBody(plan) }, 200));
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
      const systems = systemsOf(c.req.valid("query").systems?.split(",").map((x) => x.trim()).filter(Boolean));
      const report = await s.engine(c).drift(systems ? { systems } : {});
      for (const sys of report.systems) s.metrics.drift.set({ system: sys.system }, sys.error !== undefined ? -1 : sys.changes.length);
      const body = { ...report, text: report.revision ? renderDrift(report, { color: false }) : "nothing has been applied yet, so nothing can drift\n" };
      const failed = report.systems.filter((x) => x.error !== undefined);
      // An outage is an error, never drift (as the CLI says it).
      if (failed.length) throw withExtra(new HecateError("read-failed", failed.map((x) => x.error).join("; "), { status: 502 }), { report: body });
      return c.json(body, 200);
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
      const applied = (await s.store.lastApplied())?.hash;
      return c.json({ items: revs.map((r) => ({ ...r, applied: r.hash === applied })) }, 200);
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
      path: "/v1/rollback",
      tags: ["operations"],
      summary: "Go back to an earlier revision: stored as a new revision and applied",
      request: { body: { required: true, content: { "application/json": { schema: ApplyOptionsBody.omit({ revision: true }).extend({ to: z.string().min(1), message: z.string().optional() }).meta({ id: "RollbackRequest" }) } } } },
      responses: { 200: json(z.object({ revision: RevisionRef.nullable(), result: ApplyResultSchema, plan: PlanBody.optional() }), "rolled back, or a dry run"), ...errors(400, 401, 403, 404, 409, 502) },
    }),
    async (c) => {
      const b = c.req.valid("json");
      const o = applyOpts(c, b);
      const engine = s.engine(c);
      const target = await resolveRevision(s.store, b.to);
      const message = b.message !== undefined ? { message: b.message } : {};
      const preview = await engine.rollback(target.hash, { ...o, dryRun: true, ...message });
      const plan = preview.result.plan;
      if (b.dryRun) return sent(c.json({ revision: null, result: applied(preview.result), ...(plan ? { plan: planBody(plan) } : {}) }, 200));
      if (plan?.steps.length) confirmDeletes(plan, b.yes, `POST /v1/rollback with "dryRun": true`);
      const res = await timedApply(async () => (await engine.rollback(target.hash, { ...o, ...message })).result);
      const stored = await s.store.head();
      return sent(c.json({ revision: stored ? { seq: stored.seq, hash: stored.hash } : null, result: applied(res), ...(plan ? { plan: planBody(plan) } : {}) }, 200));
    },
  );
}
