// /healthz (the process answers), /readyz (the store answers and the server is not draining), /metrics.
import { z } from "zod";
import { op, type App, type Server } from "../app.js";

const Status = z.object({ status: z.string(), detail: z.string().optional() }).meta({ id: "Status" });

export function healthRoutes(app: App, s: Server): void {
  app.openapi(
    op("public", { method: "get", path: "/healthz", summary: "The server process answers", responses: { 200: { description: "alive", content: { "application/json": { schema: Status } } } } }),
    (c) => c.json({ status: "ok" }, 200),
  );
  app.openapi(
    op("read", {
      method: "get",
      path: "/readyz",
      summary: "The server can serve: its store answers and it is not shutting down",
      responses: {
        200: { description: "ready", content: { "application/json": { schema: Status } } },
        503: { description: "not ready", content: { "application/json": { schema: Status } } },
      },
    }),
    async (c) => {
      if (s.draining) return c.json({ status: "draining" }, 503);
      try {
        await s.store.head();
        return c.json({ status: "ready" }, 200);
      } catch (e) {
        return c.json({ status: "store-unavailable", detail: (e as Error).message.split("\n")[0] }, 503);
      }
    },
  );
  app.openapi(
    op("read", {
      method: "get",
      path: "/metrics",
      summary: "Prometheus metrics (text exposition format)",
      responses: { 200: { description: "metrics", content: { "text/plain": { schema: z.string() } } } },
    }),
    async (c) => c.text(await s.metrics.registry.metrics(), 200, { "Content-Type": s.metrics.registry.contentType }),
  );
}
