// Server-side sessions: authentik's own (on the sandbox origin), pending logins, one-time
// callback codes, the outpost's proxy sessions (per provider cookie), and the OAuth2 provider's
// authorization codes and access tokens. Ids are random.

import { randomSecret, shortHash } from "./tokens.js";

export interface AuthSession {
  userPk: number;
  /** Authorization flows whose MFA stage this session has passed. */
  mfaPassed: Set<string>;
  /** When the user signed in (ms): the ID token's auth_time. */
  created: number;
  expires: number;
}
export interface PendingLogin {
  providerPk: number;
  rd: string;
  /** Where the callback goes: the host that started the login (the provider's external host in forward_domain mode). */
  callbackBase: string;
  /** A sign-in for an OAuth2 or SAML request: the sandbox URL that resumes it (instead of the outpost's callback). */
  resume?: string;
  expires: number;
}
export interface CallbackCode {
  authSession: string;
  providerPk: number;
  rd: string;
  expires: number;
}
/** An OAuth2 authorization code: single use, valid for the provider's access_code_validity. */
export interface OAuthCode {
  providerPk: number;
  userPk: number;
  authSession: string;
  scope: string[];
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  expires: number;
}
/** What an access token stands for (the token itself, a signed JWT, is the key). */
export interface AccessGrant {
  providerPk: number;
  userPk: number;
  scope: string[];
  sub: string;
  nonce?: string;
  expires: number;
}
export interface ProxySession {
  userPk: number;
  providerPk: number;
  authSession: string;
  expires: number;
}

export const AUTH_COOKIE = "authentik_session";
const SHORT_LIVED_MS = 10 * 60_000;

/** The outpost's cookie name for a provider (authentik_proxy_ + a hash of its client id). */
export const proxyCookieName = (clientId: unknown): string => `authentik_proxy_${shortHash(String(clientId))}`;

/** "hours=8;minutes=30" → milliseconds, "minutes=-5" → -300000 (authentik's timedelta strings); undefined when unreadable. */
export function timedeltaMs(spec: unknown): number | undefined {
  const units: Record<string, number> = { weeks: 604_800_000, days: 86_400_000, hours: 3_600_000, minutes: 60_000, seconds: 1000, milliseconds: 1, microseconds: 0.001 };
  let total = 0;
  for (const part of String(spec ?? "").split(";")) {
    const m = /^\s*(\w+)\s*=\s*(-?[\d.]+)\s*$/.exec(part);
    const unit = m?.[1] ? units[m[1]] : undefined;
    if (!m || unit === undefined) return undefined;
    total += Number(m[2]) * unit;
  }
  return total;
}

/** A validity as milliseconds; 24h when unreadable or not positive. */
export function durationMs(spec: unknown): number {
  const t = timedeltaMs(spec);
  return t !== undefined && t > 0 ? t : 86_400_000;
}

class Expiring<T extends { expires: number }> {
  private readonly map = new Map<string, T>();
  add(value: T): string {
    const id = randomSecret(32);
    this.map.set(id, value);
    return id;
  }
  get(id: string | undefined): T | undefined {
    if (!id) return undefined;
    const v = this.map.get(id);
    if (v && v.expires <= Date.now()) {
      this.map.delete(id);
      return undefined;
    }
    return v;
  }
  /** Stores `value` under a key the caller made (e.g. a token that is itself the value's proof). */
  set(id: string, value: T): void {
    this.map.set(id, value);
  }
  /** Get once and forget. */
  take(id: string | undefined): T | undefined {
    const v = this.get(id);
    if (id) this.map.delete(id);
    return v;
  }
  delete(id: string): void {
    this.map.delete(id);
  }
  deleteWhere(pred: (v: T) => boolean): void {
    for (const [k, v] of this.map) if (pred(v)) this.map.delete(k);
  }
}

export class Sessions {
  readonly auth = new Expiring<AuthSession>();
  readonly pending = new Expiring<PendingLogin>();
  readonly codes = new Expiring<CallbackCode>();
  readonly proxy = new Expiring<ProxySession>();
  readonly oauthCodes = new Expiring<OAuthCode>();
  readonly accessTokens = new Expiring<AccessGrant>();

  newAuth(userPk: number): string {
    const now = Date.now();
    return this.auth.add({ userPk, mfaPassed: new Set(), created: now, expires: now + 86_400_000 });
  }
  newPending(p: Omit<PendingLogin, "expires">): string {
    return this.pending.add({ ...p, expires: Date.now() + SHORT_LIVED_MS });
  }
  newCode(c: Omit<CallbackCode, "expires">): string {
    return this.codes.add({ ...c, expires: Date.now() + 60_000 });
  }
  /** Ends an authentik session and every proxy session created from it. */
  endAuth(id: string): void {
    this.auth.delete(id);
    this.proxy.deleteWhere((p) => p.authSession === id);
    this.oauthCodes.deleteWhere((c) => c.authSession === id);
  }
}
