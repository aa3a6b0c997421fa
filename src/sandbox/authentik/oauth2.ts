// The OAuth2/OpenID provider's endpoints (/application/o/...), driven by what the API holds: the
// provider's client type, id and secret, redirect URIs (strict or regex), scope mappings and
// signing key; the application's bindings decide who gets a code (gateSignIn: the outpost's
// policy engine). Authorization code flow only (PKCE plain or S256), with the sandbox's login page.

import { createHash, randomBytes } from "node:crypto";
import type { Context, Hono } from "hono";
import { scopeClaims, providerScopes, subject } from "./claims.js";
import { gateSignIn } from "./flow-ui.js";
import { page } from "./html.js";
import { signingAlg, signJwt } from "./jwt.js";
import { keyMaterial } from "./keys.js";
import type { Ctx } from "./kind.js";
import { durationMs, type Sessions } from "./sessions.js";
import type { Obj } from "./store.js";
import { secretEquals } from "./tokens.js";

export interface OAuth2Deps {
  ctx: Ctx;
  sessions: Sessions;
  log: (msg: string) => void;
}

/** authentik's acr for every token. */
const ACR = "goauthentik.io/providers/oauth2/default";

/** authentik's token endpoint error descriptions (RFC 6749 section 5.2). */
const TOKEN_ERRORS = {
  invalid_request: "The request is otherwise malformed",
  invalid_client: "Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)",
  invalid_grant:
    "The provided authorization grant or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client",
  unsupported_grant_type: "The authorization grant type is not supported by the authorization server",
} as const;

const AUTHORIZE_ERRORS = {
  invalid_request: "The request is otherwise malformed",
  unsupported_response_type: "The authorization server does not support obtaining an authorization code using this method",
} as const;

const REDIRECT_URI_ERROR = "The request fails due to a missing, invalid, or mismatching redirection URI (redirect_uri).";
const FORBIDDEN_SCHEMES = new Set(["javascript:", "data:", "vbscript:"]);

const noStore = { "Cache-Control": "no-store", Pragma: "no-cache" };
const seconds = (ms: number): number => Math.floor(ms / 1000);

/** True when `uri` is one of the provider's redirect URIs: equal (strict) or a full match (regex; one that does not compile never matches). */
export function redirectAllowed(provider: Obj, uri: string): boolean {
  const allowed = (provider.redirect_uris as { matching_mode?: string; url?: string }[] | undefined) ?? [];
  const ok = allowed.some((a) => {
    if (a.matching_mode === "regex") {
      try {
        return new RegExp(`^(?:${String(a.url)})$`).test(uri);
      } catch {
        return false;
      }
    }
    return a.url === uri;
  });
  let scheme = "";
  try {
    scheme = new URL(uri).protocol;
  } catch {
    return false;
  }
  return ok && !FORBIDDEN_SCHEMES.has(scheme);
}

/** The issuer: per provider (…/application/o/<slug>/) or global (the origin), as issuer_mode says. */
function issuer(origin: string, provider: Obj, app: Obj): string {
  return provider.issuer_mode === "global" ? `${origin}/` : `${origin}/application/o/${String(app.slug)}/`;
}

export function mountOAuth2(app: Hono, d: OAuth2Deps): void {
  const store = d.ctx.store;
  const origin = (c: Context): string => new URL(c.req.url).origin;
  /** The OAuth2 provider of an application slug, with the application. */
  const bySlug = (slug: string): { provider: Obj; app: Obj } | undefined => {
    const a = store.applications.find((x) => x.slug === slug);
    const provider = a ? store.providers.oauth2.get(a.provider) : undefined;
    return a && provider ? { provider, app: a } : undefined;
  };
  const appOf = (provider: Obj): Obj | undefined => store.applications.find((a) => a.provider === provider.pk);
  const tokenError = (c: Context, error: keyof typeof TOKEN_ERRORS) => c.json({ error, error_description: TOKEN_ERRORS[error] }, 400, noStore);

  app.get("/application/o/:slug/.well-known/openid-configuration", (c) => {
    const found = bySlug(c.req.param("slug"));
    if (!found) return c.json({ detail: "Not found." }, 404);
    const base = origin(c);
    const scopes = providerScopes(store, found.provider).map((m) => String(m.scope_name));
    if (!scopes.includes("openid")) scopes.push("openid");
    // Endpoints the sandbox does not serve (introspection, revocation, device) are left out rather than promised.
    return c.json({
      issuer: issuer(base, found.provider, found.app),
      authorization_endpoint: `${base}/application/o/authorize/`,
      token_endpoint: `${base}/application/o/token/`,
      userinfo_endpoint: `${base}/application/o/userinfo/`,
      end_session_endpoint: `${base}/application/o/${String(found.app.slug)}/end-session/`,
      response_types_supported: ["code"],
      jwks_uri: `${base}/application/o/${String(found.app.slug)}/jwks/`,
      grant_types_supported: ["authorization_code"],
      id_token_signing_alg_values_supported: [signingAlg(found.provider)],
      subject_types_supported: ["public"],
      token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
      acr_values_supported: [ACR],
      scopes_supported: scopes,
      request_parameter_supported: false,
      claims_supported: ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr"],
      claims_parameter_supported: false,
      code_challenge_methods_supported: ["plain", "S256"],
    });
  });

  app.get("/application/o/:slug/jwks/", async (c) => {
    const found = bySlug(c.req.param("slug"));
    if (!found) return c.json({ detail: "Not found." }, 404);
    const keys: Obj[] = [];
    for (const [field, use] of [["signing_key", "sig"], ["encryption_key", "enc"]] as const) {
      const m = await keyMaterial(store, found.provider[field]);
      if (!m) continue;
      const jwk = m.privateKey.export({ format: "jwk" });
      keys.push({
        ...(use === "sig" ? { alg: "RS256" } : { alg: "RSA-OAEP-256", enc: "A256CBC-HS512" }),
        kid: m.kid,
        kty: "RSA",
        use,
        n: jwk.n,
        e: jwk.e,
        x5c: [m.certBase64],
        x5t: Buffer.from(m.cert.fingerprint.replace(/:/g, ""), "hex").toString("base64url"),
        "x5t#S256": Buffer.from(m.cert.fingerprint256.replace(/:/g, ""), "hex").toString("base64url"),
      });
    }
    c.header("Access-Control-Allow-Origin", "*");
    return c.json(keys.length ? { keys } : {});
  });

  app.on(["GET", "POST"], "/application/o/authorize/", async (c) => {
    const params = new URLSearchParams(c.req.method === "POST" ? ((await c.req.parseBody()) as Record<string, string>) : c.req.query());
    if ([...params.keys()].length === 0) return c.json({ detail: "Not found." }, 404);
    const q = (k: string): string => params.get(k) ?? "";
    const provider = store.providers.oauth2.find((p) => p.client_id === q("client_id"));
    if (!provider) return c.html(page("Client ID Error", "<p>The client identifier (client_id) is missing or invalid.</p>"), 400);
    const redirectUri = q("redirect_uri");
    if (!redirectUri || !redirectAllowed(provider, redirectUri)) {
      d.log(`authentik sandbox: invalid redirect URI was used. Client used '${redirectUri}'.`);
      return c.html(page("Redirect URI Error", `<p>${REDIRECT_URI_ERROR}</p>`), 400);
    }
    const state = params.get("state") ?? undefined;
    const back = (query: Record<string, string>): Response => {
      const u = new URL(redirectUri);
      for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
      if (state) u.searchParams.set("state", state);
      return c.redirect(u.toString(), 302);
    };
    const fail = (error: keyof typeof AUTHORIZE_ERRORS, description: string = AUTHORIZE_ERRORS[error]) => back({ error, error_description: description });
    // Implicit and hybrid flows are not imitated: only "code" is offered in the discovery document.
    if (q("response_type") !== "code") return fail("unsupported_response_type");
    const method = params.get("code_challenge_method") ?? "plain";
    const challenge = params.get("code_challenge") ?? undefined;
    if (challenge && method !== "plain" && method !== "S256") return fail("invalid_request", `Unsupported challenge method ${method}`);
    if (params.get("request")) return back({ error: "request_not_supported", error_description: "The provider does not support use of the request parameter" });
    const application = appOf(provider);
    if (!application) return c.json({ detail: "Not found." }, 404);
    // Scopes: the ones asked for that the provider has mappings for; none asked means all of them.
    const configured = providerScopes(store, provider).map((m) => String(m.scope_name));
    const asked = q("scope").split(/\s+/).filter(Boolean);
    const scope = asked.length ? [...new Set(asked)].filter((s) => configured.includes(s)) : configured;

    const resume = `${origin(c)}/application/o/authorize/?${params.toString()}`;
    const gate = gateSignIn(d, c, provider, application, resume);
    if (gate instanceof Response) return gate;
    const { auth, sessionId } = gate;

    const code = d.sessions.oauthCodes.add({
      providerPk: provider.pk as number,
      userPk: auth.userPk,
      authSession: sessionId,
      scope,
      ...(params.get("nonce") ? { nonce: q("nonce") } : {}),
      ...(challenge ? { codeChallenge: challenge, codeChallengeMethod: method } : {}),
      expires: Date.now() + durationMs(provider.access_code_validity),
    });
    return back({ code });
  });

  app.post("/application/o/token/", async (c) => {
    const form = (await c.req.parseBody()) as Record<string, unknown>;
    const f = (k: string): string => (typeof form[k] === "string" ? (form[k] as string) : "");
    // client_secret_basic when there is a Basic header (its parts taken as they are, like authentik), else client_secret_post.
    let clientId = f("client_id");
    let clientSecret = f("client_secret");
    const basic = /^Basic\s(.+)$/.exec(c.req.header("authorization") ?? "");
    if (basic) {
      const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
      const i = decoded.indexOf(":");
      [clientId, clientSecret] = i < 0 ? [decoded, ""] : [decoded.slice(0, i), decoded.slice(i + 1)];
    }
    const provider = store.providers.oauth2.find((p) => p.client_id === clientId);
    if (!provider) return tokenError(c, "invalid_client");
    const grantType = f("grant_type");
    if (grantType === "authorization_code" || grantType === "refresh_token") {
      if (provider.client_type === "confidential" && !secretEquals(clientSecret, String(provider.client_secret ?? ""))) {
        d.log(`authentik sandbox: invalid client secret for client ${clientId}`);
        return tokenError(c, "invalid_client");
      }
    }
    // Refresh tokens, client credentials and device codes are not imitated.
    if (grantType !== "authorization_code") return tokenError(c, "unsupported_grant_type");
    const raw = f("code");
    if (!raw) return tokenError(c, "invalid_grant");
    // authentik checks the redirect URI against the provider's list and answers invalid_client on a mismatch.
    if (!redirectAllowed(provider, f("redirect_uri"))) {
      d.log(`authentik sandbox: invalid redirect URI used by provider: '${f("redirect_uri")}' (token endpoint)`);
      return tokenError(c, "invalid_client");
    }
    const code = d.sessions.oauthCodes.get(raw);
    if (!code || code.providerPk !== provider.pk) return tokenError(c, "invalid_grant");
    const verifier = form["code_verifier"] === undefined ? undefined : f("code_verifier");
    if (code.codeChallenge) {
      if (!verifier) return tokenError(c, "invalid_grant");
      const computed = code.codeChallengeMethod === "S256" ? createHash("sha256").update(verifier).digest("base64url") : verifier;
      if (computed !== code.codeChallenge) return tokenError(c, "invalid_grant");
    } else if (verifier) return tokenError(c, "invalid_grant"); // no downgrade
    const user = store.users.get(code.userPk);
    const application = appOf(provider);
    if (!user || !application) return tokenError(c, "invalid_grant");
    d.sessions.oauthCodes.delete(raw); // single use: gone once exchanged

    const now = Date.now();
    const validity = durationMs(provider.access_token_validity);
    const auth = d.sessions.auth.get(code.authSession);
    const sub = subject(provider, user);
    const idToken: Obj = {
      iss: issuer(origin(c), provider, application),
      sub,
      aud: String(provider.client_id),
      exp: seconds(now + validity),
      iat: seconds(now),
      auth_time: seconds(auth?.created ?? now),
      acr: ACR,
      amr: auth && auth.mfaPassed.size > 0 ? ["pwd", "mfa"] : ["pwd"],
      ...(code.nonce ? { nonce: code.nonce } : {}),
      sid: createHash("sha256").update(code.authSession).digest("hex"),
      ...(provider.include_claims_in_id_token === false ? {} : scopeClaims(store, provider, code.scope, user)),
    };
    const accessToken = await signJwt(store, provider, { ...idToken, azp: String(provider.client_id), uid: randomBytes(20).toString("hex") });
    d.sessions.accessTokens.set(accessToken, { providerPk: provider.pk as number, userPk: user.pk as number, scope: code.scope, sub, ...(code.nonce ? { nonce: code.nonce } : {}), expires: now + validity });
    return c.json(
      { access_token: accessToken, token_type: "Bearer", scope: code.scope.join(" "), expires_in: seconds(validity), id_token: await signJwt(store, provider, idToken) },
      200,
      noStore,
    );
  });

  app.on(["GET", "POST"], "/application/o/userinfo/", async (c) => {
    const bearer = /^[Bb]earer\s(.+)$/.exec(c.req.header("authorization") ?? "")?.[1];
    const form = c.req.method === "POST" && !bearer ? ((await c.req.parseBody()) as Record<string, unknown>) : {};
    const token = bearer ?? (typeof form["access_token"] === "string" ? form["access_token"] : undefined) ?? c.req.query("access_token");
    const grant = d.sessions.accessTokens.get(token);
    const provider = grant ? store.providers.oauth2.get(grant.providerPk) : undefined;
    const user = grant ? store.users.get(grant.userPk) : undefined;
    if (!grant || !provider || !user) {
      c.header("WWW-Authenticate", 'error="invalid_token", error_description="The access token provided is expired, revoked, malformed, or invalid for other reasons"');
      return c.body(null, 401);
    }
    if (!grant.scope.includes("openid")) {
      c.header("WWW-Authenticate", 'error="insufficient_scope", error_description="The request requires higher privileges than provided by the access token"');
      return c.body(null, 403);
    }
    return c.json({ sub: grant.sub, ...scopeClaims(store, provider, grant.scope, user), ...(grant.nonce ? { nonce: grant.nonce } : {}) }, 200, noStore);
  });

  app.get("/application/o/:slug/end-session/", (c) => {
    const found = bySlug(c.req.param("slug"));
    if (!found) return c.json({ detail: "Not found." }, 404);
    // authentik runs the provider's invalidation flow, which ends the session.
    const flow = store.flows.get(found.provider.invalidation_flow) ?? store.flows.find((x) => x.slug === "default-provider-invalidation-flow");
    return c.redirect(`${d.ctx.baseUrl()}/if/flow/${String(flow?.slug ?? "default-provider-invalidation-flow")}/`, 302);
  });
}
