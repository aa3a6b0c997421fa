// Progressive delivery and emergency switches over the API: the CLI's canary, switch, disable,
// enable, block, unblock and bypass-auth send the same action (engine/delivery/actions.ts) and the
// engine carries it out as locally: applied at once as a new revision, audited. Canary status is
// judged on the server, which reads Caddy's access log.
import { z } from "zod";
import { DeliveryAction } from "../../engine/delivery/actions.js";
import { op, sent, type App, type Server } from "../app.js";
import { planBody } from "../actions.js";
import { ApplyResult, errors, json, PlanBody } from "../schemas.js";

const Delivered = z
  .object({
    message: z.string().describe("What was done (the revision message)."),
    pending: z.string().optional().describe("The unapplied head carries the change too: its new revision (or why not)."),
    result: ApplyResult,
    plan: PlanBody.optional(),
  })
  .meta({ id: "Delivered" });

const CanaryRow = z
  .union([
    z.object({
      route: z.string(),
      pool: z.string(),
      weight: z.number(),
      counts: z.object({ requests: z.number().int(), errors: z.number().int() }),
      rate: z.number().describe("Percent of the pool's answers that were 5xx since its step began."),
      verdict: z.enum(["rollback", "step", "promote", "wait", "hold", "unknown"]).describe("What the reconcile loop will do next."),
      why: z.string(),
      since: z.string(),
      step: z.number().nullable(),
      every: z.string().nullable(),
    }),
    z.object({ route: z.string(), canary: z.null() }),
  ])
  .meta({ id: "CanaryStatus" });

export function deliveryRoutes(app: App, s: Server): void {
  app.openapi(
    op("write", {
      method: "post",
      path: "/v1/delivery",
      tags: ["delivery"],
      summary: "A canary step, blue-green switch, maintenance page, block or sign-in bypass, applied at once as a new revision (what `hecate canary`, `hecate switch`, `hecate disable`, `hecate enable`, `hecate block`, `hecate unblock` and `hecate bypass-auth` do)",
      description: "The edit is made to what is live; an unapplied head gets it too. Undo it with the opposite action or POST /v1/rollback. A rolled-back or failed apply is 502 apply-failed with the result and the message.",
      request: {
        query: z.object({
          dryRun: z.enum(["true", "false"]).optional().describe("Show the plan only: nothing stored, nothing applied."),
          probe: z.enum(["true", "false"]).optional().describe("After applying, send a request through Caddy to the route (`switch --verify`)."),
          lockTimeoutMs: z.coerce.number().int().min(0).max(600_000).optional(),
        }),
        body: { required: true, content: { "application/json": { schema: DeliveryAction } } },
      },
      responses: { 200: json(Delivered, "applied, or a dry run"), ...errors(400, 401, 403, 404, 409, 502) },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const b = { ...(q.dryRun === "true" ? { dryRun: true } : {}), ...(q.probe === "true" ? { probe: true } : {}), ...(q.lockTimeoutMs !== undefined ? { lockTimeoutMs: q.lockTimeoutMs } : {}) };
      const { plan, ...rest } = await s.actions.deliver(c, c.req.valid("json"), b);
      return sent(c.json({ ...rest, ...(plan ? { plan: planBody(plan) } : {}) }, 200));
    },
  );
  app.openapi(
    op("read", {
      method: "get",
      path: "/v1/canaries",
      tags: ["delivery"],
      summary: "Each canary of what is live: its pool, share, requests and errors since its step began, and what the reconcile loop will do (`hecate canary status`)",
      request: { query: z.object({ route: z.string().min(1).optional().describe("Only this route (name or host).") }) },
      responses: { 200: json(z.object({ items: z.array(CanaryRow) }), "canaries"), ...errors(400, 401, 403, 404, 409) },
    }),
    async (c) => c.json({ items: await s.engine(c).canaryStatus(c.req.valid("query").route) }, 200),
  );
}
