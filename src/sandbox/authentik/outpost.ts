// The embedded outpost: forward auth for Caddy, login start, callback and sign-out.

import type { Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { loginUrl } from "./flow-ui.js";
import { deniedPage, page } from "./html.js";
import type { Ctx } from "./kind.js";
import { evaluateAccess } from "./policy.js";
import { providerForHost, skipsAuth, type Served } from "./routing.js";
import { durationMs, proxyCookieName, type Sessions } from "./sessions.js";
import type { Obj } from "./store.js";

export interface OutpostDeps {
  ctx: Ctx;
  sessions: Sessions;
  log: (msg: string) => void;
}

/** Host the browser used: X-Forwarded-Host (behind Caddy) or Host. */
function requestHost(c: Context): string {
  return (c.req.header("x-forwarded-host") ?? c.req.header("host") ?? "").split(",")[0]?.trim() ?? "";
}
function requestProto(c: Context): string {
  return (c.req.header("x-forwarded-proto") ?? new URL(c.req.url).protocol.replace(":", "")).split(",")[0]?.trim() ?? "http";
}

/** Where the login for `served` starts: the request's own host (forward_single) or the provider's external host (forward_domain). */
function startBase(served: Served, proto: string, host: string): string {
  if (served.provider.mode === "forward_domain") return String(served.provider.external_host).replace(/\/$/, "");
  return `${proto}://${host}`;
}

/** True when `rd` points at a host the provider covers (no open redirects). */
function allowedRedirect(ctx: Ctx, served: Served, rd: string): boolean {
  try {
    const u = new URL(rd);
    return providerForHost(ctx, u.host)?.provider === served.provider;
  } catch {
    return false;
  }
}

function identityHeaders(d: OutpostDeps, served: Served, user: Obj): Record<string, string> {
  const groups = d.ctx.store.groups.all().filter((g) => (g.users as number[]).includes(user.pk as number));
  return {
    "X-authentik-username": String(user.username),
    "X-authentik-groups": groups.map((g) => String(g.name)).join("|"),
    "X-authentik-entitlements": "",
    "X-authentik-email": String(user.email ?? ""),
    "X-authentik-name": String(user.name ?? ""),
    "X-authentik-uid": String(user.uid),
    "X-authentik-meta-jwks": `${d.ctx.baseUrl()}/application/o/${String(served.app.slug)}/jwks/`,
    "X-authentik-meta-outpost": String(served.outpost.name),
    "X-authentik-meta-provider": String(served.provider.name),
    "X-authentik-meta-app": String(served.app.slug),
    "X-authentik-meta-version": `goauthentik.io/outpost/${d.ctx.f.version}`,
  };
}

export function mountOutpost(app: Hono, d: OutpostDeps): void {
  app.get("/outpost.goauthentik.io/auth/caddy", (c) => {
    const proto = c.req.header("x-forwarded-proto");
    const host = c.req.header("x-forwarded-host");
    const uri = c.req.header("x-forwarded-uri");
    if (!proto || !host || !uri) {
      d.log("authentik sandbox: forward auth without X-Forwarded-Proto/Host/Uri (is this request coming through Caddy's forward_auth?)");
      return c.text("failed to detect a forward URL: X-Forwarded-Proto, X-Forwarded-Host and X-Forwarded-Uri are required", 500);
    }
    let original: URL;
    try {
      original = new URL(`${proto}://${host}${uri.startsWith("/") ? uri : `/${uri}`}`);
    } catch {
      return c.text("failed to parse the forwarded URL", 500);
    }
    const served = providerForHost(d.ctx, host);
    if (!served) {
      d.log(`authentik sandbox: no application for host ${host} (is a proxy provider with an application attached to the embedded outpost?)`);
      return c.text(`no application for hostname ${host}`, 400);
    }
    if (skipsAuth(served.provider, original)) return c.body(null, 200);
    const session = d.sessions.proxy.get(getCookie(c, proxyCookieName(served.provider.client_id)));
    const user = session && session.providerPk === served.provider.pk ? d.ctx.store.users.get(session.userPk) : undefined;
    if (!session || !user || user.is_active === false || !d.sessions.auth.get(session.authSession)) {
      const start = `${startBase(served, proto, host)}/outpost.goauthentik.io/start?rd=${encodeURIComponent(original.toString())}`;
      return c.redirect(start, 302);
    }
    const decision = evaluateAccess(d.ctx.store, served.app, served.app.policy_engine_mode, user, d.log);
    if (!decision.passing) return c.html(deniedPage(decision.messages), 403);
    for (const [k, v] of Object.entries(identityHeaders(d, served, user))) c.header(k, v);
    return c.body(null, 200);
  });

  app.get("/outpost.goauthentik.io/start", (c) => {
    const host = requestHost(c);
    const served = providerForHost(d.ctx, host);
    if (!served) return c.text(`no application for hostname ${host}`, 400);
    const proto = requestProto(c);
    const rdParam = c.req.query("rd") ?? "";
    const rd = rdParam && allowedRedirect(d.ctx, served, rdParam) ? rdParam : String(served.provider.external_host);
    const state = d.sessions.newPending({ providerPk: served.provider.pk as number, rd, callbackBase: `${proto}://${host}` });
    return c.redirect(loginUrl(d.ctx, served.provider, state), 302);
  });

  app.get("/outpost.goauthentik.io/callback", (c) => {
    const code = d.sessions.codes.take(c.req.query("code"));
    const host = requestHost(c);
    const served = providerForHost(d.ctx, host);
    if (!code || !served || served.provider.pk !== code.providerPk) return c.html(page("Invalid callback", "<p>The login state is unknown or expired. Start again.</p>"), 400);
    const auth = d.sessions.auth.get(code.authSession);
    if (!auth) return c.html(page("Invalid callback", "<p>The authentik session has ended.</p>"), 400);
    const ttl = durationMs(served.provider.access_token_validity);
    const id = d.sessions.proxy.add({ userPk: auth.userPk, providerPk: code.providerPk, authSession: code.authSession, expires: Date.now() + ttl });
    const domain = served.provider.mode === "forward_domain" && served.provider.cookie_domain ? String(served.provider.cookie_domain) : undefined;
    setCookie(c, proxyCookieName(served.provider.client_id), id, {
      path: "/",
      httpOnly: true,
      sameSite: "Lax",
      secure: requestProto(c) === "https",
      maxAge: Math.floor(ttl / 1000),
      ...(domain ? { domain } : {}),
    });
    return c.redirect(code.rd, 302);
  });

  app.get("/outpost.goauthentik.io/sign_out", (c) => {
    const host = requestHost(c);
    const served = providerForHost(d.ctx, host);
    if (!served) return c.text(`no application for hostname ${host}`, 400);
    const name = proxyCookieName(served.provider.client_id);
    const session = d.sessions.proxy.get(getCookie(c, name));
    if (session) d.sessions.endAuth(session.authSession);
    const domain = served.provider.mode === "forward_domain" && served.provider.cookie_domain ? String(served.provider.cookie_domain) : undefined;
    deleteCookie(c, name, { path: "/", ...(domain ? { domain } : {}) });
    const flow = d.ctx.store.flows.get(served.provider.invalidation_flow) ?? d.ctx.store.flows.find((f) => f.slug === "default-invalidation-flow");
    return c.redirect(`${d.ctx.baseUrl()}/if/flow/${String(flow?.slug ?? "default-invalidation-flow")}/`, 302);
  });
}
