// Reconciling by hand, as `hecate reconcile` does: the state of the switch, the circuit breaker and
// the fleet (GET), suspending every loop (PUT), what is due carried out (expired blocks and
// bypasses, canary verdicts), and one reconcile of the last applied revision.
import { z } from "zod";
import { op, sent, type App, type Server } from "../app.js";
import { planBody } from "../actions.js";
import { ApplyOptionsBody, ApplyResult, errors, json, PlanBody } from "../schemas.js";

const ReconcileStatus = z
  .object({
    suspended: z.boolean().describe("Every reconcile loop sharing the store is paused."),
    breaker: z.object({ openedAt: z.string(), until: z.string(), failures: z.number().int(), error: z.string() }).nullable().describe("The circuit breaker, when open."),
    down: z.record(z.string(), z.object({ system: z.string(), since: z.string(), error: z.string() })).describe("Fleet nodes the leader found down, by node."),
  })
  .meta({ id: "ReconcileStatus" });

export const DeliveryEvent = z.object({ action: z.string(), target: z.string(), message: z.string(), status: z.string() }).meta({ id: "DeliveryEvent" });

export function reconcileRoutes(app: App, s: Server): void {
  app.openapi(
    op("read", {
      method: "get",
      path: "/v1/reconcile",
      tags: ["operations"],
      summary: "Whether reconciling is suspended, the circuit breaker's state, fleet nodes found down (`hecate reconcile --status`)",
      responses: { 200: json(ReconcileStatus, "the status"), ...errors(401, 403) },
    }),
    async (c) => c.json(await s.engine(c).reconcileStatus(), 200),
  );
  app.openapi(
    op("write", {
      method: "put",
      path: "/v1/reconcile",
      tags: ["operations"],
      summary: "Pause every reconcile loop sharing the store, or let them run again (`hecate reconcile --suspend`, `hecate reconcile --resume`)",
      request: { body: { required: true, content: { "application/json": { schema: z.strictObject({ suspended: z.boolean() }).meta({ id: "ReconcileSwitch" }) } } } },
      responses: { 200: json(ReconcileStatus, "the status after"), ...errors(400, 401, 403) },
    }),
    async (c) => c.json(await s.engine(c).suspendReconcile(c.req.valid("json").suspended), 200),
  );
  app.openapi(
    op("write", {
      method: "post",
      path: "/v1/reconcile",
      tags: ["operations"],
      summary: "Put reality back to the last applied revision now (`hecate reconcile`; POST /v1/delivery/round first carries out what is due)",
      description: 'As for apply, a plan that deletes objects needs "yes": true (409 confirmation-required otherwise); dryRun shows the plan only. A rolled-back or failed reconcile is 502 apply-failed with the result.',
      request: { body: { required: false, content: { "application/json": { schema: ApplyOptionsBody.omit({ revision: true }).meta({ id: "ReconcileRequest" }) } } } },
      responses: { 200: json(z.object({ result: ApplyResult, plan: PlanBody.optional() }), "reconciled, nothing to do, or a dry run"), ...errors(400, 401, 403, 404, 409, 502) },
    }),
    async (c) => {
      const b = ApplyOptionsBody.omit({ revision: true }).parse(await c.req.json().catch(() => ({})));
      const { result, plan } = await s.actions.reconcile(c, b);
      return sent(c.json({ result, ...(plan ? { plan: planBody(plan) } : {}) }, 200));
    },
  );
  app.openapi(
    op("write", {
      method: "post",
      path: "/v1/delivery/round",
      tags: ["delivery"],
      summary: "Carry out what is due now, as the reconcile loop does first: expired blocks and sign-in bypasses lifted, canaries judged (stepped, promoted or rolled back)",
      responses: { 200: json(z.object({ items: z.array(DeliveryEvent) }), "what was done (often nothing)"), ...errors(401, 403) },
    }),
    async (c) => c.json({ items: await s.engine(c).deliveryRound() }, 200),
  );
}
