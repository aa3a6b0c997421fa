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

/** Where an edit runs: the head's seq, and how many edits of the same commit ran before it on that head. */
export interface EditBase {
  seq: number;
  /** Edits of the same group commit applied before this one (0: the resources are the head as stored). */
  pending: number;
}

/**
 * An edit as a function of the head's resources: it looks things up, checks (exists, not found,
 * referenced, a stale ETag) and builds the new state, so it can be run again on a newer head.
 * Returns undefined when there is nothing to store.
 */
export type Edit = (resources: Resource[], base: EditBase) => Promise<EditChange | undefined>;

export type EditOutcome =
  | { status: "unchanged" }
  | { status: "dry-run"; before: Resource[]; change: EditChange; warnings: Diagnostic[] }
  | { status: "stored"; before: Resource[]; revision: Revision; change: EditChange; warnings: Diagnostic[] };

export interface EditOptions {
  /** Revision author and audit actor. */
  author: string;
  source: RevisionSource;
}

/** One edit of a group commit: who makes it, from where (the API client's address). */
export interface EditRequest {
  edit: Edit;
  author: string;
  address?: string;
}

/** What became of one edit of a group commit: its outcome, or the error that refused it alone. */
export type Settled = { ok: true; outcome: EditOutcome } | { ok: false; error: unknown };

/** Attempts before giving up on a head that other writers keep moving. */
export const EDIT_ATTEMPTS = 12;

/** Full jitter, doubling up to a second: writers that collided spread out instead of colliding again. */
const backoff = (attempt: number) => Math.random() * Math.min(1000, 25 * 2 ** attempt);

/** Where an edit is stored: the store, or (the CLI's remote mode) a server that stores it on its own. */
export type EditStore = Pick<Store, "head" | "putRevision" | "audit">;

/**
 * Run the edit on the head, validate, then return it (dry run) or store it as a revision whose
 * parent is that head. When another writer stored a revision in between (head-moved), read the
 * new head and run the edit again, so no other writer's change is lost; after EDIT_ATTEMPTS, fail.
 */
export async function editHead(model: EditModel, store: EditStore, edit: Edit, opts: EditOptions): Promise<EditOutcome> {
  const [r] = await commitEdits(model, store, [{ edit, author: opts.author }], opts.source);
  if (!r!.ok) throw r!.error;
  return r!.outcome;
}

/** A revision message for several edits: theirs, in order (the audit log keeps each one whole). */
function groupMessage(messages: string[]): string {
  if (messages.length === 1) return messages[0]!;
  const shown = messages.slice(0, 5).join("; ");
  return messages.length > 5 ? `${shown}; and ${messages.length - 5} more` : shown;
}

/**
 * Group commit: several edits (of one author), in order, stored as ONE revision on the head. Each
 * edit runs on the state the ones before it left (its checks, If-Match included, see their
 * changes); an edit that throws is refused alone. The resulting state is validated once, so N
 * concurrent writers cost one validation, one revision write and one sync instead of N. When that
 * state is not valid, the edits are committed one by one instead, so exactly the edits that make
 * it invalid are refused, each with its own errors. head-moved (another process wrote in between)
 * redoes them all on the new head.
 */
export async function commitEdits(model: EditModel, store: EditStore, reqs: readonly EditRequest[], source: RevisionSource): Promise<Settled[]> {
  const author = reqs[0]?.author ?? "";
  if (reqs.some((r) => r.author !== author)) throw new Error("commitEdits: one author per group commit");
  for (let attempt = 1; ; attempt++) {
    const head = await store.head();
    const seq = head?.seq ?? 0;
    let running = head?.resources ?? [];
    const settled: Settled[] = [];
    const taken: { i: number; before: Resource[]; change: EditChange; shape: Diagnostic[] }[] = [];
    for (const [i, req] of reqs.entries()) {
      try {
        const change = await req.edit(running, { seq, pending: taken.length });
        if (!change) {
          settled[i] = { ok: true, outcome: { status: "unchanged" } };
          continue;
        }
        if (change.dryRun) {
          settled[i] = { ok: true, outcome: { status: "dry-run", before: running, change, warnings: validateState(model, change.after, change.changed) } };
          continue;
        }
        const shape = change.after.filter((r) => change.changed.includes(addressOf(r))).flatMap((r) => checkShape(model, r));
        if (hasErrors(shape)) throw invalid(shape);
        taken.push({ i, before: running, change, shape });
        running = change.after;
      } catch (e) {
        settled[i] = { ok: false, error: e };
      }
    }
    if (!taken.length) return settled;
    const { diagnostics } = model.resolveState(running);
    if (hasErrors(diagnostics)) {
      const errors = diagnostics.filter((d) => d.severity === "error");
      if (taken.length === 1) {
        settled[taken[0]!.i] = { ok: false, error: invalid(errors) };
        return settled;
      }
      // Which of them made it invalid: commit them one by one (rare: a request with a bad reference or a clash).
      const one: Settled[] = [];
      for (const t of taken) one.push((await commitEdits(model, store, [reqs[t.i]!], source))[0]!);
      taken.forEach((t, k) => (settled[t.i] = one[k]!));
      return settled;
    }
    try {
      for (const t of taken) for (const step of t.change.beforeStore ?? []) await step(store as Store);
      const revision = await store.putRevision({ resources: running, author, message: groupMessage(taken.map((t) => t.change.message)), source, expectedParent: seq });
      await store.audit(
        taken.map((t) => ({
          actor: author,
          action: "revision.create",
          target: revision.hash,
          detail: { seq: revision.seq, message: t.change.message, changed: t.change.changed },
          ...(reqs[t.i]!.address ? { address: reqs[t.i]!.address } : {}),
        })),
      );
      for (const t of taken) {
        const warnings = diagnostics.filter((d) => !d.address || t.change.changed.includes(d.address));
        settled[t.i] = { ok: true, outcome: { status: "stored", before: t.before, revision, change: t.change, warnings } };
      }
      return settled;
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
    }
  }
}

/**
 * The server's writes: edits wait in one queue, first in first out, and whatever arrived while a
 * commit ran is committed next, together (commitEdits), in a turn of the event loop of its own.
 * Request handlers only enqueue, so the loop stays free to read requests and accept connections
 * while a commit runs.
 */
export class EditQueue {
  private waiting: { req: EditRequest; settle: (s: Settled) => void }[] = [];
  private busy = false;

  constructor(
    private readonly model: EditModel,
    private readonly store: EditStore,
    private readonly source: RevisionSource,
    private readonly maxBatch = 500,
  ) {}

  async submit(req: EditRequest): Promise<EditOutcome> {
    const s = await new Promise<Settled>((settle) => {
      this.waiting.push({ req, settle });
      this.kick();
    });
    if (!s.ok) throw s.error;
    return s.outcome;
  }

  private kick(): void {
    if (this.busy || !this.waiting.length) return;
    this.busy = true;
    setImmediate(() => void this.drain());
  }

  private async drain(): Promise<void> {
    // The oldest edit and those right behind it by the same author (a revision has one author).
    const author = this.waiting[0]!.req.author;
    let n = 0;
    while (n < this.waiting.length && n < this.maxBatch && this.waiting[n]!.req.author === author) n++;
    const batch = this.waiting.splice(0, n);
    try {
      const settled = await commitEdits(this.model, this.store, batch.map((b) => b.req), this.source);
      batch.forEach((b, i) => b.settle(settled[i]!));
    } catch (e) {
      for (const b of batch) b.settle({ ok: false, error: e });
    } finally {
      this.busy = false;
      this.kick();
    }
  }
}
