// `hecate serve`: the HTTP API over this store (docs/server.md). Definition only: the server
// and its dependencies (Hono, prom-client, pino) load when the command runs.
import type { Logger } from "pino";
import type { Context } from "../core/context.js";
import type { CommandDef } from "../core/define.js";
import { LEADER_TTL, leaderTtl, parseDurationMs, TIMEOUT } from "./shared-flags.js";

export const serve: CommandDef = {
  name: "serve",
  summary: "run the HTTP API (OpenAPI at /openapi.json) over this store until stopped (Ctrl-C, SIGTERM)",
  flags: [
    { flags: "--listen <address>", description: "HOST:PORT or unix:/path (default 127.0.0.1:7380, loopback only)" },
    { flags: "--log-level <level>", description: "JSON log level on stdout", choices: ["debug", "info", "warn", "error"], default: "info" },
    TIMEOUT,
    { flags: "--reconcile <interval>", description: "also reconcile every INTERVAL, while this server leads (one leader among every server on the store)" },
    LEADER_TTL,
  ],
  examples: ["hecate serve", "hecate serve --listen unix:/run/hecate/api.sock", "hecate token create --scope read --name grafana && hecate serve --listen 127.0.0.1:7380"],
  async run(ctx, _args, opts) {
    const { startServer, parseListen, jsonLogger, DEFAULT_LISTEN } = await import("../../server/serve.js");
    const listen = parseListen(String(opts.listen ?? ctx.io.env.HECATE_LISTEN ?? DEFAULT_LISTEN));
    const logger = jsonLogger((line) => ctx.io.stdout.write(line), String(opts.logLevel));
    const running = await startServer({
      store: await ctx.store(),
      listen,
      logger,
      ...(opts.timeout !== undefined ? { stepTimeoutMs: parseDurationMs(String(opts.timeout), "--timeout") } : {}),
    });
    ctx.io.stderr.write(`hecate: serving the API on ${running.url} (Ctrl-C stops)\n`);
    const stopped = new AbortController();
    const reconciling = opts.reconcile === undefined ? undefined : await startReconcile(ctx, String(opts.reconcile), leaderTtl(opts), stopped.signal, logger);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        resolve();
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    stopped.abort();
    await reconciling?.done;
    await running.close();
    return 0;
  },
};

/**
 * The reconcile loop in the background, run only while this server holds the reconcile leader
 * lock; unattended, so it never deletes (like `reconcile --watch` without --yes).
 */
async function startReconcile(ctx: Context, interval: string, ttlMs: number, signal: AbortSignal, logger: Logger): Promise<{ done: Promise<void> }> {
  const intervalMs = parseDurationMs(interval, "--reconcile");
  const { whileLeader } = await import("../../engine/leader.js");
  const store = await ctx.store();
  const engine = await ctx.engine();
  // Wrapped: an async function returning the loop's promise would wait for the loop to end.
  const done = whileLeader(
    store,
    { actor: ctx.author, signal, ttlMs, onChange: (e) => (e.leading ? logger.info({ token: e.token }, "reconcile leader") : logger.info({ reason: e.reason }, "reconcile follower")) },
    (lead) => engine.reconcileLoop({ intervalMs, signal: lead, apply: { maxDeletes: 0 }, onRound: (r) => logger.info({ status: r.status, ...(r.error ? { error: r.error } : {}) }, "reconcile round") }),
  ).catch((e: unknown) => logger.error({ error: (e as Error).message }, "reconcile stopped"));
  return { done };
}
