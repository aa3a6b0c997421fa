// Revision references as operators write them, resolved in one place for every surface and the
// engine: "head", "applied", "#N", "N", or a hash prefix (4+ hex characters).
import { HecateError } from "../diag.js";
import type { Revision, Store } from "../store/store.js";

/** The words every command accepts besides numbers and hashes (help texts list them). */
export const REVISION_REF_HELP = "head, applied, #N, N or a hash prefix";

/** The revision `ref` names; a HecateError saying why when there is none. */
export async function resolveRevision(store: Store, ref: string): Promise<Revision> {
  const word = ref.trim().toLowerCase();
  if (word === "head") {
    const head = await store.head();
    if (!head) throw new HecateError("no-revision", "there are no revisions yet: create a resource or `hecate apply DIR` first", { status: 404 });
    return head;
  }
  if (word === "applied") {
    const applied = await store.lastApplied();
    if (!applied) throw new HecateError("no-revision", "nothing has been applied yet, so there is no applied revision", { status: 404 });
    return applied;
  }
  const rev = await store.getRevision(ref);
  if (!rev) throw new HecateError("unknown-revision", `no revision "${ref}" (refer to one as ${REVISION_REF_HELP}; see \`hecate history\`)`, { status: 404 });
  return rev;
}
