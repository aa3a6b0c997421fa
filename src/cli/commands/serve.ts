// `hecate serve`: the HTTP API over this store (docs/server.md). Definition only: the server
// and its dependencies (Hono, prom-client, pino) load when the command runs.
import type { CommandDef } from "../core/define.js";
import { LEADER_TTL, leaderTtl, parseDurationMs, TIMEOUT } from "./shared-flags.js";

export const serve: CommandDef = {
  name: "serve",
  local: "runs the server itself on this machine",
  summary: "run the HTTP API (OpenAPI at /openapi.json) over this store until stopped (Ctrl-C, SIGTERM)",
  flags: [
    { flags: "--listen <address>", description: "HOST:PORT or unix:/path (default 127.0.0.1:7380, loopback only)" },
    { flags: "--log-level <level>", description: "JSON log level on stdout", choices: ["debug", "info", "warn", "error"], default: "info" },
    { flags: "--reconcile <interval>", description: "also put drift back every INTERVAL (e.g. 1m) while this server leads (one leader among every server on the store)" },
    LEADER_TTL,
    TIMEOUT,
  ],
  examples: ["hecate serve", "hecate serve --listen unix:/run/hecate/api.sock --reconcile 1m", "hecate token create --scope read --name grafana && hecate serve --listen 127.0.0.1:7380"],
  async run(ctx, _args, opts) {
    const { startServer, parseListen, jsonLogger, DEFAULT_LISTEN } = await import("../../server/serve.js");
    const listen = parseListen(String(opts.listen ?? ctx.io.env.HECATE_LISTEN ?? DEFAULT_LISTEN));
    // Flags are checked before the store is opened: a typo creates nothing.
    const reconcile = opts.reconcile !== undefined ? { reconcile: { intervalMs: parseDurationMs(String(opts.reconcile), "--reconcile"), leaseMs: leaderTtl(opts) } } : {};
    const logger = jsonLogger((line) => ctx.io.stdout.write(line), String(opts.logLevel));
    const running = await startServer({
      store: await ctx.store(),
      listen,
      logger,
      ...(opts.timeout !== undefined ? { stepTimeoutMs: parseDurationMs(String(opts.timeout), "--timeout") } : {}),
      ...reconcile,
    });
    ctx.io.stderr.write(`hecate: serving the API on ${running.url} (Ctrl-C stops)\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        resolve();
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    await running.close();
    return 0;
  },
};
