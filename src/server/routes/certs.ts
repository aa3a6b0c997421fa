// Certificates as `hecate list certs` shows them, and renewal by hand (`hecate cert renew NAME`): a dns-01 certificate Hecate
// holds obtained again now through its own DNS provider; loading it into Caddy is an apply
// (POST /v1/apply with systems ["caddy"]), as the CLI does next. The private key stays in the store.
import { z } from "zod";
import { Name } from "../../model/schema.js";
import { op, type App, type Server } from "../app.js";
import { errors, json } from "../schemas.js";

const Renewed = z
  .object({
    certificate: z.object({ name: z.string(), hosts: z.array(z.string()), source: z.string(), notBefore: z.string(), notAfter: z.string(), fingerprint: z.string(), obtainedAt: z.string() }).describe("The new certificate (never its key)."),
    previous: z.object({ notAfter: z.string(), fingerprint: z.string() }).optional(),
    log: z.array(z.string()).describe("What the ACME exchange did, step by step (the CLI prints it)."),
  })
  .meta({ id: "RenewedCertificate" });

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
      summary: "Obtain a dns-01 certificate again now (ACME through Hecate's DNS provider); a failure keeps the current one serving",
      request: { params: z.object({ name: Name }) },
      responses: { 200: json(Renewed, "renewed; apply to Caddy to serve it"), ...errors(400, 401, 403, 404) },
    }),
    async (c) => {
      const log: string[] = [];
      const r = await s.engine(c).renewCertificate(c.req.valid("param").name, { log: (m) => log.push(m) });
      const { chain: _chain, lastError: _lastError, ...certificate } = r.certificate;
      return c.json({ certificate, ...(r.previous ? { previous: r.previous } : {}), log }, 200);
    },
  );
}
