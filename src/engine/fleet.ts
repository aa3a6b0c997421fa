// What the reconcile loop tells about a fleet's nodes (a system on several machines: Caddy): a node
// that went down, one that answers again, and one a round brought to the applied revision, each
// audited once and handed to the loop's caller to log. Which nodes are down is a store setting, so
// a new leader carries on where the last one stopped, and every process sees the same.
import type { Store } from "../store/store.js";
import type { ApplyResult, EngineEvent } from "./types.js";

export const FLEET_DOWN_KEY = "fleet.down"; // JSON {[node]: {system, since, error}}

/** One thing that happened to a node, as audited. */
export interface NodeNews {
  event: "down" | "up" | "caught-up";
  system: string;
  node: string;
  revision?: string;
  error?: string;
}

export interface DownSince {
  system: string;
  since: string;
  error: string;
}

export async function downNodes(store: Store): Promise<Record<string, DownSince>> {
  const v = await store.getSetting(FLEET_DOWN_KEY);
  if (!v) return {};
  try {
    return JSON.parse(v) as Record<string, DownSince>;
  } catch {
    return {};
  }
}

/**
 * Watch one reconcile round: `onEvent` sees the round's apply (which nodes took a whole config:
 * change kind "config", id the node), `after` compares the round's plan with the nodes known down.
 */
export function watchFleet(store: Store, actor: string, next?: (e: EngineEvent) => void | Promise<void>) {
  const loaded = new Set<string>();
  return {
    onEvent(e: EngineEvent): void | Promise<void> {
      if (e.type === "change.done" && e.change.kind === "config") loaded.add(`${e.system} ${e.change.id}`);
      return next?.(e);
    },
    async after(result: ApplyResult): Promise<NodeNews[]> {
      const plan = result.plan;
      if (!plan) return [];
      const wasDown = await downNodes(store);
      const nowDown: Record<string, DownSince> = {};
      const news: NodeNews[] = [];
      for (const d of plan.diagnostics) {
        if (!d.node || !d.code.endsWith("-node-down")) continue;
        const system = d.code.slice(0, -"-node-down".length);
        nowDown[d.node] = wasDown[d.node] ?? { system, since: new Date().toISOString(), error: d.message };
        if (!wasDown[d.node]) news.push({ event: "down", system, node: d.node, error: d.message });
      }
      // Nodes the plan named as behind (a fresh or stale node), or that were down and answer now.
      const behind = new Map<string, string>();
      for (const step of plan.steps) for (const c of step.changes) for (const n of c.nodes ?? []) behind.set(n, step.system);
      for (const [node, was] of Object.entries(wasDown)) if (!nowDown[node] && !behind.has(node)) news.push({ event: "up", system: was.system, node, revision: result.revision });
      if (result.status === "succeeded") {
        for (const [node, system] of behind) if (loaded.has(`${system} ${node}`)) news.push({ event: "caught-up", system, node, revision: result.revision });
      }
      for (const n of news) await store.audit({ actor, action: `fleet.node.${n.event}`, target: n.node, detail: { ...n } });
      if (JSON.stringify(nowDown) !== JSON.stringify(wasDown)) await store.setSetting(FLEET_DOWN_KEY, Object.keys(nowDown).length ? JSON.stringify(nowDown) : undefined);
      return news;
    },
  };
}

/** One line for logs and `hecate reconcile --watch`, e.g. "caddy node unix:/run/caddy2.sock brought to revision 1a2b3c4d5e6f". */
export function newsText(n: NodeNews): string {
  const rev = n.revision ? ` ${n.revision.slice(0, 12)}` : "";
  if (n.event === "down") return `${n.system} node ${n.node} is down: ${n.error ?? "no answer"}`;
  if (n.event === "up") return `${n.system} node ${n.node} answers again and holds revision${rev}`;
  return `${n.system} node ${n.node} brought to revision${rev}`;
}
