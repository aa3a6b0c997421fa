// Webhook endpoints (admin): register a URL for events (the secret is in that answer only), list,
// remove, the delivery log of each, and sending a delivery again.
import { z } from "zod";
import { op, type App, type Server } from "../app.js";
import { errors, graceOf, json, RotateRequest } from "../schemas.js";
import { EVENTS, rotateWebhookSecret } from "../webhooks.js";

const Webhook = z
  .object({ id: z.string(), url: z.string(), events: z.array(z.string()), description: z.string().optional(), createdAt: z.string(), createdBy: z.string() })
  .meta({ id: "Webhook" });
const Delivery = z
  .object({
    id: z.string(),
    webhook: z.string(),
    event: z.string(),
    eventId: z.string().describe("The event's id: a redelivery keeps it."),
    status: z.enum(["pending", "succeeded", "failed"]),
    attempts: z.array(z.object({ at: z.string(), status: z.number().int().optional(), error: z.string().optional(), ms: z.number() })),
    createdAt: z.string(),
    body: z.string().describe("The exact JSON body sent."),
    redeliveryOf: z.string().optional(),
  })
  .meta({ id: "WebhookDelivery" });
const Id = z.object({ id: z.string().min(1) });

export function webhookRoutes(app: App, s: Server): void {
  const tags = ["webhooks"];
  app.openapi(
    op("admin", { method: "get", path: "/v1/webhooks", tags, summary: "Every webhook (never its secret)", responses: { 200: json(z.object({ items: z.array(Webhook) }), "webhooks"), ...errors(401, 403) } }),
    async (c) => c.json({ items: await s.webhooks.list() }, 200),
  );
  app.openapi(
    op("admin", {
      method: "post",
      path: "/v1/webhooks",
      tags,
      summary: "Register a URL for events; the signing secret is in this answer only",
      description: `Events: ${EVENTS.join(", ")}, or * for all. Each delivery is a JSON POST with the header Hecate-Signature: t=UNIX,v1=HEX, HEX being HMAC-SHA256(secret, "UNIX.BODY").`,
      request: { body: { required: true, content: { "application/json": { schema: z.strictObject({ url: z.string(), events: z.array(z.string()), description: z.string().optional() }).meta({ id: "WebhookRequest" }) } } } },
      responses: { 201: json(z.object({ webhook: Webhook, secret: z.string().describe("Shown once: keep it to check signatures.") }), "registered"), ...errors(400, 401, 403) },
    }),
    async (c) => c.json(await s.webhooks.create(c.req.valid("json"), c.get("token").name), 201),
  );
  app.openapi(
    op("admin", { method: "delete", path: "/v1/webhooks/{id}", tags, summary: "Remove a webhook, its secret and its delivery log", request: { params: Id }, responses: { 200: json(Webhook, "removed"), ...errors(401, 403, 404) } }),
    async (c) => c.json(await s.webhooks.remove(c.req.valid("param").id, c.get("token").name), 200),
  );
  app.openapi(
    op("admin", { method: "get", path: "/v1/webhooks/{id}/deliveries", tags, summary: "The webhook's last deliveries, newest first, with every attempt", request: { params: Id }, responses: { 200: json(z.object({ items: z.array(Delivery) }), "deliveries"), ...errors(401, 403, 404) } }),
    async (c) => c.json({ items: await s.webhooks.deliveries(c.req.valid("param").id) }, 200),
  );
  app.openapi(
    op("admin", {
      method: "post",
      path: "/v1/webhooks/{id}/rotate-secret",
      tags,
      summary: "A new signing secret, in this answer only; for the grace window each delivery carries a v1 signature per secret (new, then old), then only the new",
      request: { params: Id, body: { required: false, content: { "application/json": { schema: RotateRequest } } } },
      responses: { 200: json(z.object({ webhook: Webhook, secret: z.string().describe("Shown once."), graceUntil: z.string().optional().describe("Until when deliveries are also signed with the old secret.") }), "rotated"), ...errors(400, 401, 403, 404) },
    }),
    async (c) => {
      const graceMs = graceOf(c.req.valid("json") as { grace?: string } | undefined);
      return c.json(await rotateWebhookSecret(s.storeFor(c), c.req.valid("param").id, { graceMs, actor: c.get("token").name }), 200);
    },
  );
  app.openapi(
    op("admin", {
      method: "post",
      path: "/v1/webhooks/{id}/deliveries/{delivery}/redeliver",
      tags,
      summary: "Send a delivery's body again (a new delivery, the same event id), with retries",
      request: { params: Id.extend({ delivery: z.string().min(1) }) },
      responses: { 202: json(Delivery, "queued"), ...errors(401, 403, 404) },
    }),
    async (c) => {
      const p = c.req.valid("param");
      await s.storeFor(c).audit({ actor: c.get("token").name, action: "webhook.redeliver", target: p.id, detail: { delivery: p.delivery } });
      return c.json(await s.webhooks.redeliver(p.id, p.delivery), 202);
    },
  );
}
