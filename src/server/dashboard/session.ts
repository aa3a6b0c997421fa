// Dashboard sign-in: the API token an operator pastes is kept in an HttpOnly, SameSite=Strict
// cookie scoped to /ui and checked on every request exactly as a bearer token is (so revoking
// the token signs the browser out too). State-changing forms carry a CSRF token derived from the
// session token (an attacker's page can neither read the cookie nor compute it), on top of the
// Origin / Sec-Fetch-Site check and the SameSite cookie.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { csrf } from "hono/csrf";
import type { TokenRecord } from "../../store/store.js";
import type { Env } from "../app.js";
import { authenticate, type AuthFailure } from "../tokens.js";
import type { FailureLimiter } from "../ratelimit.js";

export const COOKIE = "hecate_session";
export const UI = "/ui";

/** The form token of a session: HMAC of a fixed label keyed by the session's token. */
export function csrfToken(token: string): string {
  return createHmac("sha256", token).update("hecate-dashboard-form").digest("base64url");
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a), y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const secure = (c: Context) => new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto") === "https";

export function signIn(c: Context, token: string): void {
  setCookie(c, COOKIE, token, { path: UI, httpOnly: true, sameSite: "Strict", secure: secure(c), maxAge: 12 * 3600 });
}

export function signOut(c: Context): void {
  deleteCookie(c, COOKIE, { path: UI, secure: secure(c) });
}

/** The session's token string (only after `requireSession` let the request through). */
export const sessionToken = (c: Context): string => getCookie(c, COOKIE) ?? "";

/**
 * Requests from another origin are refused (Origin, else Sec-Fetch-Site; hono's csrf), also
 * behind a TLS proxy: the origin's host is compared with the Host the proxy forwarded.
 */
export const sameOrigin = (): MiddlewareHandler =>
  csrf({
    origin: (origin, c) => {
      try {
        return new URL(origin).host === (c.req.header("x-forwarded-host") ?? c.req.header("host"));
      } catch {
        return false;
      }
    },
  });

/**
 * Signed-in pages: the cookie's token must authenticate (else to the sign-in page), and a POST
 * must carry the session's form token. Refused tokens count toward the address's limit.
 */
export function requireSession(store: import("../../store/store.js").Store, limiter: FailureLimiter, onFailure: (reason: AuthFailure) => void): MiddlewareHandler<Env> {
  return async (c, next) => {
    const cookie = getCookie(c, COOKIE);
    const r = await authenticate(store, cookie);
    if (!r.ok) {
      if (r.reason !== "missing") {
        limiter.fail(c.get("address"));
        onFailure(r.reason);
        signOut(c);
      }
      const why = r.reason === "missing" ? "" : `?why=${r.reason}`;
      return c.redirect(`${UI}/login${why}`, 303);
    }
    if (c.req.method === "POST") {
      // Parsed with all values (checkbox lists); hono keeps this parse for the handler.
      const form = await c.req.parseBody({ all: true });
      const given = typeof form.csrf === "string" ? form.csrf : "";
      if (!sameToken(given, csrfToken(cookie!))) return c.text("the form is stale or came from elsewhere: reload the page and try again", 403);
    }
    c.set("token", r.token as TokenRecord);
    return next();
  };
}
