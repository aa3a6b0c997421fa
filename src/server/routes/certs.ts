// Certificates as `hecate list certs` shows them, and renewal by hand (`hecate cert renew NAME`): a dns-01 certificate Hecate
// holds obtained again when due or forced through its own DNS provider; loading it into Caddy is an apply
// (POST /v1/apply with systems ["caddy"]), as the CLI does next. The private key stays in the store.
import { z } from "zod";
import { REVOKE_REASONS, type RevokeReason } from "../../certs/words.js";
import { op, sent, type App, type Server } from "../app.js";
import { errors, json } from "../schemas.js";

const Renewed = z
  .union([
    z.object({
      renewed: z.literal(true),
      name: z.string(),
      certificate: z.object({ name: z.string(), hosts: z.array(z.string()), notAfter: z.string() }).catchall(z.unknown()).describe("The new certificate (never its key; its chain left out)."),
      previous: z.object({ notAfter: z.string(), fingerprint: z.string() }).optional(),
      log: z.array(z.string()).describe("What the ACME exchange did, step by step (the CLI prints it)."),
    }),
    z.object({ renewed: z.literal(false), name: z.string(), notAfter: z.string(), renewalDue: z.string().describe("When it will be due: two thirds of its lifetime.") }),
  ])
  .meta({ id: "CertificateRenewal" });

const CertRow = z
  .object({
    name: z.string(),
    hosts: z.string().describe("Comma-separated."),
    issuer: z.string(),
    notAfter: z.string().describe('"-" when not known (Caddy\'s own, or not obtained yet).'),
    daysLeft: z.number().int().nullable(),
    source: z.string(),
    lastError: z.string().optional().describe("Why the last renewal failed (the certificate before keeps serving)."),
  })
  .meta({ id: "CertificateStatus" });

export function certRoutes(app: App, s: Server): void {
  app.openapi(
    op("read", {
      method: "get",
      path: "/v1/certificates",
      tags: ["resources"],
      summary: "Each Certificate of the head with what is held: not-after, days left, where it comes from (`hecate list certs`)",
      responses: { 200: json(z.object({ items: z.array(CertRow) }), "certificates"), ...errors(401, 403) },
    }),
    async (c) => c.json({ items: await s.engine(c).certificates() }, 200),
  );
  app.openapi(
    op("write", {
      method: "post",
      path: "/v1/certs/{name}/renew",
      tags: ["resources"],
      summary: "Obtain a dns-01 certificate again (ACME through Hecate's DNS provider) when it is due, missing or revoked, or now with force=true; a failure keeps the current one serving",
      description: "name: the Certificate's name or one of its hosts. Loading it into Caddy is an apply (POST /v1/apply with systems [\"caddy\"]), as the CLI does next.",
      request: { params: z.object({ name: z.string().min(1) }), query: z.object({ force: z.enum(["true", "false"]).optional().describe("Renew even when it is not due.") }) },
      responses: { 200: json(Renewed, "renewed, or not due (and when it will be)"), ...errors(400, 401, 403, 404) },
    }),
    async (c) => {
      const log: string[] = [];
      const r = await s.engine(c).renewCertificate(c.req.valid("param").name, { force: c.req.valid("query").force === "true", log: (m) => log.push(m) });
      if (!r.renewed) return sent(c.json(r, 200));
      const { chain: _chain, ...certificate } = r.certificate;
      return sent(c.json({ renewed: true, name: r.name, certificate, ...(r.previous ? { previous: r.previous } : {}), log }, 200));
    },
  );
  app.openapi(
    op("write", {
      method: "post",
      path: "/v1/certs/{name}/revoke",
      tags: ["resources"],
      summary: "Revoke a dns-01 certificate Hecate holds at the ACME CA that issued it, and mark it revoked (`hecate cert revoke`); POST …/renew then obtains a new one",
      request: { params: z.object({ name: z.string().min(1) }), body: { required: true, content: { "application/json": { schema: z.strictObject({ reason: z.enum(Object.keys(REVOKE_REASONS) as [RevokeReason, ...RevokeReason[]]).describe("Why, as RFC 5280 names it.") }).meta({ id: "RevokeRequest" }) } } } },
      responses: {
        200: json(z.object({ name: z.string(), hosts: z.array(z.string()), source: z.string(), fingerprint: z.string(), notAfter: z.string(), revoked: z.object({ at: z.string(), reason: z.string() }).optional() }).meta({ id: "RevokedCertificate" }), "revoked"),
        ...errors(400, 401, 403, 404, 409),
      },
    }),
    async (c) => c.json(await s.engine(c).revokeCertificate(c.req.valid("param").name, c.req.valid("json").reason), 200),
  );
  app.openapi(
    op("read", {
      method: "post",
      path: "/v1/certs/{name}/validate",
      tags: ["resources"],
      summary: "Check a certificate Hecate holds or imported: the key is the leaf's, dates, hosts covered; optionally each link to a root and expiry (`hecate cert validate`)",
      request: {
        params: z.object({ name: z.string().min(1) }),
        body: {
          required: true,
          content: {
            "application/json": {
              schema: z
                .strictObject({
                  checkChain: z.boolean().optional(),
                  caBundle: z.strictObject({ pem: z.string().min(1).max(1_048_576), from: z.string().min(1).describe("What findings call it (the CLI sends its file name).") }).optional().describe("PEM roots the chain must end at (implies checkChain)."),
                  checkExpiry: z.boolean().optional(),
                })
                .meta({ id: "ValidateCertificateRequest" }),
            },
          },
        },
      },
      responses: { 200: json(z.object({ name: z.string(), findings: z.array(z.object({ check: z.string(), severity: z.enum(["ok", "warning", "error"]), message: z.string() })) }).meta({ id: "CertificateFindings" }), "every finding (an error one: broken)"), ...errors(400, 401, 403, 404) },
    }),
    async (c) => {
      const b = c.req.valid("json");
      return c.json(await s.engine(c).validateCertificate(c.req.valid("param").name, { ...(b.checkChain ? { checkChain: true } : {}), ...(b.caBundle ? { caBundle: b.caBundle } : {}), ...(b.checkExpiry ? { checkExpiry: true } : {}) }), 200);
    },
  );
}
