// The desired state as the CLI edits it: read the head revision, change a copy, validate the
// whole new state through the model, show the change, and store it as a new revision.
import { formatDiagnostic, hasErrors, HecateError, type Diagnostic } from "../../diag.js";
import type { Kind, Resource } from "../../model/schema.js";
import type { Revision, Store } from "../../store/store.js";
import type { Context, Model } from "./context.js";
import type { NounDef } from "../nouns/noun.js";
import { unifiedDiff } from "./unidiff.js";
import { resolveRevision } from "../../engine/revision-ref.js";

export const addressOf = (r: { kind: string; metadata: { name: string } }) => `${r.kind}/${r.metadata.name}`;

export async function headResources(store: Store): Promise<{ head?: Revision; resources: Resource[] }> {
  const head = await store.head();
  return { head, resources: head?.resources ?? [] };
}

export function find(resources: readonly Resource[], kind: Kind, name: string): Resource | undefined {
  return resources.find((r) => r.kind === kind && r.metadata.name === name);
}

/** By name, or by whatever else the noun accepts as a name (a route: one of its hosts). */
export function mustFind(resources: readonly Resource[], noun: Pick<NounDef, "kind" | "noun" | "findOther">, name: string): Resource {
  const r = find(resources, noun.kind, name) ?? noun.findOther?.(resources, name);
  if (!r) throw new HecateError("not-found", `${noun.noun} "${name}" does not exist (see \`hecate list ${noun.noun}\`)`, { status: 404 });
  return r;
}

/** Shape check of one resource through the model (readable messages, positions when known). */
export function checkShape(model: Model, r: unknown, where: { pos?: (path: (string | number)[]) => Diagnostic["pos"]; keyPos?: (path: (string | number)[]) => Diagnostic["pos"] } = {}): Diagnostic[] {
  const address = r && typeof r === "object" && "kind" in r && "metadata" in r ? addressOf(r as Resource) : undefined;
  return model.checkDocument(r, { ...(address ? { address } : {}), ...where }).diagnostics;
}

/** Validates the whole state; throws HecateError("invalid") with every error at once. */
export function validateState(model: Model, resources: Resource[], changed: string[]): Diagnostic[] {
  const shape = resources.filter((r) => changed.includes(addressOf(r))).flatMap((r) => checkShape(model, r));
  if (hasErrors(shape)) throw invalid(shape);
  const { diagnostics } = model.resolveState(resources);
  if (hasErrors(diagnostics)) throw invalid(diagnostics.filter((d) => d.severity === "error"));
  return diagnostics.filter((d) => !d.address || changed.includes(d.address));
}

function invalid(diags: Diagnostic[]): HecateError {
  return new HecateError("invalid", `the change is not valid (${diags.length} error${diags.length === 1 ? "" : "s"})`, { diagnostics: diags });
}

/** Resource-level unified diff of canonical YAML: only resources that changed appear. */
export function resourceDiff(model: Model, before: readonly Resource[], after: readonly Resource[]): string {
  const a = new Map(before.map((r) => [addressOf(r), r]));
  const b = new Map(after.map((r) => [addressOf(r), r]));
  const addresses = [...new Set([...a.keys(), ...b.keys()])].sort();
  const parts: string[] = [];
  for (const addr of addresses) {
    const ra = a.get(addr), rb = b.get(addr);
    const ya = ra ? model.toYaml([ra]) : "", yb = rb ? model.toYaml([rb]) : "";
    if (ya === yb) continue;
    parts.push(unifiedDiff(ya, yb, { from: ra ? `a/${addr}` : "/dev/null", to: rb ? `b/${addr}` : "/dev/null" }));
  }
  return parts.join("");
}

export function colorDiff(ctx: Context, diff: string): string {
  if (!ctx.paint.enabled) return diff;
  return diff
    .split("\n")
    .map((l) => (l.startsWith("+++") || l.startsWith("---") ? ctx.paint("bold", l) : l.startsWith("+") ? ctx.paint("green", l) : l.startsWith("-") ? ctx.paint("red", l) : l.startsWith("@@") ? ctx.paint("cyan", l) : l))
    .join("\n");
}

export interface Change {
  before: Resource[];
  after: Resource[];
  /** Addresses created, updated or deleted (for warnings and the audit entry). */
  changed: string[];
  message: string;
  dryRun?: boolean;
  beforeStore?: Array<(store: Store) => Promise<void>>;
}

/** Validate, then print (dry run) or store the new revision. Returns the revision stored. */
export async function commitChange(ctx: Context, change: Change): Promise<Revision | undefined> {
  const model = await ctx.model();
  const warnings = validateState(model, change.after, change.changed);
  for (const w of warnings) ctx.warn(formatDiagnostic(w).replace(/^(.*?)warning: /, "$1"));
  const diff = resourceDiff(model, change.before, change.after);
  if (change.dryRun) {
    if (ctx.output === "json") ctx.json({ dryRun: true, changed: change.changed, diff });
    else {
      ctx.out(diff ? colorDiff(ctx, diff) : "no changes");
      ctx.say(`dry run: nothing stored (would be: ${change.message})`);
    }
    return undefined;
  }
  const store = await ctx.store();
  for (const step of change.beforeStore ?? []) await step(store);
  const rev = await store.putRevision({ resources: change.after, author: ctx.author, message: change.message, source: { type: "cli" } });
  await store.audit({ actor: ctx.author, action: "revision.create", target: rev.hash, detail: { seq: rev.seq, message: change.message, changed: change.changed } });
  if (ctx.output === "json") ctx.json({ revision: { seq: rev.seq, hash: rev.hash }, changed: change.changed, message: change.message });
  else ctx.say(`${change.message}: revision #${rev.seq} ${rev.hash.slice(0, 12)}`);
  return rev;
}

/** A revision reference ("#3", "3", "head", "applied", a hash prefix), resolved the engine's way. */
export function revisionOf(store: Store, ref: string): Promise<Revision> {
  return resolveRevision(store, ref);
}
