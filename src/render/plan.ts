// Plans for people and machines: a terraform-like text diff and JSON, both with secrets redacted.
import { fieldChanges } from "../providers/differ.js";
import type { Change, NodeReport } from "../providers/provider.js";
import { isSecretMarker, looksSecret, SECRET_FIELD } from "../secret.js";
import type { DriftReport, Plan } from "../engine/types.js";

export const SENSITIVE = "(sensitive)";

/** A deep copy with every secret-looking value replaced by "(sensitive)". */
export function redact<T>(value: T): T {
  return walk(value, undefined) as T;
}

function walk(v: unknown, name: string | undefined): unknown {
  if (isSecretMarker(v)) return SENSITIVE;
  if (name !== undefined && SECRET_FIELD.test(name) && v !== undefined && v !== null && typeof v !== "boolean") return SENSITIVE;
  if (typeof v === "string" && looksSecret(v)) return SENSITIVE;
  if (Array.isArray(v)) return v.map((x) => walk(x, undefined));
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = walk(x, k);
    return out;
  }
  return v;
}

/** Whether a dotted field path names something sensitive (any segment). */
function sensitivePath(path: string): boolean {
  return path.split(".").some((seg) => !/^\d+$/.test(seg) && SECRET_FIELD.test(seg));
}

function show(v: unknown, path: string): string {
  if (v === undefined) return "(none)";
  if (isSecretMarker(v) || sensitivePath(path)) return SENSITIVE;
  return JSON.stringify(redact(v));
}

const SIGN = { create: "+", update: "~", delete: "-" } as const;
const COLOR = { create: "\x1b[32m", update: "\x1b[33m", delete: "\x1b[31m" } as const;
const RESET = "\x1b[0m";

/** " on node X, Y": a change of a fleet that only some nodes need. */
function onNodes(c: Change): string {
  return c.nodes ? ` on node${c.nodes.length === 1 ? "" : "s"} ${c.nodes.join(", ")}` : "";
}

function changeLines(c: Change, color: boolean): string[] {
  const paint = (s: string) => (color ? `${COLOR[c.action]}${s}${RESET}` : s);
  const from = (c.resource ? `  (${c.resource})` : "") + onNodes(c) + (c.note ? ` (${c.note})` : "");
  const lines = [paint(`  ${SIGN[c.action]} ${c.action} ${c.kind} ${c.id}`) + from];
  if (c.action === "update") {
    const fields = c.fields ?? fieldChanges(c.before, c.after);
    for (const f of fields) lines.push(`      ~ ${f.path}: ${show(f.before, f.path)} -> ${show(f.after, f.path)}`);
  }
  return lines;
}

import { usageLines } from "./usage.js";

export { usageLines };

/** Changes one per line (and their fields), as a plan shows them. */
export function renderChanges(changes: readonly Change[], opts: { color: boolean }): string {
  return changes.flatMap((c) => changeLines(c, opts.color)).join("\n");
}

/** Changes of one Hecate resource, or (resource undefined) the shared objects no one resource owns. */
interface Group {
  resource: string | undefined;
  changes: Change[];
}

/** More shared objects than this fold into one line unless verbose. */
const SHARED_SHOWN = 3;
/** Field lines shown under one resource unless verbose. */
const FIELDS_SHOWN = 8;

/** The lines of one group, and whether they leave out anything -v would show. */
function groupLines(g: Group, color: boolean): { lines: string[]; folded: boolean } {
  if (g.changes.length === 1 && g.resource !== undefined) return { lines: changeLines(g.changes[0]!, color), folded: false };
  // Shared objects (host buckets, forward-auth handlers) change as a side effect of resources:
  // their field diffs (index shifts in a bucket) are noise unless asked for with -v.
  if (g.resource === undefined && g.changes.length <= SHARED_SHOWN) {
    const lines = g.changes.map((c) => `${changeLines(c, color)[0]!}${c.action === "update" ? " (shared; -v shows its fields)" : ""}`);
    return { lines, folded: g.changes.some((c) => c.action === "update") };
  }
  const actions = new Set(g.changes.map((c) => c.action));
  const action = actions.size === 1 ? g.changes[0]!.action : "update";
  const paint = (t: string) => (color ? `${COLOR[action]}${t}${RESET}` : t);
  const count = (a: Change["action"]) => g.changes.filter((c) => c.action === a).length;
  const how = (["create", "update", "delete"] as const).filter((a) => count(a)).map((a) => `${count(a)} to ${a}`).join(", ");
  const kinds = [...new Set(g.changes.map((c) => c.kind))].join(", ");
  if (g.resource === undefined) return { lines: [`${paint(`  ${SIGN[action]} ${g.changes.length} shared objects`)}: ${how} (${kinds}; -v lists them)`], folded: true };
  const lines = [`${paint(`  ${SIGN[action]} ${g.resource}`)}: ${g.changes.length} objects, ${how} (${g.changes.map((c) => `${c.kind} ${c.id}`).join(", ")})`];
  const fields = g.changes.filter((c) => c.action === "update").flatMap((c) => (c.fields ?? fieldChanges(c.before, c.after)).map((f) => `      ~ ${c.kind} ${c.id} ${f.path}: ${show(f.before, f.path)} -> ${show(f.after, f.path)}`));
  lines.push(...fields.slice(0, FIELDS_SHOWN));
  if (fields.length > FIELDS_SHOWN) lines.push(`      … ${fields.length - FIELDS_SHOWN} more field changes (-v lists them)`);
  return { lines, folded: true };
}

/** A system's changes by the Hecate resource they come from, in first-seen order; shared objects last. */
function byResource(changes: readonly Change[]): Group[] {
  const groups = new Map<string | undefined, Change[]>();
  for (const c of changes) {
    const list = groups.get(c.resource);
    if (list) list.push(c);
    else groups.set(c.resource, [c]);
  }
  const shared = groups.get(undefined);
  groups.delete(undefined);
  return [...[...groups].map(([resource, cs]) => ({ resource, changes: cs })), ...(shared ? [{ resource: undefined, changes: shared }] : [])];
}

/**
 * The human diff. `color` is the caller's decision (NO_COLOR, not a TTY, --no-color). One line
 * per Hecate resource (and one for the shared objects, such as forward-auth handlers and host
 * buckets) unless `verbose`, which lists every object and field.
 */
export function renderPlan(plan: Plan, opts: { color: boolean; verbose?: boolean }): string {
  const out: string[] = [];
  for (const d of plan.diagnostics) out.push(`${d.severity}: ${d.address ? `${d.address}: ` : ""}${d.message}`);
  if (plan.steps.length === 0) {
    out.push(`No changes. Reality matches revision ${plan.revision.slice(0, 12)}.`, ...usageLines(plan.usage));
    return out.join("\n") + "\n";
  }
  out.push(`Revision ${plan.revision.slice(0, 12)}:`);
  let folded = false;
  for (const step of plan.steps) {
    out.push("", `${step.system}:`);
    if (opts.verbose) {
      for (const c of step.changes) out.push(...changeLines(c, opts.color));
      continue;
    }
    for (const g of byResource(step.changes)) {
      const shown = groupLines(g, opts.color);
      folded ||= shown.folded;
      out.push(...shown.lines);
    }
  }
  const s = plan.summary;
  out.push("", `Plan: ${s.create} to create, ${s.update} to update, ${s.delete} to delete.${folded ? " (-v shows every object)" : ""}`, ...usageLines(plan.usage));
  return out.join("\n") + "\n";
}

/**
 * What reality did, per change of a drift report: a drift change is what reconcile would do, so
 * "create" means someone deleted the object, "delete" that someone added it, "update" that they
 * edited it (each field as applied and as it is now).
 */
const DRIFT = {
  create: { did: "deleted outside Hecate", undo: "create it again" },
  update: { did: "edited outside Hecate", undo: "change it back" },
  delete: { did: "added outside Hecate", undo: "delete it" },
} as const;

function driftLines(c: Change, color: boolean): string[] {
  const paint = (s: string) => (color ? `${COLOR[c.action]}${s}${RESET}` : s);
  const from = c.resource ? ` (${c.resource})` : "";
  const lines = [`  ${paint(`${c.kind} ${c.id}`)}${from}${onNodes(c)} ${DRIFT[c.action].did}; reconcile would ${DRIFT[c.action].undo}`];
  if (c.action === "update") {
    // Drift diffs reality (before) towards the applied revision (after).
    const fields = c.fields ?? fieldChanges(c.before, c.after);
    for (const f of fields) lines.push(`      ${f.path}: applied ${show(f.after, f.path)}, now ${show(f.before, f.path)}`);
  }
  return lines;
}

const NODE_STATE = { "in-sync": "in sync", behind: "BEHIND", down: "DOWN" } as const;

/** A fleet's nodes, one line each, worst first: what each holds and what happens next. */
function nodeLines(system: string, nodes: readonly NodeReport[], revision: string): string[] {
  const count = (st: NodeReport["state"]) => nodes.filter((n) => n.state === st).length;
  const bad = [count("down") && `${count("down")} down`, count("behind") && `${count("behind")} behind`].filter(Boolean).join(", ");
  const out = [`${system}: ${nodes.length} nodes, ${bad || "all in sync"} (revision ${revision.slice(0, 12)})`];
  const order = { down: 0, behind: 1, "in-sync": 2 } as const;
  for (const n of [...nodes].sort((a, b) => order[a.state] - order[b.state])) {
    const what =
      n.state === "down"
        ? `${n.error}; the reconcile loop loads the revision into it once it answers`
        : n.state === "behind"
          ? `${n.changes} change${n.changes === 1 ? "" : "s"} from the revision (below); reconcile loads it`
          : "holds the revision";
    out.push(`  node ${n.node}: ${NODE_STATE[n.state]}${n.state === "in-sync" ? "," : ":"} ${what}`);
  }
  return out;
}

/** The human drift report: per system in sync, unreadable, or each change made outside Hecate; a fleet node by node. */
export function renderDrift(report: DriftReport, opts: { color: boolean }): string {
  const out: string[] = [];
  for (const s of report.systems) {
    // A system given a revision alone (`apply --system`) is compared with that one: say so.
    const own = s.revision ? ` (against revision ${s.revision.slice(0, 12)}, applied to ${s.system} alone)` : "";
    if (s.nodes?.length && !s.error) {
      out.push(...nodeLines(s.system, s.nodes, s.revision ?? report.revision ?? ""));
      for (const c of s.changes) out.push(...driftLines(c, opts.color));
    } else if (s.error) out.push(`${s.system}: unknown, it could not be read`);
    else if (!s.changes.length) out.push(`${s.system}: in sync${own}`);
    else {
      out.push(`${s.system}: ${s.changes.length} change${s.changes.length === 1 ? "" : "s"} made outside Hecate${own}`);
      for (const c of s.changes) out.push(...driftLines(c, opts.color));
    }
  }
  return out.join("\n") + (out.length ? "\n" : "");
}

/** The machine form: the whole plan as JSON, secrets redacted in changes and actual state. */
export function planToJson(plan: Plan): string {
  return JSON.stringify(planJson(plan), null, 2);
}

/**
 * planToJson's value, not serialized. `configs: false` leaves out each system's desired and
 * actual configs (megabytes at 10,000 routes), for an answer that only reports what was applied.
 */
export function planJson(plan: Plan, opts: { configs?: boolean } = {}): Record<string, unknown> {
  const { desired, actual, ...rest } = plan;
  const changes = { ...rest, steps: redact(plan.steps) };
  return opts.configs === false ? changes : { ...changes, actual: redact(actual), desired: redact(desired) };
}
