// The HTTP API as a Hono app over the same engine and store the CLI uses: request ids, logs and
// metrics around every request, bearer tokens with scopes (failed attempts limited per address),
// the resource, operation and admin routes, /healthz, /readyz, /metrics and /openapi.json.
import { randomUUID } from "node:crypto";
import { OpenAPIHono, createRoute, type RouteConfig } from "@hono/zod-openapi";
import { routePath } from "hono/route";
import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import { HecateError } from "../diag.js";
import { createEngine, EngineMemory, type Engine, type ProviderFactory } from "../engine/index.js";
import type { ApplyEnding, ApplyRecord, AuditEntry, Fence, Store, TokenRecord, TokenScope } from "../store/store.js";
import { errorAnswer, zodError } from "./errors.js";
import { errors } from "./schemas.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { FailureLimiter } from "./ratelimit.js";
import { authenticate, scopeAllows, type AuthFailure } from "./tokens.js";
import { resourceRoutes } from "./routes/resources.js";
import { operationRoutes } from "./routes/operations.js";
import { adminRoutes } from "./routes/admin.js";
import { healthRoutes } from "./routes/health.js";
import { createActions, type Actions } from "./actions.js";
import { dashboardRoutes } from "./dashboard/index.js";
import { webhookRoutes } from "./routes/webhooks.js";
import { backupRoutes } from "./routes/backup.js";
import { lockRoutes } from "./routes/locks.js";
import { secretRoutes } from "./routes/secrets.js";
import { reconcileRoutes } from "./routes/reconcile.js";
import { deliveryRoutes } from "./routes/delivery.js";
import { certRoutes } from "./routes/certs.js";
import { inspectRoutes } from "./routes/inspect.js";
import { dnsRoutes } from "./routes/dns.js";
import { Webhooks, type RetryPolicy } from "./webhooks.js";
import { UI } from "./dashboard/session.js";
import { errorPage } from "./dashboard/layout.js";

export type Env = { Variables: { token: TokenRecord; requestId: string; address: string } };
export type App = OpenAPIHono<Env>;

export interface ServerOptions {
  store: Store;
  logger: Logger;
  /** Failed sign-ins per address before it is refused for the rest of the window (default 10 per minute). */
  authLimit?: { max: number; windowMs: number };
  /** Test seam and --timeout: how the engine builds providers, and its step timeout. */
  providers?: ProviderFactory;
  stepTimeoutMs?: number;
  /** Where the client address comes from (the node adapter's socket; tests in-process pass a fixed one). */
  addressOf?: (c: import("hono").Context) => string;
  /** Webhook retries (tests shorten the waits). */
  webhookRetry?: Partial<RetryPolicy>;
}

/** What route handlers share: the store, an engine per request (acting as the token), metrics. */
export interface Server {
  store: Store;
  metrics: Metrics;
  logger: Logger;
  /** An engine acting as the request's token, auditing with its address. */
  engine(c: import("hono").Context<Env>): Engine;
  /** An engine acting as the server itself (the reconcile loop). */
  systemEngine(actor: string): Engine;
  /** The store as the request writes it: audit entries carry the client address. */
  storeFor(c: import("hono").Context<Env>): Store;
  /** Set once shutdown starts: /readyz says so. */
  draining: boolean;
  /** The engine calls both surfaces (API, dashboard) make. */
  actions: Actions;
  /** Tell webhooks about an event (route.created, apply.succeeded, drift.detected, ...). */
  emit(type: string, data: Record<string, unknown>): void;
  webhooks: Webhooks;
}

/**
 * A response whose body is an engine value (plans, results, resources): their TypeScript types are
 * wider than Hono's JSON types (optional fields, unknown), so the typed-response check is waived
 * here; /openapi.json still describes them and the tests check answers against it.
 */
export const sent = (r: Response): never => r as never;

/** A route of the API with the scope it needs (none: public). */
export function op<R extends RouteConfig>(scope: TokenScope | "public", r: R): R {
  const note = scope === "public" ? "No token needed." : `Needs a ${scope} token.`;
  return createRoute({
    ...r,
    description: [r.description, note].filter(Boolean).join(" "),
    security: scope === "public" ? [] : [{ bearer: [] }],
    middleware: scope === "public" ? [] : [needs(scope)],
    // Every route behind a token can answer these.
    responses: { ...r.responses, ...(scope === "public" ? {} : errors(401, 403, 429)) },
  }) as R;
}

function needs(scope: TokenScope): MiddlewareHandler<Env> {
  return async (c, next) => {
    const t = c.get("token");
    if (!scopeAllows(t.scope, scope)) {
      throw new HecateError("forbidden", `this needs a ${scope} token; the token "${t.name}" has scope ${t.scope}`, { status: 403 });
    }
    await next();
  };
}

const FAILURE_TEXT: Record<AuthFailure, string> = {
  missing: "this endpoint needs a token: send `Authorization: Bearer TOKEN` (make one with `hecate token create --scope read`)",
  malformed: "the token is not valid",
  unknown: "the token is not valid",
  revoked: "the token was revoked",
  expired: "the token has expired",
  rotated: "the token was rotated and its grace window has ended: use the new token",
};

/** Paths answered without a bearer token (the dashboard signs in with its own cookie). */
const PUBLIC = new Set(["/healthz", "/"]);
const isPublic = (path: string) => PUBLIC.has(path) || path === UI || path.startsWith(`${UI}/`);

export function createApp(opts: ServerOptions): { app: App; server: Server } {
  const { store, logger } = opts;
  const metrics = createMetrics(store);
  const limiter = new FailureLimiter(opts.authLimit ?? { max: 10, windowMs: 60_000 });
  const withAddress = (address: string): Store =>
    new Proxy(store, {
      get(target, prop) {
        if (prop === "audit") return (e: AuditEntry | readonly AuditEntry[]) => target.audit(([] as AuditEntry[]).concat(e).map((x) => ({ address, ...x })));
        // An apply's audit entry is written with its end.
        if (prop === "endApply") {
          return (id: string, status: ApplyRecord["status"], fence?: Fence, ending?: ApplyEnding) =>
            target.endApply(id, status, fence, ending?.audit ? { ...ending, audit: { address, ...ending.audit } } : ending);
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  // One memory for every engine of this server (an engine per request, acting as its token; the
  // reconcile loop's): a request finds what the last one built, e.g. a one-route apply after
  // another plans from what that one left on Caddy instead of reading it all again.
  const memory = new EngineMemory();
  const engineAs = (st: Store, actor: string) =>
    createEngine({ store: st, actor, memory, ...(opts.providers ? { providers: opts.providers } : {}), ...(opts.stepTimeoutMs ? { stepTimeoutMs: opts.stepTimeoutMs } : {}) });
  const server: Server = {
    actions: undefined as unknown as Actions,
    webhooks: new Webhooks(store, logger, opts.webhookRetry),
    emit: (type, data) => server.webhooks.emit(type, data),
    store,
    metrics,
    logger,
    draining: false,
    storeFor: (c) => withAddress(c.get("address")),
    engine: (c) => engineAs(withAddress(c.get("address")), c.get("token").name),
    systemEngine: (actor) => engineAs(store, actor),
  };
  server.actions = createActions(server);

  const app: App = new OpenAPIHono<Env>({
    // Bodies, queries and paths that fail their schema: 400 with every field and reason. Resource
    // bodies get the model's own messages in their routes (routes/resources.ts).
    defaultHook: (result, c) => {
      if (!result.success) return c.json({ error: zodError(result.error, result.target === "json" ? "request body" : `request ${result.target}`) }, 400);
      return undefined;
    },
  });
  const addressOf = opts.addressOf ?? nodeAddress;

  // Request id, log line and metrics for every request, errors included.
  app.use("*", async (c, next) => {
    const given = c.req.header("x-request-id");
    const requestId = given && /^[A-Za-z0-9._-]{1,100}$/.test(given) ? given : randomUUID();
    c.set("requestId", requestId);
    c.set("address", addressOf(c));
    const start = performance.now();
    await next();
    c.header("X-Request-Id", requestId);
    const seconds = (performance.now() - start) / 1000;
    const route = matched(c);
    metrics.requests.inc({ method: c.req.method, route, status: String(c.res.status) });
    metrics.requestSeconds.observe({ method: c.req.method, route }, seconds);
    // Never the headers or bodies: tokens and secrets stay out of the log.
    const token = c.get("token") as TokenRecord | undefined;
    logger.info({ requestId, method: c.req.method, path: c.req.path, route, status: c.res.status, ms: Math.round(seconds * 1000), address: c.get("address"), ...(token ? { actor: token.name } : {}) }, "request");
  });

  app.use("*", async (c, next) => {
    if (isPublic(c.req.path)) return next();
    const address = c.get("address");
    const wait = limiter.blockedFor(address);
    if (wait > 0) {
      c.header("Retry-After", String(Math.ceil(wait / 1000)));
      throw new HecateError("too-many-failures", `too many refused tokens from ${address}; try again in ${Math.ceil(wait / 1000)} s`, { status: 429 });
    }
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1];
    const r = await authenticate(store, bearer);
    if (!r.ok) {
      // Only a token that was presented and refused counts as a guess; no token at all does not.
      if (r.reason !== "missing") limiter.fail(address);
      metrics.authFailures.inc({ reason: r.reason });
      c.header("WWW-Authenticate", 'Bearer realm="hecate"');
      throw new HecateError("unauthorized", FAILURE_TEXT[r.reason], { status: 401 });
    }
    limiter.succeed(address);
    c.set("token", r.token);
    return next();
  });

  app.onError((err, c) => {
    const { status, body } = errorAnswer(err);
    if (status >= 500) logger.error({ requestId: c.get("requestId"), err: { message: (err as Error).message, stack: (err as Error).stack } }, "request failed");
    // A dashboard page answers a page, with the same message, never a stack trace.
    if (isPublic(c.req.path) && c.req.path !== "/healthz") return c.html(errorPage(body.error.message), status as 400);
    return c.json(body, status as 400);
  });
  app.notFound((c) => c.json({ error: { code: "not-found", message: `no such endpoint: ${c.req.method} ${c.req.path} (see /openapi.json)`, diagnostics: [] } }, 404));

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "A token from `hecate token create --scope read|write|admin`.",
  });
  healthRoutes(app, server);
  resourceRoutes(app, server);
  operationRoutes(app, server);
  adminRoutes(app, server);
  backupRoutes(app, server);
  lockRoutes(app, server);
  secretRoutes(app, server);
  reconcileRoutes(app, server);
  deliveryRoutes(app, server);
  certRoutes(app, server);
  inspectRoutes(app, server);
  dnsRoutes(app, server);
  webhookRoutes(app, server);
  dashboardRoutes(app, server, { limiter });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Hecate API", version: "1", description: "The Hecate control plane over HTTP: the same engine, store and errors as the CLI. See docs/server.md." },
    security: [{ bearer: [] }],
  });
  return { app, server };
}

/** The route pattern that answered (the path for unmatched requests would grow label sets without bound). */
function matched(c: import("hono").Context): string {
  try {
    const p = routePath(c, -1);
    return p === "*" || p === "/*" ? "unmatched" : p;
  } catch {
    return "unmatched";
  }
}

/** The peer of the socket (unix sockets have none). */
function nodeAddress(c: import("hono").Context): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? "unix";
}
