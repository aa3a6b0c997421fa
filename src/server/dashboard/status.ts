// Every route's state at a glance: applied or pending, whether its upstreams answer (a TCP
// connect from the server, short timeout, all in parallel), how users sign in, and what DNS
// Hecate manages for it. Read from the head's resolved state; nothing is written.
import { connect } from "node:net";
import type { Engine } from "../../engine/index.js";
import type { ResolvedRoute } from "../../model/resolved.js";
import type { Store } from "../../store/store.js";
import { routeStates } from "../metrics.js";

export interface RouteStatus {
  name: string;
  hosts: string[];
  targets: string[];
  state: "applied" | "pending";
  /** up: every upstream accepted a connection; degraded: some; down: none. */
  health: { kind: "up" | "degraded" | "down" | "unknown"; detail: string };
  auth: string;
  dns: string;
}

/** Whether host:port accepts a TCP connection within `ms` (an error code otherwise). */
export function tcpCheck(address: string, ms = 800): Promise<string | undefined> {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (!m) return Promise.resolve("not host:port");
  return new Promise((resolve) => {
    const sock = connect({ host: m[1]!, port: Number(m[2]) });
    const done = (err?: string) => {
      sock.destroy();
      resolve(err);
    };
    sock.setTimeout(ms, () => done("timeout"));
    sock.once("connect", () => done());
    sock.once("error", (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}

function authOf(r: ResolvedRoute): string {
  if (!r.auth) return "public";
  if (r.signIn) return `${r.signIn.protocol.toUpperCase()} sign-in (${r.auth.name})`;
  return `forward auth (${r.auth.name}${r.auth.requireMfa ? ", MFA" : ""})`;
}

export async function routeStatuses(store: Store, engine: Engine): Promise<RouteStatus[]> {
  const [{ state }, states] = await Promise.all([engine.context(), routeStates(store)]);
  return Promise.all(
    state.routes.map(async (r): Promise<RouteStatus> => {
      const targets = r.pool?.targets.map((t) => t.address) ?? [];
      const checks = await Promise.all(targets.map(async (t) => [t, await tcpCheck(t)] as const));
      const down = checks.filter(([, e]) => e !== undefined);
      const health: RouteStatus["health"] =
        !targets.length ? { kind: "unknown", detail: "no upstream" }
        : !down.length ? { kind: "up", detail: `${targets.length} of ${targets.length} upstreams answer` }
        : down.length === targets.length ? { kind: "down", detail: down.map(([t, e]) => `${t}: ${e}`).join(", ") }
        : { kind: "degraded", detail: `${targets.length - down.length} of ${targets.length} answer; ${down.map(([t, e]) => `${t}: ${e}`).join(", ")}` };
      return {
        name: r.name,
        hosts: r.hosts,
        targets,
        state: states.get(r.name) ?? "pending",
        health,
        auth: authOf(r),
        dns: r.dns ? `${r.dns.target} (TTL ${r.dns.ttl})` : "not managed",
      };
    }),
  );
}
