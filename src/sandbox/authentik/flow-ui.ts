// authentik's flow pages (/if/flow/<slug>/): password login, the MFA code of the provider's
// authorization flow, logout for invalidation flows; then back to the outpost's callback, or to
// the OAuth2 or SAML request that asked for the login.

import type { Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { codeForm, deniedPage, loginForm, page } from "./html.js";
import type { Ctx } from "./kind.js";
import { deviceTypes, evaluateAccess } from "./policy.js";
import { AUTH_COOKIE, type AuthSession, type Sessions } from "./sessions.js";
import type { Obj } from "./store.js";
import { secretEquals } from "./tokens.js";

export interface FlowDeps {
  ctx: Ctx;
  sessions: Sessions;
  log: (msg: string) => void;
}

export type MfaNeed = { kind: "none" } | { kind: "code" } | { kind: "deny"; reason: string };

/** What the authorization flow's authenticator validation stages ask of this user. */
export function mfaNeed(ctx: Ctx, flow: Obj | undefined, userPk: number): MfaNeed {
  if (!flow) return { kind: "none" };
  const stages = ctx.store.flowBindings
    .all()
    .filter((b) => b.target === flow.pk)
    .sort((a, b) => (a.order as number) - (b.order as number))
    .flatMap((b) => {
      const s = ctx.store.validateStages.get(b.stage);
      return s ? [s] : [];
    });
  const devices = deviceTypes(ctx.store, userPk);
  for (const stage of stages) {
    const usable = devices.filter((t) => (stage.device_classes as string[]).includes(t));
    if (usable.length) return { kind: "code" };
    if (stage.not_configured_action === "deny") return { kind: "deny", reason: "No (allowed) MFA authenticator configured." };
    if (stage.not_configured_action === "configure") return { kind: "deny", reason: "An MFA authenticator must be enrolled first; the sandbox cannot enroll devices (seed one with mfa.static)." };
  }
  return { kind: "none" };
}

/** Where a login for `provider` starts: its authentication flow (authentik's default one when unset), carrying the pending login's state. */
export function loginUrl(ctx: Ctx, provider: Obj, state: string): string {
  const authn = ctx.store.flows.get(provider.authentication_flow) ?? ctx.store.flows.find((f) => f.slug === "default-authentication-flow");
  return `${ctx.baseUrl()}/if/flow/${String(authn?.slug ?? "default-authentication-flow")}/?state=${encodeURIComponent(state)}`;
}

export interface SignedIn {
  user: Obj;
  auth: AuthSession;
  sessionId: string;
}

/**
 * The gate of an app's own sign-in request (OAuth2 authorize, SAML single sign-on): the signed-in
 * user whom the application's bindings (the outpost's policy engine) and the provider's MFA stage
 * let through, or the answer that stops the request: the login page (which comes back to
 * `resume`), the MFA code, or a denial.
 */
export function gateSignIn(d: FlowDeps, c: Context, provider: Obj, application: Obj, resume: string): SignedIn | Response {
  const store = d.ctx.store;
  const sessionId = getCookie(c, AUTH_COOKIE);
  const auth = d.sessions.auth.get(sessionId);
  const user = auth ? store.users.get(auth.userPk) : undefined;
  const login = () => c.redirect(loginUrl(d.ctx, provider, d.sessions.newPending({ providerPk: provider.pk as number, rd: "", callbackBase: "", resume })), 302);
  if (!auth || !sessionId || !user || user.is_active === false) return login();
  const decision = evaluateAccess(store, application, application.policy_engine_mode, user, d.log);
  if (!decision.passing) return c.html(deniedPage(decision.messages), 403);
  const flow = store.flows.get(provider.authorization_flow);
  const need = mfaNeed(d.ctx, flow, auth.userPk);
  if (need.kind === "deny") return c.html(page("Permission denied", `<p>${need.reason}</p>`), 403);
  if (need.kind === "code" && !auth.mfaPassed.has(String(flow?.pk))) return login();
  return { user, auth, sessionId };
}

/** Checks a password in constant time; unknown users cost the same. */
function checkPassword(d: FlowDeps, username: string, password: string): Obj | undefined {
  const user = d.ctx.store.users.find((u) => u.username === username);
  const stored = user ? d.ctx.store.credentials.get(user.pk as number)?.password : undefined;
  const ok = secretEquals(password, stored ?? "\0no-password");
  return ok && stored !== undefined && user?.is_active !== false ? user : undefined;
}

export function mountFlows(app: Hono, d: FlowDeps): void {
  const action = (slug: string): string => `/if/flow/${slug}/`;

  /** After login: MFA if the provider's authorization flow wants it, then a one-time code to the outpost callback. */
  const continueLogin = (c: Context, slug: string, sessionId: string, auth: AuthSession, state: string | undefined): Response => {
    const pending = d.sessions.pending.get(state);
    if (!pending) {
      const user = d.ctx.store.users.get(auth.userPk);
      return c.html(page("Logged in", `<p>You are logged in as ${String(user?.username ?? "")}.</p>`));
    }
    const provider = d.ctx.store.provider(pending.providerPk)?.obj;
    const flow = d.ctx.store.flows.get(provider?.authorization_flow);
    const need = mfaNeed(d.ctx, flow, auth.userPk);
    if (need.kind === "deny") return c.html(page("Permission denied", `<p>${need.reason}</p>`), 403);
    if (need.kind === "code" && !auth.mfaPassed.has(String(flow?.pk))) return c.html(codeForm(action(slug), state));
    d.sessions.pending.delete(state ?? "");
    if (pending.resume) return c.redirect(pending.resume, 302);
    const code = d.sessions.newCode({ authSession: sessionId, providerPk: pending.providerPk, rd: pending.rd });
    return c.redirect(`${pending.callbackBase}/outpost.goauthentik.io/callback?X-authentik-auth-callback=true&code=${encodeURIComponent(code)}`, 302);
  };

  app.get("/if/flow/:slug/", (c) => {
    const slug = c.req.param("slug");
    const flow = d.ctx.store.flows.find((f) => f.slug === slug);
    if (!flow) return c.html(page("Not found", "<p>Flow not found.</p>"), 404);
    const state = c.req.query("state");
    const sessionId = getCookie(c, AUTH_COOKIE);
    if (flow.designation === "invalidation") {
      if (sessionId) d.sessions.endAuth(sessionId);
      deleteCookie(c, AUTH_COOKIE, { path: "/" });
      return c.html(page("Logged out", "<p>You've logged out.</p>"));
    }
    const auth = d.sessions.auth.get(sessionId);
    if (auth && sessionId) return continueLogin(c, slug, sessionId, auth, state);
    return c.html(loginForm(action(slug), state));
  });

  app.post("/if/flow/:slug/", async (c) => {
    const slug = c.req.param("slug");
    if (!d.ctx.store.flows.find((f) => f.slug === slug)) return c.html(page("Not found", "<p>Flow not found.</p>"), 404);
    const form = await c.req.parseBody();
    const field = (k: string): string => (typeof form[k] === "string" ? (form[k] as string) : "");
    const state = field("state") || undefined;
    if (field("step") === "code") {
      const sessionId = getCookie(c, AUTH_COOKIE);
      const auth = d.sessions.auth.get(sessionId);
      const pending = d.sessions.pending.get(state);
      if (!auth || !sessionId || !pending) return c.html(loginForm(action(slug), state, "Your login expired; log in again."), 400);
      const creds = d.ctx.store.credentials.get(auth.userPk);
      const given = field("code").trim();
      const idx = creds ? creds.staticCodes.findIndex((code) => secretEquals(given, code)) : -1;
      if (!creds || idx < 0) return c.html(codeForm(action(slug), state, "Invalid Token"), 200);
      creds.staticCodes.splice(idx, 1); // static tokens are single-use
      const provider = d.ctx.store.provider(pending.providerPk)?.obj;
      auth.mfaPassed.add(String(provider?.authorization_flow));
      return continueLogin(c, slug, sessionId, auth, state);
    }
    const user = checkPassword(d, field("username"), field("password"));
    if (!user) return c.html(loginForm(action(slug), state, "Invalid username or password"), 200);
    const sessionId = d.sessions.newAuth(user.pk as number);
    user.last_login = new Date().toISOString();
    setCookie(c, AUTH_COOKIE, sessionId, { path: "/", httpOnly: true, sameSite: "Lax" });
    return continueLogin(c, slug, sessionId, d.sessions.auth.get(sessionId) as AuthSession, state);
  });
}
