// API tokens: `hct_<id>_<secret>`. The id names the stored row; only sha256 of the secret is kept
// (the secret is 32 random bytes, so a plain hash is enough) and it is compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { HecateError, UsageError } from "../diag.js";
import type { Store, TokenRecord, TokenScope } from "../store/store.js";

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
  return { token: `hct_${id}_${secret}`, record };
}

export async function revokeToken(store: Store, nameOrId: string, actor: string): Promise<TokenRecord> {
  const t = await store.revokeToken(nameOrId);
  if (!t) throw new HecateError("not-found", `token "${nameOrId}" does not exist (see \`hecate token list\`)`, { status: 404 });
  await store.audit({ actor, action: "token.revoke", target: t.name });
  return t;
}

/** Why a presented token is refused (never which part was wrong beyond this). */
export type AuthFailure = "missing" | "malformed" | "unknown" | "revoked" | "expired";

/** The token record a bearer string proves, or why not. The secret is compared in constant time. */
export async function authenticate(store: Store, bearer: string | undefined, now = Date.now()): Promise<{ ok: true; token: TokenRecord } | { ok: false; reason: AuthFailure }> {
  if (!bearer) return { ok: false, reason: "missing" };
  const m = /^hct_([A-Za-z0-9_-]{12})_([A-Za-z0-9_-]{43})$/.exec(bearer);
  if (!m) return { ok: false, reason: "malformed" };
  const record = await store.getToken(m[1]!);
  // Hash and compare even for an unknown id, so the answer takes as long either way.
  const want = record ? Buffer.from(record.hash, "hex") : sha256("no such token");
  const same = timingSafeEqual(sha256(m[2]!), want.length === 32 ? want : sha256("bad stored hash"));
  if (!record || !same) return { ok: false, reason: "unknown" };
  if (record.revokedAt) return { ok: false, reason: "revoked" };
  if (record.expiresAt && Date.parse(record.expiresAt) <= now) return { ok: false, reason: "expired" };
  return { ok: true, token: record };
}
