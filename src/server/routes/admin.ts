// Admin endpoints: API tokens (made, listed, rotated, revoked) and the audit log with its chain check.
import { z } from "zod";
import { op, type App, type Server } from "../app.js";
import { AuditEntry, AuditVerification, errors, graceOf, json, RotateRequest, Scope, Token } from "../schemas.js";
import { createToken, revokeToken, rotateToken, shownToken as shown } from "../tokens.js";

export function adminRoutes(app: App, s: Server): void {
  app.openapi(
    op("admin", { method: "get", path: "/v1/tokens", tags: ["admin"], summary: "Every token (revoked ones too); never a secret or its hash", responses: { 200: json(z.object({ items: z.array(Token) }), "tokens"), ...errors(401, 403) } }),
    async (c) => c.json({ items: (await s.store.listTokens()).map(shown) }, 200),
  );
  app.openapi(
    op("admin", {
      method: "post",
      path: "/v1/tokens",
      tags: ["admin"],
      summary: "Make a token; its secret is in this answer only",
      request: { body: { required: true, content: { "application/json": { schema: z.strictObject({ name: z.string().min(1), scope: Scope, expires: z.string().optional().describe('e.g. "30d", "12h", "90m" or "never" (default)') }).meta({ id: "TokenRequest" }) } } } },
      responses: { 201: json(z.object({ token: z.string(), record: Token }), "the token (shown once)"), ...errors(400, 401, 403, 409) },
    }),
    async (c) => {
      const b = c.req.valid("json");
      const { token, record } = await createToken(s.storeFor(c), { name: b.name, scope: b.scope, ...(b.expires ? { expires: b.expires } : {}), createdBy: c.get("token").name });
      return c.json({ token, record: shown(record) }, 201);
    },
  );
  app.openapi(
    op("admin", {
      method: "delete",
      path: "/v1/tokens/{name}",
      tags: ["admin"],
      summary: "Revoke a token by name or id (it is refused from then on)",
      request: { params: z.object({ name: z.string().min(1) }) },
      responses: { 200: json(Token, "the revoked token"), ...errors(401, 403, 404) },
    }),
    async (c) => c.json(shown(await revokeToken(s.storeFor(c), c.req.valid("param").name, c.get("token").name)), 200),
  );
  app.openapi(
    op("admin", {
      method: "post",
      path: "/v1/tokens/{name}/rotate",
      tags: ["admin"],
      summary: "Give a token a new secret (same name and scope), in this answer only; the old secret is accepted for the grace window, then refused",
      request: {
        params: z.object({ name: z.string().min(1) }),
        body: { required: false, content: { "application/json": { schema: RotateRequest } } },
      },
      responses: { 200: json(z.object({ token: z.string(), record: Token }), "the new token (shown once)"), ...errors(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const graceMs = graceOf(c.req.valid("json") as { grace?: string } | undefined);
      const { token, record } = await rotateToken(s.storeFor(c), c.req.valid("param").name, { graceMs, actor: c.get("token").name });
      return c.json({ token, record: shown(record) }, 200);
    },
  );
  app.openapi(
    op("admin", {
      method: "get",
      path: "/v1/audit",
      tags: ["admin"],
      summary: "The audit log, newest first: who did what, when, from where",
      request: { query: z.object({ limit: z.coerce.number().int().min(1).max(100_000).optional() }) },
      responses: { 200: json(z.object({ items: z.array(AuditEntry) }), "entries"), ...errors(400, 401, 403) },
    }),
    async (c) => c.json({ items: (await s.store.listAudit({ limit: c.req.valid("query").limit ?? 50 })) as z.infer<typeof AuditEntry>[] }, 200),
  );
  app.openapi(
    op("admin", {
      method: "get",
      path: "/v1/audit/verify",
      tags: ["admin"],
      summary: "Walk the audit log's hash chain: edited or deleted entries are problems",
      responses: { 200: json(AuditVerification, "the verdict (ok false: see problems)"), ...errors(401, 403) },
    }),
    async (c) => c.json(await s.store.verifyAudit(), 200),
  );
}
