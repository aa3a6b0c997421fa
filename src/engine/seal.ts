// Undo data that may hold secret values (a Caddy node's whole previous config: password hashes,
// private keys, other apps' credentials) is kept in the store's encrypted secret table; the
// journal, which backups carry, only names it. Dropped once the apply has ended.
import type { StepRecord, SystemName } from "../providers/provider.js";
import type { Fence, Store } from "../store/store.js";

const PREFIX = "hecate.journal/";

export function sealName(applyId: string, system: SystemName | string): string {
  return `${PREFIX}${applyId}/${system}`;
}

/** Journal data for a finished step: the record itself, or a reference to its sealed undo data. */
/** `fence`: the apply lock's, so a holder that lost the lock cannot seal undo data any more. */
export async function journalData(store: Store, applyId: string, system: SystemName, record: StepRecord, fence?: Fence): Promise<unknown> {
  if (!record.sensitive) return record;
  const name = sealName(applyId, system);
  await store.putSecret(name, JSON.stringify(record.undo), fence);
  const { undo: _undo, ...rest } = record;
  return { ...rest, sealed: name };
}

/** The record as apply returned it, unsealing undo data kept encrypted. */
export async function unsealRecord(store: Store, data: unknown): Promise<StepRecord | undefined> {
  if (!data || typeof data !== "object") return undefined;
  const d = data as StepRecord & { sealed?: string };
  if (!d.sealed) return d;
  const text = await store.getSecret(d.sealed);
  if (text === undefined) return undefined; // already dropped: the caller falls back to the previous revision
  const { sealed: _s, ...rest } = d;
  return { ...rest, undo: JSON.parse(text) as unknown };
}

/** Forget the sealed undo data of an apply that has ended. */
export async function dropSealed(store: Store, applyId: string, fence?: Fence): Promise<void> {
  const mine = (await store.listSecrets()).filter((n) => n.startsWith(`${PREFIX}${applyId}/`));
  for (const n of mine) await store.deleteSecret(n, fence);
}

export function isSealName(name: string): boolean {
  return name.startsWith(PREFIX);
}
