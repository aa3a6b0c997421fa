// Reading the live systems on the server's side, as `hecate health`, `hecate metrics`, `hecate
// debug system` and `hecate debug auth` do locally: each system read now against what was applied,
// and a protected route's forward-auth chain walked link by link. Secret-looking values are redacted.
import { z } from "zod";
import { redact } from "../../engine/index.js";
import { op, sent, type App, type Server } from "../app.js";
import { systemsOf } from "../actions.js";
import { errors, json } from "../schemas.js";

const HealthReport = z
  .object({
    head: z.number().int().optional(),
    applied: z.number().int().optional(),
    alone: z.array(z.object({ system: z.string(), applied: z.number().int() })).optional().describe("Systems given another revision alone since (`apply --system`), with its number."),
    systems: z.array(
      z.object({
        system: z.string(),
        state: z.enum(["ok", "drifted", "pending", "down"]),
        changes: z.array(z.unknown()).describe("What would make it match (a drift plan's changes)."),
        error: z.string().optional(),
        ms: z.number().describe("How long the read took."),
        facts: z.array(z.string()).describe("What the system holds of Hecate's, in a few lines."),
        nodes: z.array(z.unknown()).optional().describe("A fleet, node by node."),
        revision: z.string().optional().describe("The revision this system is compared with, when it was applied to it alone."),
      }),
    ),
    healthy: z.boolean().describe("Every system could be read."),
  })
  .meta({ id: "HealthReport" });

const AuthLink = z.object({ link: z.string(), ok: z.boolean(), detail: z.string(), fix: z.string().optional() });
const AuthReport = z.object({ route: z.string(), host: z.string(), links: z.array(AuthLink), broken: AuthLink.optional().describe("The first broken link.") }).meta({ id: "AuthReport" });

export function inspectRoutes(app: App, s: Server): void {
  app.openapi(
    op("read", {
      method: "get",
      path: "/v1/health",
      tags: ["operations"],
      summary: "Each system read now: reachable or down, how long the read took, what it holds, drifted or not (`hecate health`, `hecate metrics`, `hecate debug system`)",
      request: { query: z.object({ systems: z.string().optional().describe("Comma-separated: only these systems.") }) },
      responses: { 200: json(HealthReport, "the report (a system that cannot be read is down, not an error)"), ...errors(400, 401, 403) },
    }),
    async (c) => {
      const systems = systemsOf(c.req.valid("query").systems?.split(",").map((x) => x.trim()).filter(Boolean));
      return sent(c.json(redact(await s.engine(c).health(systems ? { systems } : {})), 200));
    },
  );
  app.openapi(
    op("read", {
      method: "get",
      path: "/v1/debug/auth/{route}",
      tags: ["operations"],
      summary: "Walk a protected route's forward-auth chain as it is live and name the first broken link with its fix (`hecate debug auth`)",
      request: { params: z.object({ route: z.string().min(1).describe("The route, by name or one of its hosts.") }), query: z.object({ user: z.string().min(1).optional().describe("Also check the bindings let this user in."), host: z.string().min(1).optional().describe("Which of the route's hosts (default its first).") }) },
      responses: { 200: json(AuthReport, "every link, and the first broken one"), ...errors(400, 401, 403, 404) },
    }),
    async (c) => {
      const q = c.req.valid("query");
      return c.json(await s.engine(c).debugAuth(c.req.valid("param").route, { ...(q.user ? { user: q.user } : {}), ...(q.host ? { host: q.host } : {}) }), 200);
    },
  );
}
