// The desired state as the CLI edits it: read the head revision, change a copy, validate the
// whole new state through the model, show the change, and store it as a new revision whose
// parent is that head, redoing the edit on the new head when another writer got there first.
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
  after: Resource[];
  /** Addresses created, updated or deleted (for warnings and the audit entry). */
  changed: string[];
  message: string;
  dryRun?: boolean;
  beforeStore?: Array<(store: Store) => Promise<void>>;
  /** Said once, before the outcome (not once per attempt). */
  notes?: string[];
}

/**
 * A CLI edit as a function of the head's resources: it looks things up, checks (exists, not
 * found, referenced) and builds the new state, so it can be run again on a newer head. Returns
 * undefined when there is nothing to store (it has said why).
 */
export type Edit = (resources: Resource[]) => Promise<Change | undefined>;

/** Attempts before giving up on a head that other writers keep moving. */
export const EDIT_ATTEMPTS = 12;

/** Full jitter, doubling up to a second: writers that collided spread out instead of colliding again. */
const backoff = (attempt: number) => Math.random() * Math.min(1000, 25 * 2 ** attempt);

/**
 * Run the edit on the head, validate, then print (dry run) or store it as a revision whose parent
 * is that head. When another writer stored a revision in between (head-moved), read the new head
 * and run the edit again, so no other writer's change is lost; after EDIT_ATTEMPTS, fail.
 */
export async function commitEdit(ctx: Context, edit: Edit): Promise<Revision | undefined> {
  const model = await ctx.model();
  const store = await ctx.store();
  for (let attempt = 1; ; attempt++) {
    const head = await store.head();
    const before = head?.resources ?? [];
    const change = await edit(before);
    if (!change) return undefined;
    const warnings = validateState(model, change.after, change.changed);
    const report = () => {
      for (const n of change.notes ?? []) ctx.say(n);
      for (const w of warnings) ctx.warn(formatDiagnostic(w).replace(/^(.*?)warning: /, "$1"));
    };
    if (change.dryRun) {
      report();
      const diff = resourceDiff(model, before, change.after);
      if (ctx.output === "json") ctx.json({ dryRun: true, changed: change.changed, diff });
      else {
        ctx.out(diff ? colorDiff(ctx, diff) : "no changes");
        ctx.say(`dry run: nothing stored (would be: ${change.message})`);
      }
      return undefined;
    }
    for (const step of change.beforeStore ?? []) await step(store);
    let rev: Revision;
    try {
      rev = await store.putRevision({ resources: change.after, author: ctx.author, message: change.message, source: { type: "cli" }, expectedParent: head?.seq ?? 0 });
    } catch (e) {
      if (!(e instanceof HecateError) || e.code !== "head-moved") throw e;
      if (attempt >= EDIT_ATTEMPTS) {
        throw new HecateError(
          "head-moved",
          `nothing stored: another writer kept changing the head (${EDIT_ATTEMPTS} attempts, last: ${e.message}); run the command again`,
          { status: 409, cause: e },
        );
      }
      await new Promise((r) => setTimeout(r, backoff(attempt)));
      continue;
    }
    report();
    await store.audit({ actor: ctx.author, action: "revision.create", target: rev.hash, detail: { seq: rev.seq, message: change.message, changed: change.changed } });
    if (ctx.output === "json") ctx.json({ revision: { seq: rev.seq, hash: rev.hash }, changed: change.changed, message: change.message });
    else ctx.say(`${change.message}: revision #${rev.seq} ${rev.hash.slice(0, 12)}`);
    return rev;
  }
}

/** A revision reference ("#3", "3", "head", "applied", a hash prefix), resolved the engine's way. */
export function revisionOf(store: Store, ref: string): Promise<Revision> {
  return resolveRevision(store, ref);
}
