// Undo data that may hold secret values (a Caddy node's whole previous config: password hashes,
// private keys, other apps' credentials) is kept in the store's encrypted secret table; the
// journal, which backups carry, only names it. Dropped once the apply has ended.
import type { ChangeRecord } from "../providers/provider.js";
import type { Fence, Store } from "../store/store.js";

const PREFIX = "hecate.journal/";

export function sealName(applyId: string, n: number): string {
  return `${sealPrefix(applyId)}${n}`;
}

/** Every sealed name of one apply starts with this. */
export function sealPrefix(applyId: string): string {
  return `${PREFIX}${applyId}/`;
}

/**
 * A change record as the journal keeps it: itself, or with its undo data sealed away. `fence`:
 * the apply lock's, so a holder that lost the lock cannot seal undo data any more.
 */
export async function sealRecord(store: Store, applyId: string, n: number, record: ChangeRecord, fence?: Fence): Promise<unknown> {
  if (!record.sensitive) return record;
  const name = sealName(applyId, n);
  await store.putSecret(name, JSON.stringify(record.undo), fence);
  const { undo: _undo, ...rest } = record;
  return { ...rest, sealed: name };
}

/** The record as the provider reported it, unsealing undo data kept encrypted. */
export async function unsealRecord(store: Store, data: unknown): Promise<ChangeRecord | undefined> {
  if (!data || typeof data !== "object") return undefined;
  const d = data as ChangeRecord & { sealed?: string };
  if (!d.sealed) return d;
  const text = await store.getSecret(d.sealed);
  if (text === undefined) return undefined; // already dropped: the restore pass falls back to the previous revision
  const { sealed: _s, ...rest } = d;
  return { ...rest, undo: JSON.parse(text) as unknown };
}

/** Forget the sealed undo data of an apply that has ended. */
export async function dropSealed(store: Store, applyId: string, fence?: Fence): Promise<void> {
  const mine = (await store.listSecrets()).filter((n) => n.startsWith(sealPrefix(applyId)));
  for (const n of mine) await store.deleteSecret(n, fence);
}

export function isSealName(name: string): boolean {
  return name.startsWith(PREFIX);
}
