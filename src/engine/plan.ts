// Plan: the desired state (a revision, or resources not stored yet) against what every system
// holds now, as ordered steps of changes. A saved plan is checked against reality again before
// it is applied.
import { HecateError, type Diagnostic } from "../diag.js";
import type { Resource } from "../model/schema.js";
import { orderIndex } from "../providers/order.js";
import { descriptorOf } from "../providers/registry.js";
import type { Change, Provider, SystemName } from "../providers/provider.js";
import type { Revision } from "../store/store.js";
import { contentHash } from "../store/content.js";
import { fingerprint } from "./canonical.js";
import { Core, targetOf, type Target } from "./core.js";
import { ioStarted } from "./transaction.js";
import type { EngineEvent, Plan, PlanStep } from "./types.js";

export interface PlanOptions {
  /** Revision to plan (hash, prefix, #seq, head, applied); default the head. */
  revision?: string;
  /** Plan these resources instead of a stored revision (nothing is stored). */
  resources?: Resource[];
  systems?: SystemName[];
  exclude?: SystemName[];
  onEvent?: (event: EngineEvent) => void | Promise<void>;
  /** The clock certificate renewals are judged by (ms since the epoch; default now). */
  now?: number;
}

/** Everything apply needs that a Plan (plain data) does not carry. */
export interface Prepared {
  plan: Plan;
  target: Target;
  providers: Map<SystemName, Provider>;
  actual: Map<SystemName, unknown>;
}

export function summarize(steps: PlanStep[]): Plan["summary"] {
  const s = { create: 0, update: 0, delete: 0 };
  for (const st of steps) for (const c of st.changes) s[c.action]++;
  return s;
}

const wholeDocument = (system: SystemName) => descriptorOf(system)?.capabilities.wholeDocument ?? true;

/**
 * Steps in dependency order (providers/order.ts): upserts of every system first, top to bottom
 * of the order table; then prunes in exactly the reverse order. A system that takes one document
 * applies all its changes as one step, placed with the upserts when it has any.
 */
export function orderSteps(perSystem: { system: SystemName; changes: Change[] }[]): PlanStep[] {
  type Unit = PlanStep & { row: number };
  const ups: Unit[] = [];
  const prunes: Unit[] = [];
  for (const { system, changes } of perSystem) {
    if (changes.length === 0) continue;
    if (wholeDocument(system)) {
      const row = Math.min(...changes.map((c) => orderIndex(system, c.kind)));
      (changes.every((c) => c.action === "delete") ? prunes : ups).push({ system, phase: "all", changes, row });
      continue;
    }
    for (const c of changes) {
      const unit: Unit = { system, phase: c.action === "delete" ? "prune" : "upsert", changes: [c], row: orderIndex(system, c.kind) };
      (c.action === "delete" ? prunes : ups).push(unit);
    }
  }
  const byRow = (a: Unit, b: Unit) => a.row - b.row;
  const units = [...ups.sort(byRow), ...prunes.sort(byRow).reverse()];
  const steps: PlanStep[] = [];
  for (const u of units) {
    const last = steps.at(-1);
    if (last && last.system === u.system && last.phase === u.phase && u.phase !== "all") last.changes.push(...u.changes);
    else steps.push({ system: u.system, phase: u.phase, changes: [...u.changes] });
  }
  return steps;
}

/** The target a plan request names: resources given, or a stored revision (default head). */
export async function targetFor(core: Core, opts: Pick<PlanOptions, "revision" | "resources">): Promise<Target> {
  if (opts.resources) return { hash: contentHash(opts.resources), resources: opts.resources };
  return targetOf(await core.revisionOrHead(opts.revision));
}

/**
 * `assume` (apply only): providers may answer read from what their own last verified write in
 * this Engine left, when that write was of the revision last applied to their system; each then
 * confirms what its changes rely on, or reads afresh (Provider.confirm).
 */
export async function prepare(core: Core, target: Target, sel: Pick<PlanOptions, "systems" | "exclude" | "now">, live?: Revision | null, opts: { assume?: boolean } = {}): Promise<Prepared> {
  const state = core.resolve(target);
  const { providers, diagnostics } = await core.providersFor(target, { ...(sel.systems ? { systems: sel.systems } : {}), ...(sel.exclude ? { exclude: sel.exclude } : {}) }, live);
  // Certificates are obtained only when their system is in play; Caddy then names the new ones.
  const issued = await core.refreshIssued(state, { obtain: providers.has("certs"), ...(sel.now !== undefined ? { now: sel.now } : {}) });
  // Reads first, compile while they run: a read is mostly the system's own work (Caddy
  // encoding 10,000 routes), compile is ours, so the two overlap instead of adding up.
  const ctx = core.ctx(target.resources);
  if (opts.assume) ctx.assume = { applied: (system) => core.appliedHash(system, sel.systems, live) };
  const reading = core.readAll(providers, ctx, diagnostics);
  reading.catch(() => undefined); // a compile that throws must not leave the read's failure unhandled
  await ioStarted();
  const desired = new Map<SystemName, unknown>();
  for (const p of providers.values()) {
    const c = core.compile(p, state, issued);
    desired.set(p.system, c.desired);
    diagnostics.push(...c.diagnostics);
  }
  const actual = await reading;
  const changes = new Map([...providers.values()].map((p) => [p.system, p.diff(desired.get(p.system), actual.get(p.system))] as const));
  if (ctx.assume) {
    for (const p of providers.values()) {
      const fresh = await p.confirm?.(desired.get(p.system), actual.get(p.system), changes.get(p.system)!, ctx);
      if (fresh === undefined) continue;
      actual.set(p.system, fresh);
      changes.set(p.system, p.diff(desired.get(p.system), fresh));
    }
  }
  for (const p of providers.values()) diagnostics.push(...(p.findings?.(desired.get(p.system), actual.get(p.system)) ?? []));
  const steps = orderSteps([...providers.values()].map((p) => ({ system: p.system, changes: changes.get(p.system)! })));
  const usage = usageOf(providers);
  const plan: Plan = {
    format: "hecate-plan/1",
    revision: target.hash,
    createdAt: new Date().toISOString(),
    steps,
    summary: summarize(steps),
    fingerprints: Object.fromEntries([...actual].map(([s, a]) => [s, fingerprint(a)])),
    desired: Object.fromEntries(desired),
    actual: Object.fromEntries(actual),
    diagnostics,
    ...(usage ? { usage } : {}),
  };
  return { plan, target, providers, actual };
}

/** What the metered providers (Hetzner) have called so far; undefined when none is metered. */
export function usageOf(providers: Map<SystemName, Provider>): Plan["usage"] {
  const out: NonNullable<Plan["usage"]> = {};
  for (const p of providers.values()) if (p.usage) out[p.system] = p.usage();
  return Object.keys(out).length ? out : undefined;
}

/** A saved plan, checked against reality now: refuse when any system moved since. */
export async function prepareSaved(core: Core, plan: Plan, target: Target, live?: Revision | null): Promise<Prepared> {
  if (target.hash !== plan.revision) {
    throw new HecateError("stale-plan", `the plan was made for revision ${plan.revision.slice(0, 12)}, not ${target.hash.slice(0, 12)}; plan again`, { status: 409 });
  }
  const systems = Object.keys(plan.fingerprints);
  const { providers } = await core.providersFor(target, { systems }, live);
  const missing = systems.filter((s) => !providers.has(s));
  if (missing.length) throw new HecateError("stale-plan", `the plan covers ${missing.join(", ")} which this revision no longer needs; plan again`, { status: 409 });
  const actual = await core.readAll(providers, core.ctx(target.resources));
  const moved = systems.filter((s) => fingerprint(actual.get(s)) !== plan.fingerprints[s]);
  if (moved.length) {
    throw new HecateError("stale-plan", `reality changed since the plan was made (${moved.join(", ")}); run plan again`, { status: 409 });
  }
  // Reality is byte-for-byte what the plan saw: work from what was just read, and the plan's desired.
  const steps = orderSteps(systems.map((s) => ({ system: s, changes: providers.get(s)!.diff(plan.desired[s], actual.get(s)) })));
  const findings = systems.flatMap((s) => providers.get(s)!.findings?.(plan.desired[s], actual.get(s)) ?? []);
  const diagnostics = [...plan.diagnostics.filter((d) => !findings.some((f) => f.code === d.code && f.message === d.message)), ...findings];
  return { plan: { ...plan, steps, summary: summarize(steps), actual: Object.fromEntries(actual), diagnostics }, target, providers, actual };
}

/** The stored revision a saved plan names. */
export async function savedTarget(core: Core, plan: Plan): Promise<Target> {
  const revision = await core.store.getRevision(plan.revision);
  if (!revision || revision.hash !== plan.revision) {
    throw new HecateError("unknown-revision", `the plan's revision ${plan.revision.slice(0, 12)} is not in the store`, { status: 404 });
  }
  return targetOf(revision);
}

export type { Diagnostic };
