// A delivery action as data (canary start/step/promote/abort, switch, disable/enable, block/unblock,
// bypass-auth and its end): what the CLI's flags and the API's body both become, checked by one
// zod schema (the model's own fields where it has them), and turned here into the edit and audit
// entry `deliver` carries out. Times (a block's end, a bypass's end) are instants, fixed by the
// caller when it was asked, so the CLI and the server carry out the same thing.
import { z } from "zod";
import { Address, Canary, Duration, Name } from "../../model/schema.js";
import type { Resource } from "../../model/schema.js";
import { UsageError } from "../../diag.js";
import * as e from "./edits.js";
import type { DeliveryMeta } from "./index.js";

const DAY = 24 * 3_600_000;
const Percent = z.number().min(0).max(100);
const Route = z.string().min(1).describe("The route, by name or one of its hosts.");
const Reason = z.string().min(1).optional().describe("Why (history, audit).");
const OptIn = z.strictObject({ name: z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "a header or cookie name"), value: z.string().min(1) });
const Instant = z.iso.datetime().describe("An ISO 8601 instant (UTC).");

export const DeliveryAction = z
  .discriminatedUnion("action", [
    z.strictObject({
      action: z.literal("canary.start"),
      route: Route,
      pool: Canary.shape.pool,
      weight: Percent.describe("Its share of requests to begin with."),
      step: Canary.shape.step,
      every: Canary.shape.every,
      maxErrorRate: Canary.shape.maxErrorRate,
      minRequests: Canary.shape.minRequests,
      header: OptIn.optional().describe("Requests with this header always reach the pool."),
      cookie: OptIn.optional().describe("Requests with this cookie always reach the pool."),
      sticky: z.boolean().optional(),
      upstream: Address.optional().describe("Make the pool this one upstream first."),
    }),
    z.strictObject({ action: z.literal("canary.step"), route: Route, weight: Percent.max(99.999).describe("The canary's new share (below 100: still a canary).") }),
    z.strictObject({ action: z.literal("canary.promote"), route: Route }),
    z.strictObject({ action: z.literal("canary.abort"), route: Route, reason: Reason }),
    z.strictObject({ action: z.literal("switch"), route: Route, pool: Name.describe("The pool under spec.pools that takes over.") }),
    z.strictObject({
      action: z.literal("route.disable"),
      route: Route,
      retryAfter: Duration.describe("The Retry-After clients are told."),
      page: z.string().min(1).max(1_048_576).optional().describe("The HTML page served (stored in the revision)."),
      pageName: z.string().optional().describe("What the audit log calls the page (the CLI sends its file name)."),
      reason: Reason,
    }),
    z.strictObject({ action: z.literal("route.enable"), route: Route }),
    z.strictObject({ action: z.literal("block"), address: z.string().min(1).describe("A client IP or CIDR."), route: Route.optional().describe("Only on this route."), until: Instant.optional().describe("Lifted by the reconcile loop then."), reason: Reason }),
    z.strictObject({ action: z.literal("unblock"), address: z.string().min(1), route: Route.optional() }),
    z.strictObject({ action: z.literal("bypass-auth"), route: Route, until: Instant.describe("Sign-in returns by itself then (at most 24 h ahead)."), reason: z.string().trim().min(1).describe("Why (required: history, audit, plans).") }),
    z.strictObject({ action: z.literal("bypass-auth.end"), route: Route }),
  ])
  .meta({ id: "DeliveryAction" });
export type DeliveryAction = z.infer<typeof DeliveryAction>;

/** The edit an action makes to a state, and what the audit log records of it. */
export function deliveryOf(a: DeliveryAction, now = new Date()): { edit: (rs: Resource[]) => e.Edited; meta: Omit<DeliveryMeta, "apply"> } {
  switch (a.action) {
    case "canary.start":
      return {
        edit: (rs) => {
          const out = e.startCanary(rs, a.route, {
            pool: a.pool,
            weight: a.weight,
            now,
            ...(a.step !== undefined ? { step: a.step } : {}),
            ...(a.every !== undefined ? { every: a.every } : {}),
            ...(a.maxErrorRate !== undefined ? { maxErrorRate: a.maxErrorRate } : {}),
            ...(a.header ? { header: a.header } : {}),
            ...(a.cookie ? { cookie: a.cookie } : {}),
            ...(a.sticky ? { sticky: true } : {}),
            ...(a.upstream !== undefined ? { upstream: a.upstream } : {}),
          });
          if (a.minRequests !== undefined) e.findCanaryRoute(out.after, a.route).spec.canary!.minRequests = a.minRequests;
          return out;
        },
        meta: { action: a.action, target: a.route, detail: { pool: a.pool, weight: a.weight, step: a.step, every: a.every, maxErrorRate: a.maxErrorRate } },
      };
    case "canary.step":
      return { edit: (rs) => e.setCanaryWeight(rs, a.route, a.weight, now), meta: { action: a.action, target: a.route, detail: { weight: a.weight } } };
    case "canary.promote":
      return { edit: (rs) => e.promoteCanary(rs, a.route), meta: { action: a.action, target: a.route } };
    case "canary.abort":
      return { edit: (rs) => e.abortCanary(rs, a.route, a.reason ? ` (${a.reason})` : ""), meta: { action: a.action, target: a.route, detail: { reason: a.reason } } };
    case "switch":
      return { edit: (rs) => e.switchPool(rs, a.route, a.pool), meta: { action: a.action, target: a.route, detail: { pool: a.pool } } };
    case "route.disable":
      return {
        edit: (rs) => e.disableRoute(rs, a.route, { retryAfter: a.retryAfter, ...(a.page !== undefined ? { page: a.page } : {}), ...(a.reason ? { reason: a.reason } : {}) }),
        meta: { action: a.action, target: a.route, detail: { reason: a.reason, page: a.pageName } },
      };
    case "route.enable":
      return { edit: (rs) => e.enableRoute(rs, a.route), meta: { action: a.action, target: a.route } };
    case "block": {
      const until = a.until !== undefined ? new Date(a.until) : undefined;
      return {
        edit: (rs) => e.block(rs, a.address, { ...(a.route ? { route: a.route } : {}), ...(until ? { until } : {}), ...(a.reason ? { reason: a.reason } : {}) }),
        meta: { action: a.action, target: a.address, detail: { route: a.route ?? null, until: until?.toISOString() ?? null, reason: a.reason } },
      };
    }
    case "unblock":
      return { edit: (rs) => e.unblock(rs, a.address, a.route ? { route: a.route } : {}), meta: { action: a.action, target: a.address, detail: { route: a.route ?? null } } };
    case "bypass-auth": {
      const until = new Date(a.until);
      // A longer one is a public route; the CLI's --for says so before asking.
      if (until.getTime() - now.getTime() > DAY) throw new UsageError("a sign-in bypass ends at most 24h from now: a longer one is a public route (public: true)");
      return { edit: (rs) => e.bypassAuth(rs, a.route, { until, reason: a.reason }), meta: { action: a.action, target: a.route, detail: { until: until.toISOString(), reason: a.reason } } };
    }
    case "bypass-auth.end":
      return { edit: (rs) => e.endBypass(rs, a.route, " (ended by hand)"), meta: { action: a.action, target: a.route } };
  }
}
