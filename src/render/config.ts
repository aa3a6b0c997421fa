// The native config of one system for a resolved state, as people review it (`hecate render`):
// Caddy's JSON document, nginx's stream file; and the structure behind it for `-o json`.
import { HecateError, hasErrors } from "../diag.js";
import type { ResolvedState } from "../model/resolved.js";
import { providersFor } from "../providers/index.js";
import { descriptorOf } from "../providers/registry.js";
import type { SystemName } from "../providers/provider.js";
import type { ProviderFactory } from "../engine/core.js";
import { compileCaddy } from "../compile/caddy/compile.js";
import { MIN_SHAPE_ROUTES } from "../compile/caddy/shapes.js";

export interface RenderedConfig {
  system: SystemName;
  /** What the system is given: JSON for Caddy, the stream file for nginx. */
  text: string;
  /** The compiled desired state itself (for nginx: the file and the parsed streams). */
  structure: unknown;
}

/** Refuses a system whose compiler is not built yet: callers check before loading anything. */
export function assertRenderable(system: SystemName): void {
  const d = descriptorOf(system);
  if (!d) throw new HecateError("unknown-system", `no system "${system}"`, { status: 404 });
  if (!d.create || !d.render) {
    throw new HecateError("not-built", `the ${system} compiler and provider are not built yet, so there is nothing to render for ${system}`, { status: 501 });
  }
}

export function renderConfig(state: ResolvedState, system: SystemName, factory: ProviderFactory = providersFor): RenderedConfig {
  assertRenderable(system);
  const built = factory(state, { systems: [system], all: true });
  // Rendering is compile alone: a system whose settings lack a token still renders.
  const p = (Array.isArray(built) ? built : built.providers).find((x) => x.system === system) ?? descriptorOf(system)!.create?.(state.settings, state);
  if (!p) throw new HecateError("not-built", `no ${system} provider is available`, { status: 501 });
  const { desired, diagnostics } = p.compile(state);
  if (hasErrors(diagnostics)) throw new HecateError("invalid", `${system} config does not compile`, { diagnostics });
  const text = descriptorOf(system)!.render!(desired);
  return { system, text: text.endsWith("\n") ? text : text + "\n", structure: desired };
}


/**
 * Why the Caddy config is laid out as it is (`hecate render caddy --explain`): which routes share
 * one Caddy route per shape (host → upstream map) and why each other route keeps its own.
 */
export function explainCaddyLayout(state: ResolvedState): { text: string; structure: unknown } {
  const { layout } = compileCaddy(state);
  const shapes = new Map<string, string[]>();
  const own: { route: string; server: string; why: string }[] = [];
  for (const d of layout.decisions) {
    if (d.shape) (shapes.get(d.shape) ?? shapes.set(d.shape, []).get(d.shape)!).push(d.route);
    else own.push({ route: d.route, server: d.server, why: d.why ?? "" });
  }
  const lines: string[] = [];
  lines.push(
    state.settings.caddy.shapes === false
      ? "Shapes are off (Settings caddy.shapes: false): every route is a Caddy route object of its own."
      : `Routes whose compiled handler chains are identical except for hosts and one upstream address share one Caddy route per shape: a host matcher, a host → upstream map (one entry per host, @id hecate-route-<name>), the shared chain, reverse_proxy dialing the mapped address. A shape is mapped from ${MIN_SHAPE_ROUTES} routes on. Forward auth is one shared handler either way.`,
  );
  for (const [id, routes] of shapes) {
    const shown = routes.slice(0, 8).join(", ") + (routes.length > 8 ? `, … (${routes.length - 8} more)` : "");
    lines.push(`shape ${id}: ${routes.length} routes: ${shown}`);
  }
  if (own.length) lines.push(`own Caddy route (${own.length}):`);
  for (const o of own) lines.push(`  ${o.route} (server ${o.server}): ${o.why}`);
  return { text: lines.join("\n") + "\n", structure: { shapes: [...shapes].map(([id, routes]) => ({ id, routes })), own } };
}
