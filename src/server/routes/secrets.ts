// Secret values over the API: stored sealed in the server's store (what `create secret NAME
// --value-from ...` and `cert import` keep there), and rotated as `hecate secret rotate` does. A
// value travels in a request body only: never answered back, logged (bodies never are) or audited.
import { z } from "zod";
import { HecateError } from "../../diag.js";
import { Name } from "../../model/schema.js";
import { op, type App, type Server } from "../app.js";
import { errors, graceOf, json, RotateRequest } from "../schemas.js";

/** A Secret's name; the server's own sealed values (webhook keys) are not for a write token to replace. */
export const SecretName = z.object({ name: Name.refine((n) => !n.startsWith("webhook."), "webhook.* names hold the server's webhook keys") });

const Value = z.string().min(1, "the value is empty").max(1_048_576).describe("The value itself (a token, a password hash, a PEM key). Never answered back.");

export function secretRoutes(app: App, s: Server): void {
  app.openapi(
    op("write", {
      method: "put",
      path: "/v1/secrets/{name}/value",
      tags: ["resources"],
      summary: "Store a secret's value in the server's store, encrypted (then a Secret with `from: store` uses it)",
      description: "What `hecate create secret NAME --value-from ...` sends before the Secret itself. The value is never answered back, logged or audited; the audit log records that it was set, by whom.",
      request: { params: SecretName, body: { required: true, content: { "application/json": { schema: z.strictObject({ value: Value }).meta({ id: "SecretValue" }) } } } },
      responses: { 200: json(z.object({ name: z.string(), stored: z.literal(true) }).meta({ id: "SecretStored" }), "stored (the value is not in the answer)"), ...errors(400, 401, 403) },
    }),
    async (c) => {
      const { name } = c.req.valid("param");
      const store = s.storeFor(c);
      await store.putSecret(name, c.req.valid("json").value);
      await store.audit({ actor: c.get("token").name, action: "secret.set", target: `Secret/${name}` });
      return c.json({ name, stored: true as const }, 200);
    },
  );
  app.openapi(
    op("write", {
      method: "post",
      path: "/v1/secrets/{name}/rotate",
      tags: ["resources"],
      summary: "Give a Secret a new value now (`hecate secret rotate`): a store Secret gets `value`, the old one accepted for `grace`; the authentik API token is replaced through authentik",
      description: "The systems take the new value with the next apply or reconcile (POST /v1/reconcile, as the CLI does next).",
      request: {
        params: z.object({ name: Name }),
        body: {
          required: true,
          content: {
            "application/json": {
              schema: z
                .strictObject({ value: Value.optional().describe("The new value (a store Secret; not for the authentik token). Never answered back."), grace: RotateRequest.shape.grace })
                .meta({ id: "SecretRotation" }),
            },
          },
        },
      },
      responses: {
        200: json(
          z.union([z.object({ name: z.string(), rotatedAt: z.string(), graceUntil: z.string().optional() }), z.object({ identifier: z.string(), revoked: z.string().optional() })]).meta({ id: "SecretRotated" }),
          "rotated: when, and until when the old value is accepted; or the new authentik token's identifier",
        ),
        ...errors(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { name } = c.req.valid("param");
      const b = c.req.valid("json");
      const engine = s.engine(c);
      const { rotationOf } = await import("../../secrets/authentik-token.js");
      if (rotationOf((await s.store.head())?.resources ?? [], name) === "authentik-token") return c.json(await engine.rotateAuthentikToken(name), 200);
      if (b.value === undefined) {
        const message = `Secret/${name} is kept in the store: send its new value`;
        throw new HecateError("invalid", message, { diagnostics: [{ severity: "error", code: "schema", field: "value", message: `value: ${message}` }] });
      }
      return c.json(await engine.rotateSecret(name, b.value, { graceMs: graceOf(b) }), 200);
    },
  );
  const Schedule = z
    .object({
      name: z.string(),
      from: z.string(),
      rotateEvery: z.string().optional(),
      lastRotated: z.string().optional(),
      nextRotation: z.string().optional(),
      due: z.enum(["none", "unscheduled", "ok", "soon", "overdue"]),
      graceUntil: z.string().optional().describe("The old value is accepted until then."),
      graceEnded: z.string().optional(),
    })
    .meta({ id: "SecretSchedule" });
  app.openapi(
    op("read", {
      method: "get",
      path: "/v1/secret-rotations",
      tags: ["resources"],
      summary: "Each Secret's last and next rotation and open grace window (`hecate list secrets --show-expiry`); never a value",
      responses: { 200: json(z.object({ items: z.array(Schedule) }), "schedules"), ...errors(401, 403) },
    }),
    async (c) => c.json({ items: await s.engine(c).secretSchedules() }, 200),
  );
  app.openapi(
    op("read", {
      method: "get",
      path: "/v1/secret-validation",
      tags: ["resources"],
      summary: "Every Secret and secret reference of the head resolved now on the server, where applies resolve them (`hecate secret validate`); never a value",
      request: { query: z.object({ expiry: z.enum(["true", "false"]).optional().describe("Also overdue or due rotations and open grace windows.") }) },
      responses: {
        200: json(z.object({ checked: z.number().int(), findings: z.array(z.object({ severity: z.enum(["error", "warning", "info"]), subject: z.string(), message: z.string() })), schedules: z.array(Schedule).optional() }).meta({ id: "SecretCheck" }), "findings (an error one: a reference that does not resolve)"),
        ...errors(400, 401, 403),
      },
    }),
    async (c) => c.json(await s.engine(c).checkSecrets({ expiry: c.req.valid("query").expiry === "true" }), 200),
  );
}
