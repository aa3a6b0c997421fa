// Rotation of a Secret kept in the store, with a grace window: the new value is the secret's value
// at once, the old one is kept sealed as `previous/NAME` and accepted beside it (route basic auth
// compiles both into Caddy) until the window ends; then the reconcile loop removes it (audited).
// What is audited names the secret and the window, never a value.
import { HecateError } from "../diag.js";
import type { Store } from "../store/store.js";

/** The store setting listing the grace windows open now: {NAME: Grace}. */
export const GRACES_KEY = "secret.graces";
import { previousName } from "../secret.js";
export { previousName, previousRef } from "../secret.js";

export interface Grace {
  rotatedAt: string;
  until: string;
  by: string;
}

export async function listGraces(store: Pick<Store, "getSetting">): Promise<Record<string, Grace>> {
  const raw = await store.getSetting(GRACES_KEY);
  return raw ? (JSON.parse(raw) as Record<string, Grace>) : {};
}

/** The store setting {NAME: rotatedAt} of every rotation: compiled config shows it (not the value), so a new value is a change the plan sees. */
export const VERSIONS_KEY = "secret.versions";

/** Names of the secrets whose old value is still accepted at `now`. */
export async function openGraces(store: Pick<Store, "getSetting">, now = Date.now()): Promise<Map<string, string>> {
  const all = await listGraces(store);
  return new Map(Object.entries(all).filter(([, g]) => Date.parse(g.until) > now).map(([n, g]) => [n, g.until]));
}

/** When each rotated secret was last rotated. */
export async function secretVersions(store: Pick<Store, "getSetting">): Promise<Map<string, string>> {
  const raw = await store.getSetting(VERSIONS_KEY);
  return new Map(Object.entries(raw ? (JSON.parse(raw) as Record<string, string>) : {}));
}

export interface RotateResult {
  name: string;
  rotatedAt: string;
  /** Absent when the old value was dropped at once (no grace). */
  graceUntil?: string;
}

/**
 * Make `value` the secret's value; the old one stays accepted for `graceMs` (0: dropped at once).
 * A rotation during an open window replaces the window: the value before is what is kept.
 */
export async function rotateStoreSecret(
  store: Store,
  name: string,
  value: string,
  opts: { graceMs: number; actor: string; reason?: string; now?: number; /** What the audit log names (default secret.rotate of Secret/NAME). */ audit?: { action: string; target: string } },
): Promise<RotateResult> {
  const old = await store.getSecret(name);
  if (old === undefined) throw new HecateError("secret-unresolved", `Secret/${name} has no value in the store yet: set one with \`hecate update secret ${name} --value-from ...\``);
  if (old === value) throw new HecateError("secret-unchanged", `the new value of Secret/${name} is the one it has now`);
  const now = opts.now ?? Date.now();
  const rotatedAt = new Date(now).toISOString();
  const graces = await listGraces(store);
  let graceUntil: string | undefined;
  if (opts.graceMs > 0) {
    graceUntil = new Date(now + opts.graceMs).toISOString();
    await store.putSecret(previousName(name), old);
    graces[name] = { rotatedAt, until: graceUntil, by: opts.actor };
  } else {
    await store.deleteSecret(previousName(name));
    delete graces[name];
  }
  await store.putSecret(name, value);
  await store.setSetting(GRACES_KEY, Object.keys(graces).length ? JSON.stringify(graces) : undefined);
  await store.setSetting(lastRotatedKey(name), rotatedAt);
  await store.setSetting(VERSIONS_KEY, JSON.stringify({ ...Object.fromEntries(await secretVersions(store)), [name]: rotatedAt }));
  await store.audit({ actor: opts.actor, action: opts.audit?.action ?? "secret.rotate", target: opts.audit?.target ?? `Secret/${name}`, detail: { ...(graceUntil ? { graceUntil } : { grace: "none" }), ...(opts.reason ? { reason: opts.reason } : {}) } });
  return { name, rotatedAt, ...(graceUntil ? { graceUntil } : {}) };
}

/** When the secret was last rotated (or undefined: never by Hecate). */
export const lastRotatedKey = (name: string) => `secret.rotated.${name}`;

/** Close every window past its end: the old value removed from the store, audited. Returns the names closed. */
export async function endGraces(store: Store, actor: string, now = Date.now()): Promise<string[]> {
  const graces = await listGraces(store);
  const ended = Object.entries(graces).filter(([, g]) => Date.parse(g.until) <= now);
  if (!ended.length) return [];
  for (const [name, g] of ended) {
    await store.deleteSecret(previousName(name));
    delete graces[name];
    await store.audit({ actor, action: "secret.grace-end", target: `Secret/${name}`, detail: { rotatedAt: g.rotatedAt, until: g.until } });
  }
  await store.setSetting(GRACES_KEY, Object.keys(graces).length ? JSON.stringify(graces) : undefined);
  return ended.map(([n]) => n);
}
