// Health: can every system the desired state uses be read right now, how long it took, what it
// holds, and whether that is what was last applied. An unreachable system is down, never drift.
// Drift (drift.ts) and `hecate debug SYSTEM` read the systems the same way, through readSystems.
import { REGISTRY, SYSTEMS } from "../providers/registry.js";
import type { Revision } from "../store/store.js";
import type { Change, SystemName } from "../providers/provider.js";
import { recoverIfFree } from "./apply.js";
import type { Core, Target } from "./core.js";
import { targetOf } from "./core.js";
import { errorText, withTimeout } from "./transaction.js";
import type { NodeReport } from "../providers/provider.js";

/** One system read against a target: the changes that would make it match, or why it could not be read. */
export interface SystemRead {
  system: SystemName;
  changes: Change[];
  error?: string;
  /** How long the read took, in ms. */
  ms: number;
  /** What the system holds of Hecate's, in a few lines (Provider.describe). */
  facts: string[];
  /** Per node, for a system run on several (a Caddy fleet). */
  nodes?: NodeReport[];
}

/** Reads each selected system of `target` and diffs it against the target's compiled state, in registry order. */
export async function readSystems(core: Core, target: Target, opts: { systems?: SystemName[]; exclude?: SystemName[] }): Promise<SystemRead[]> {
  const state = core.resolve(target);
  const { providers } = await core.providersFor(target, opts);
  const issued = await core.refreshIssued(state, { obtain: providers.has("certs") });
  const ctx = core.ctx(target.resources);
  const out = await Promise.all(
    [...providers.values()].map(async (p): Promise<SystemRead> => {
      const started = performance.now();
      try {
        const actual = await withTimeout(`read of ${p.system}`, core.timeoutMs, undefined, (signal) => p.read({ ...ctx, signal }));
        const desired = core.compile(p, state, issued).desired;
        const changes = p.diff(desired, actual);
        const nodes = p.nodes?.(changes, actual) ?? [];
        return { system: p.system, changes, ms: Math.round(performance.now() - started), facts: p.describe?.(actual) ?? [], ...(nodes.length ? { nodes } : {}) };
      } catch (e) {
        return { system: p.system, changes: [], error: `cannot read ${p.system}: ${errorText(e)}`, ms: Math.round(performance.now() - started), facts: [] };
      }
    }),
  );
  const order = REGISTRY.map((d) => d.system);
  return out.sort((a, b) => order.indexOf(a.system) - order.indexOf(b.system));
}

/** Systems that share what was last applied to them. */
export interface AppliedGroup {
  revision: Revision;
  /** Only these systems (the group of systems applied alone), or every one not excluded. */
  systems?: SystemName[];
  exclude?: SystemName[];
  /** The group's systems were given its revision alone (`apply --system`). */
  alone?: boolean;
}

type Selection = { systems?: SystemName[]; exclude?: SystemName[] };

/**
 * What was last applied to each system: the applied revision (`fallback`, e.g. the head, when
 * none was applied to every system), except for systems given another one alone since (`apply
 * --system`), grouped by revision. Drift, health and reconcile compare each system with its own.
 */
export async function appliedGroups(core: Core, applied: Revision | undefined, opts: Selection = {}, fallback?: Revision): Promise<AppliedGroup[]> {
  const chosen = SYSTEMS.filter((s) => (!opts.systems || opts.systems.includes(s)) && !opts.exclude?.includes(s));
  const alone = new Map<string, AppliedGroup & { systems: SystemName[] }>();
  for (const [i, own] of (await Promise.all(chosen.map((s) => core.store.lastApplied(s)))).entries()) {
    if (!own || own.hash === applied?.hash) continue;
    const g = alone.get(own.hash) ?? { revision: own, systems: [], alone: true };
    g.systems.push(chosen[i]!);
    alone.set(own.hash, g);
  }
  const others = [...alone.values()].flatMap((g) => g.systems);
  const main: AppliedGroup = { revision: (applied ?? fallback)!, ...(opts.systems ? { systems: opts.systems } : {}), ...(opts.exclude || others.length ? { exclude: [...(opts.exclude ?? []), ...others] } : {}) };
  return [main, ...alone.values()];
}

/**
 * readSystems of every group, each system against what was last applied to it, in registry order;
 * `alone`: the number of the revision a system was given alone.
 */
export async function readApplied(core: Core, applied: Revision | undefined, opts: Selection = {}, fallback?: Revision): Promise<(SystemRead & { revision: string; alone?: number })[]> {
  const groups = await appliedGroups(core, applied, opts, fallback);
  const reads = await Promise.all(
    groups.map(async (g) =>
      (await readSystems(core, targetOf(g.revision), { ...(g.systems ? { systems: g.systems } : {}), ...(g.exclude ? { exclude: g.exclude } : {}) })).map((r) => ({ ...r, revision: g.revision.hash, ...(g.alone ? { alone: g.revision.seq } : {}) })),
    ),
  );
  const order = REGISTRY.map((d) => d.system);
  return reads.flat().sort((a, b) => order.indexOf(a.system) - order.indexOf(b.system));
}

export type SystemHealth = SystemRead & {
  /** ok: holds what was applied; drifted: changed since; pending: nothing applied yet, the head differs; down: unreadable. */
  state: "ok" | "drifted" | "pending" | "down";
};

export interface HealthReport {
  /** Head and last applied revision numbers (absent: none). */
  head?: number;
  applied?: number;
  /** Systems given another revision alone since (`apply --system`), with its number. */
  alone?: { system: string; applied: number }[];
  systems: SystemHealth[];
  /** Every system could be read. */
  healthy: boolean;
}

export async function health(core: Core, opts: { systems?: SystemName[] } = {}): Promise<HealthReport> {
  await recoverIfFree(core);
  const [head, applied] = await Promise.all([core.store.head(), core.store.lastApplied()]);
  const target = applied ?? head;
  if (!target) return { systems: [], healthy: true };
  // Systems given a revision alone (`apply --system`) are compared with theirs, the rest with the
  // applied revision (or, when none was applied to every system, the head).
  const reads = await readApplied(core, applied, opts, head);
  const systems = reads.map(({ alone, ...r }): SystemHealth => ({ ...r, state: r.error !== undefined ? "down" : !r.changes.length ? "ok" : applied || alone !== undefined ? "drifted" : "pending" }));
  const alone = reads.flatMap((r) => (r.alone !== undefined ? [{ system: r.system, applied: r.alone }] : []));
  return { ...(head ? { head: head.seq } : {}), ...(applied ? { applied: applied.seq } : {}), ...(alone.length ? { alone } : {}), systems, healthy: systems.every((s) => s.state !== "down") };
}
