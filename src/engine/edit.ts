// Editing the desired state, for every surface (CLI verbs, API resource endpoints): an edit is a
// function of the head's resources; it runs on the head, the whole new state is validated, and it
// is stored as a revision whose parent is that head, redone on the newer head when another writer
// got there first, and audited. The model comes in as a parameter so the CLI can keep loading it
// lazily (this module imports types only).
import { HecateError, hasErrors, type Diagnostic } from "../diag.js";
import type { Where } from "../model/check.js";
import type { Kind, Resource } from "../model/schema.js";
import type { Revision, RevisionSource, Store } from "../store/store.js";

/** The parts of src/model the edits need (the CLI's Model and the server pass the module). */
export interface EditModel {
  checkDocument(raw: unknown, where: Where): { diagnostics: Diagnostic[] };
  resolveState(resources: Resource[]): { diagnostics: Diagnostic[] };
  referrers(all: readonly Resource[], kind: Kind, name: string): { kind: Kind; name: string }[];
}

export const addressOf = (r: { kind: string; metadata: { name: string } }) => `${r.kind}/${r.metadata.name}`;

export function find(resources: readonly Resource[], kind: Kind, name: string): Resource | undefined {
  return resources.find((r) => r.kind === kind && r.metadata.name === name);
}

/** The words a kind goes by (the CLI's nouns), for messages that name it as operators do. */
export interface KindWords {
  kind: Kind;
  noun: string;
  /** Another way to name an existing resource when no resource has that name (a route: a host). */
  findOther?(resources: readonly Resource[], word: string): Resource | undefined;
}

/** By name, or by whatever else the noun accepts as a name (a route: one of its hosts). */
export function mustFind(resources: readonly Resource[], noun: KindWords, name: string): Resource {
  const r = find(resources, noun.kind, name) ?? noun.findOther?.(resources, name);
  if (!r) throw new HecateError("not-found", `${noun.noun} "${name}" does not exist (see \`hecate list ${noun.noun}\`)`, { status: 404 });
  return r;
}

/** Refused when a resource of that kind and name is already there. */
export function mustBeNew(resources: readonly Resource[], noun: KindWords, name: string): void {
  if (find(resources, noun.kind, name)) {
    throw new HecateError("exists", `${noun.noun} "${name}" already exists (use \`hecate update ${noun.noun} ${name}\`)`, { status: 409 });
  }
}

/** Shape check of one resource (readable messages, the field named). */
export function checkShape(model: EditModel, r: unknown, where: Where = {}): Diagnostic[] {
  const address = r && typeof r === "object" && "kind" in r && "metadata" in r ? addressOf(r as Resource) : undefined;
  return model.checkDocument(r, { ...(address ? { address } : {}), ...where }).diagnostics;
}

/** Validates the whole state; throws HecateError("invalid") with every error at once; returns the changed resources' warnings. */
export function validateState(model: EditModel, resources: Resource[], changed: string[]): Diagnostic[] {
  const shape = resources.filter((r) => changed.includes(addressOf(r))).flatMap((r) => checkShape(model, r));
  if (hasErrors(shape)) throw invalid(shape);
  const { diagnostics } = model.resolveState(resources);
  if (hasErrors(diagnostics)) throw invalid(diagnostics.filter((d) => d.severity === "error"));
  return diagnostics.filter((d) => !d.address || changed.includes(d.address));
}

export function invalid(diags: Diagnostic[]): HecateError {
  return new HecateError("invalid", `the change is not valid (${diags.length} error${diags.length === 1 ? "" : "s"})`, { diagnostics: diags });
}

/** The resources that refer to `target` (the model decides what a reference is). */
export function referrersOf(model: EditModel, all: readonly Resource[], target: Resource): Resource[] {
  return model
    .referrers(all, target.kind, target.metadata.name)
    .map((ref) => all.find((r) => r.kind === ref.kind && r.metadata.name === ref.name))
    .filter((r): r is Resource => r !== undefined && r !== target);
}

/** target plus everything that refers to it, transitively, referrers first. */
export function closure(model: EditModel, all: readonly Resource[], target: Resource): Resource[] {
  const seen = new Set<Resource>([target]);
  const queue = [target];
  while (queue.length) {
    for (const r of referrersOf(model, all, queue.shift()!)) {
      if (!seen.has(r)) {
        seen.add(r);
        queue.push(r);
      }
    }
  }
  return [...seen];
}

/**
 * What deleting `target` removes: itself, or with cascade everything referring to it too; refused
 * (409 "referenced") while others refer to it and cascade is off.
 */
export function deletion(model: EditModel, resources: readonly Resource[], noun: KindWords, target: Resource, cascade: boolean, word = target.metadata.name): Resource[] {
  const direct = referrersOf(model, resources, target);
  if (direct.length && !cascade) {
    const list = direct.map(addressOf).join(", ");
    throw new HecateError("referenced", `${noun.noun} "${word}" is referenced by ${list}; change those first or use --cascade to delete them too`, { status: 409 });
  }
  return cascade ? closure(model, resources, target) : [target];
}

export interface EditChange {
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
 * An edit as a function of the head's resources: it looks things up, checks (exists, not found,
 * referenced, a stale ETag) and builds the new state, so it can be run again on a newer head.
 * Returns undefined when there is nothing to store.
 */
export type Edit = (resources: Resource[]) => Promise<EditChange | undefined>;

export type EditOutcome =
  | { status: "unchanged" }
  | { status: "dry-run"; before: Resource[]; change: EditChange; warnings: Diagnostic[] }
  | { status: "stored"; before: Resource[]; revision: Revision; change: EditChange; warnings: Diagnostic[] };

export interface EditOptions {
  /** Revision author and audit actor. */
  author: string;
  source: RevisionSource;
}

/** Attempts before giving up on a head that other writers keep moving. */
export const EDIT_ATTEMPTS = 12;

/** Full jitter, doubling up to a second: writers that collided spread out instead of colliding again. */
const backoff = (attempt: number) => Math.random() * Math.min(1000, 25 * 2 ** attempt);

/**
 * Run the edit on the head, validate, then return it (dry run) or store it as a revision whose
 * parent is that head. When another writer stored a revision in between (head-moved), read the
 * new head and run the edit again, so no other writer's change is lost; after EDIT_ATTEMPTS, fail.
 */
/** Where an edit is stored: the store, or (the CLI's remote mode) a server that stores it on its own. */
export type EditStore = Pick<Store, "head" | "putRevision" | "audit">;

export async function editHead(model: EditModel, store: EditStore, edit: Edit, opts: EditOptions): Promise<EditOutcome> {
  for (let attempt = 1; ; attempt++) {
    const head = await store.head();
    const before = head?.resources ?? [];
    const change = await edit(before);
    if (!change) return { status: "unchanged" };
    const warnings = validateState(model, change.after, change.changed);
    if (change.dryRun) return { status: "dry-run", before, change, warnings };
    for (const step of change.beforeStore ?? []) await step(store as Store);
    let revision: Revision;
    try {
      revision = await store.putRevision({ resources: change.after, author: opts.author, message: change.message, source: opts.source, expectedParent: head?.seq ?? 0 });
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
    await store.audit({ actor: opts.author, action: "revision.create", target: revision.hash, detail: { seq: revision.seq, message: change.message, changed: change.changed } });
    return { status: "stored", before, revision, change, warnings };
  }
}
