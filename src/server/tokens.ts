// API tokens: `hct_<id>_<secret>`. The id names the stored row; only sha256 of the secret is kept
// (the secret is 32 random bytes, so a plain hash is enough) and it is compared in constant time.
// A rotation gives the token a new secret (same id, name and scope); the old secret's hash stays
// beside it until its grace window ends, when the reconcile loop's upkeep (or the first
// authentication after the end, whichever comes first) removes it.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { HecateError, UsageError } from "../diag.js";
import type { Store, TokenRecord, TokenScope } from "../store/store.js";

/** Who closes a grace window found ended at authentication time, as the audit log names it. */
const SYSTEM_ACTOR = "hecate";

export const SCOPES: readonly TokenScope[] = ["read", "write", "admin"];

/** admin can do what write can, write what read can. */
export function scopeAllows(has: TokenScope, needs: TokenScope): boolean {
  return SCOPES.indexOf(has) >= SCOPES.indexOf(needs);
}

const sha256 = (s: string) => createHash("sha256").update(s).digest();

/** "30d", "12h", "90m" (or "never") as an expiry time from `now`. */
export function expiryOf(text: string | undefined, now = Date.now()): string | undefined {
  if (text === undefined || text === "never") return undefined;
  const m = /^(\d+)(m|h|d)$/.exec(text.trim());
  if (!m || Number(m[1]) === 0) throw new UsageError(`--expires expects a duration like 30d, 12h or 90m (or never), got "${text}"`);
  const ms = Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "m" | "h" | "d"];
  return new Date(now + ms).toISOString();
}

/** Make a token and store its hash; the returned secret is shown once and never again. */
export async function createToken(store: Store, opts: { name: string; scope: TokenScope; expires?: string; createdBy: string }): Promise<{ token: string; record: TokenRecord }> {
  if (!SCOPES.includes(opts.scope)) throw new UsageError(`--scope must be one of ${SCOPES.join(", ")}, got "${opts.scope}"`);
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,62}$/.test(opts.name)) {
    throw new UsageError(`token name "${opts.name}" must be 1-63 letters, digits, '.', '_', '@' or '-', starting with a letter or digit`);
  }
  const id = randomBytes(9).toString("base64url");
  const secret = randomBytes(32).toString("base64url");
  const expiresAt = expiryOf(opts.expires);
  const record = await store.putToken({ id, name: opts.name, scope: opts.scope, hash: sha256(secret).toString("hex"), createdBy: opts.createdBy, ...(expiresAt ? { expiresAt } : {}) });
  await store.audit({ actor: opts.createdBy, action: "token.create", target: opts.name, detail: { scope: opts.scope, ...(expiresAt ? { expiresAt } : {}) } });
  return { token: printed(id, secret), record };
}

export async function revokeToken(store: Store, nameOrId: string, actor: string): Promise<TokenRecord> {
  const t = await store.revokeToken(nameOrId);
  if (!t) throw new HecateError("not-found", `token "${nameOrId}" does not exist (see \`hecate token list\`)`, { status: 404 });
  await store.audit({ actor, action: "token.revoke", target: t.name });
  return t;
}

/** Both parts of a token as printed once. */
const printed = (id: string, secret: string) => `hct_${id}_${secret}`;

/** A token with its hashes left out, as shown anywhere (API answers, `token list -o json`). */
export function shownToken({ hash: _h, previousHash: _p, ...t }: TokenRecord): Omit<TokenRecord, "hash" | "previousHash"> {
  return t;
}

/**
 * A new secret for a token (same id, name and scope), shown once. The old secret stays accepted
 * for `graceMs` (0: refused at once); a rotation during an open window ends that window at once
 * (the secret before is what is kept). Revoked and expired tokens are refused: make a new one.
 */
export async function rotateToken(store: Store, nameOrId: string, opts: { graceMs: number; actor: string; now?: number }): Promise<{ token: string; record: TokenRecord }> {
  const now = opts.now ?? Date.now();
  const current = (await store.listTokens()).find((t) => t.name === nameOrId || t.id === nameOrId);
  if (!current) throw new HecateError("not-found", `token "${nameOrId}" does not exist (see \`hecate token list\`)`, { status: 404 });
  if (current.revokedAt) throw new HecateError("token-revoked", `token "${current.name}" was revoked at ${current.revokedAt}: make a new one with \`hecate token create\``, { status: 409 });
  if (current.expiresAt && Date.parse(current.expiresAt) <= now) throw new HecateError("token-expired", `token "${current.name}" expired at ${current.expiresAt}: make a new one with \`hecate token create\``, { status: 409 });
  const secret = randomBytes(32).toString("base64url");
  const rotatedAt = new Date(now).toISOString();
  const previousUntil = opts.graceMs > 0 ? new Date(now + opts.graceMs).toISOString() : undefined;
  const record = await store.setTokenSecret(current.id, current, {
    hash: sha256(secret).toString("hex"),
    rotatedAt,
    ...(previousUntil ? { previousHash: current.hash, previousUntil } : {}),
  });
  if (!record) throw new HecateError("conflict", `token "${current.name}" was changed while it was being rotated: run it again`, { status: 409 });
  await store.audit({ actor: opts.actor, action: "token.rotate", target: current.name, detail: previousUntil ? { graceUntil: previousUntil } : { grace: "none" } });
  return { token: printed(current.id, secret), record };
}

/** Close one token's ended grace window (the old hash removed), audited; false when it changed meanwhile. */
async function endTokenGrace(store: Store, t: TokenRecord, actor: string): Promise<boolean> {
  const closed = await store.setTokenSecret(t.id, t, { hash: t.hash, ...(t.rotatedAt ? { rotatedAt: t.rotatedAt } : {}) });
  if (closed) await store.audit({ actor, action: "token.grace-end", target: t.name, detail: { rotatedAt: t.rotatedAt, until: t.previousUntil } });
  return Boolean(closed);
}

/** Every token whose grace window ended by `now`, closed (the reconcile loop's upkeep). Returns their names. */
export async function endTokenGraces(store: Store, actor: string, now = Date.now()): Promise<string[]> {
  const ended: string[] = [];
  for (const t of await store.listTokens()) {
    if (t.previousUntil && Date.parse(t.previousUntil) <= now && (await endTokenGrace(store, t, actor))) ended.push(t.name);
  }
  return ended;
}

/** Why a presented token is refused (never which part was wrong beyond this). */
export type AuthFailure = "missing" | "malformed" | "unknown" | "revoked" | "expired" | "rotated";

/** The token record a bearer string proves, or why not. The secret is compared in constant time. */
export async function authenticate(store: Store, bearer: string | undefined, now = Date.now()): Promise<{ ok: true; token: TokenRecord } | { ok: false; reason: AuthFailure }> {
  if (!bearer) return { ok: false, reason: "missing" };
  const m = /^hct_([A-Za-z0-9_-]{12})_([A-Za-z0-9_-]{43})$/.exec(bearer);
  if (!m) return { ok: false, reason: "malformed" };
  const record = await store.getToken(m[1]!);
  // Hash and compare even for an unknown id, and against the previous secret even when there is
  // none, so the answer takes as long either way.
  const presented = sha256(m[2]!);
  const same = (hex: string | undefined, filler: string) => {
    const want = hex ? Buffer.from(hex, "hex") : sha256(filler);
    return timingSafeEqual(presented, want.length === 32 ? want : sha256("bad stored hash"));
  };
  const current = same(record?.hash, "no such token");
  const previous = same(record?.previousHash, "no previous secret");
  if (!record || !(current || previous)) return { ok: false, reason: "unknown" };
  if (record.revokedAt) return { ok: false, reason: "revoked" };
  if (record.expiresAt && Date.parse(record.expiresAt) <= now) return { ok: false, reason: "expired" };
  const windowOpen = record.previousUntil !== undefined && Date.parse(record.previousUntil) > now;
  if (record.previousUntil && !windowOpen) {
    // Its window has ended: close it now, so a server without a reconcile loop forgets it too.
    await endTokenGrace(store, record, SYSTEM_ACTOR).catch(() => undefined);
  }
  if (!current && !windowOpen) return { ok: false, reason: "rotated" };
  return { ok: true, token: record };
}
