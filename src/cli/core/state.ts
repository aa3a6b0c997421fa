// The desired state as the CLI edits it: read the head revision, change a copy, validate the
// whole new state through the model, show the change, and store it as a new revision whose
// parent is that head, redoing the edit on the new head when another writer got there first.
import { formatDiagnostic } from "../../diag.js";
import type { Resource } from "../../model/schema.js";
import { addressOf, editHead, type Edit as EditFn, type EditChange } from "../../engine/edit.js";
import type { Revision, Store } from "../../store/store.js";
import type { Context, Model } from "./context.js";
import { unifiedDiff } from "./unidiff.js";
import { resolveRevision } from "../../engine/revision-ref.js";

export { addressOf, find, mustFind, checkShape, validateState } from "../../engine/edit.js";

export async function headResources(store: Store): Promise<{ head?: Revision; resources: Resource[] }> {
  const head = await store.head();
  return { head, resources: head?.resources ?? [] };
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

export type Change = EditChange;
export type Edit = EditFn;

/**
 * The CLI's edit: run through the engine's editHead (validate, store on the head, redo on a newer
 * head), then print what happened: the diff of a dry run, or the revision stored.
 */
export async function commitEdit(ctx: Context, edit: Edit): Promise<Revision | undefined> {
  const model = await ctx.model();
  // Remote mode: the server's store, which stores the edit only on the head it was made on.
  const out = await editHead(model, await ctx.store(), edit, { author: ctx.author, source: { type: "cli" } });
  if (out.status === "unchanged") return undefined;
  const { change, warnings } = out;
  for (const n of change.notes ?? []) ctx.say(n);
  for (const w of warnings) ctx.warn(formatDiagnostic(w).replace(/^(.*?)warning: /, "$1"));
  if (out.status === "dry-run") {
    const diff = resourceDiff(model, out.before, change.after);
    if (ctx.output === "json") ctx.json({ dryRun: true, changed: change.changed, diff });
    else {
      ctx.out(diff ? colorDiff(ctx, diff) : "no changes");
      ctx.say(`dry run: nothing stored (would be: ${change.message})`);
    }
    return undefined;
  }
  const rev = out.revision;
  if (ctx.output === "json") ctx.json({ revision: { seq: rev.seq, hash: rev.hash }, changed: change.changed, message: change.message });
  else ctx.say(`${change.message}: revision #${rev.seq} ${rev.hash.slice(0, 12)}`);
  return rev;
}

/** A revision reference ("#3", "3", "head", "applied", a hash prefix), resolved the engine's way. */
export function revisionOf(store: Store, ref: string): Promise<Revision> {
  return resolveRevision(store, ref);
}
