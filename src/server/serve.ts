// `hecate serve`: the API app on a TCP address (loopback by default) or a unix socket, JSON logs
// with pino, and a clean stop: /readyz turns 503, the listener closes, requests in flight finish.
import { existsSync, lstatSync, unlinkSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { pino, type Logger } from "pino";
import { HecateError, UsageError } from "../diag.js";
import type { Store } from "../store/store.js";
import { createApp, type ServerOptions } from "./app.js";
import { idleCollector } from "./idle-gc.js";
import { startReconcile, type ReconcileOptions } from "./reconcile.js";

export const DEFAULT_LISTEN = "127.0.0.1:7380";

export type Listen = { type: "tcp"; host: string; port: number } | { type: "unix"; path: string };

/** "127.0.0.1:7380", "[::1]:7380", ":7380" (loopback), "unix:/run/hecate.sock". */
export function parseListen(text: string): Listen {
  if (text.startsWith("unix:")) {
    const path = text.slice(5);
    if (!path) throw new UsageError(`--listen unix: needs a socket path, e.g. unix:/run/hecate/api.sock`);
    return { type: "unix", path };
  }
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new UsageError(`--listen expects HOST:PORT or unix:/path, got "${text}"`);
  return { type: "tcp", host: m[1] ?? (m[2] || "127.0.0.1"), port };
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

export interface RunningServer {
  /** http://HOST:PORT or unix:/path. */
  url: string;
  close(): Promise<void>;
}

export function jsonLogger(write: (line: string) => void, level = "info"): Logger {
  return pino({ level, base: { service: "hecate" }, timestamp: pino.stdTimeFunctions.isoTime }, { write });
}

export async function startServer(opts: Omit<ServerOptions, "logger"> & { listen: Listen; store: Store; logger: Logger; reconcile?: ReconcileOptions }): Promise<RunningServer> {
  const { app, server: state } = createApp(opts);
  const http = createAdaptorServer({ fetch: app.fetch });
  // Idle keep-alive connections are closed by the client first (fetch/undici after 4 s, proxies
  // after 60 s), never by the server while a request may be on its way: Node's 5 s default closed
  // busy clients' connections under load, between their answer and their next request (the
  // writers bench saw resets). headersTimeout must stay above it.
  const h1 = http as import("node:http").Server;
  h1.keepAliveTimeout = 65_000;
  h1.headersTimeout = 66_000;
  const idle = idleCollector();
  h1.on("request", (_req, res: import("node:http").ServerResponse) => void res.once("close", idle.busy()));
  const l = opts.listen;
  if (l.type === "unix" && existsSync(l.path)) {
    // A socket left by a server that died; anything else at that path is not ours to remove.
    if (!lstatSync(l.path).isSocket()) throw new HecateError("listen", `cannot listen on unix:${l.path}: a file that is not a socket is there`);
    unlinkSync(l.path);
  }
  await new Promise<void>((resolve, reject) => {
    http.once("error", (e: NodeJS.ErrnoException) => reject(new HecateError("listen", `cannot listen on ${l.type === "unix" ? `unix:${l.path}` : `${l.host}:${l.port}`}: ${e.code ?? e.message}`)));
    if (l.type === "unix") http.listen(l.path, () => resolve());
    else http.listen(l.port, l.host, () => resolve());
  });
  const addr = http.address() as AddressInfo | string;
  const url = typeof addr === "string" ? `unix:${addr}` : `http://${addr.family === "IPv6" ? `[${addr.address}]` : addr.address}:${addr.port}`;
  opts.logger.info({ url }, "listening");
  if (l.type === "tcp" && !isLoopback(l.host)) {
    opts.logger.warn({ url }, "listening beyond loopback without TLS: tokens cross the network in clear; put a TLS proxy in front");
  }
  const stopReconcile = opts.reconcile ? startReconcile(state, opts.reconcile) : undefined;
  return {
    url,
    close: async () => {
      state.draining = true;
      idle.stop();
      await stopReconcile?.();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        (http as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      });
      await state.webhooks.close();
      opts.logger.info({ url }, "stopped");
    },
  };
}
