// Store locks as `hecate unlock` sees them: who holds one (read), and breaking it after its
// holder crashed on another host (admin; audited as lock.break, as the CLI's --force is).
import { z } from "zod";
import { HecateError } from "../../diag.js";
import { breakLock } from "../../engine/lock.js";
import { op, type App, type Server } from "../app.js";
import { errors, json, Lock } from "../schemas.js";

const free = (name: string) => new HecateError("not-found", `the ${name} lock is free`, { status: 404 });
const LockName = z.object({ name: z.string().min(1).describe('The lock, e.g. "apply" (held by every apply) or "reconcile.leader".') });

export function lockRoutes(app: App, s: Server): void {
  app.openapi(
    op("read", {
      method: "get",
      path: "/v1/locks/{name}",
      tags: ["operations"],
      summary: "Who holds a lock, since when, until when its lease runs out (404: it is free)",
      request: { params: LockName },
      responses: { 200: json(Lock, "the holder"), ...errors(401, 403, 404) },
    }),
    async (c) => {
      const { name } = c.req.valid("param");
      const lock = await s.store.getLock(name);
      if (!lock) throw free(name);
      return c.json(lock, 200);
    },
  );
  app.openapi(
    op("admin", {
      method: "delete",
      path: "/v1/locks/{name}",
      tags: ["operations"],
      summary: "Remove a lock whoever holds it (`hecate unlock --force`): only when its holder is gone; the next apply undoes what it left half done",
      request: { params: LockName },
      responses: { 200: json(Lock, "the lock as it was held"), ...errors(401, 403, 404) },
    }),
    async (c) => {
      const { name } = c.req.valid("param");
      const removed = await breakLock(s.storeFor(c), name, c.get("token").name);
      if (!removed) throw free(name);
      return c.json(removed, 200);
    },
  );
}
