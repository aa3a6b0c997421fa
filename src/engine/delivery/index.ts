// Carrying out a delivery edit (canary, switch, disable, block, bypass, their expiries): applied at
// once through the usual transaction as a new revision, and audited. The edit is made to what is
// live (the last applied revision); when the head holds changes not applied yet, they stay the
// head, with the same edit made to them too, so neither the emergency nor the pending work is lost.
import { HecateError } from "../../diag.js";
import type { Resource } from "../../model/schema.js";
import type { RevisionSource } from "../../store/store.js";
import type { Engine } from "../engine.js";
import type { ApplyOptions, ApplyResult } from "../types.js";
import type { Edited } from "./edits.js";

export interface DeliveryMeta {
  /** Audit action, e.g. "canary.start", "block.expire". */
  action: string;
  /** What it acts on (route name, address). */
  target: string;
  detail?: Record<string, unknown>;
  source?: RevisionSource;
  apply?: ApplyOptions;
}

export interface Delivered {
  message: string;
  result: ApplyResult;
  /** The edit made to the unapplied head too (its new revision), when there was one. */
  pending?: string;
}

export async function deliver(engine: Engine, edit: (resources: Resource[]) => Edited, meta: DeliveryMeta): Promise<Delivered> {
  const store = engine.store;
  const applied = await store.lastApplied();
  const head = await store.head();
  const base = applied ?? head;
  if (!base) throw new HecateError("no-revision", "nothing is stored yet: create or apply routes first", { status: 404 });
  const live = edit(base.resources);
  const actor = meta.apply?.actor ?? engine.actor;
  const result = await engine.apply(
    { resources: live.after },
    // One targeted edit: what it removes (a bypassed route's forward-auth objects, a promoted
    // pool's proxy) is its point, so the delete limit meant for whole-state applies does not hold it up.
    { maxDeletes: Number.MAX_SAFE_INTEGER, ...meta.apply, resources: live.after, commit: { message: live.message, source: meta.source ?? { type: "cli" } } },
  );
  if (meta.apply?.dryRun || (result.status !== "succeeded" && result.status !== "no-op")) return { message: live.message, result };
  const out: Delivered = { message: live.message, result };
  if (applied && head && head.hash !== applied.hash) {
    const top = await store.head();
    try {
      const pending = edit(head.resources);
      const rev = await store.putRevision({ resources: pending.after, author: actor, message: `${pending.message} (on the unapplied head #${head.seq})`, source: meta.source ?? { type: "cli" }, expectedParent: top?.seq ?? 0 });
      out.pending = rev.hash;
    } catch (e) {
      // The head no longer has what the edit touches: what is live has the change, which is what counts.
      out.pending = `not carried over: ${(e as Error).message}`;
    }
  }
  await store.audit({ actor, action: meta.action, target: meta.target, detail: { ...meta.detail, message: live.message, revision: result.revision, ...(out.pending ? { pending: out.pending } : {}) } });
  return out;
}
