// The sandbox's OAuth2/OpenID provider endpoints, for providers made through the API: regex
// redirect URIs (full match), public clients with PKCE, HS256 when there is no signing key, codes
// that expire, userinfo's bearer errors, unknown clients, and end-session ending the login.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { startAuthentikSandbox, type AuthentikSandbox } from "../../src/sandbox/authentik/index.js";
import { TOKEN } from "./authentik-helpers.js";

type Row = Record<string, unknown>;

describe("authentik sandbox OAuth2 provider", () => {
  let sb: AuthentikSandbox;
  before(async () => {
    sb = await startAuthentikSandbox({ token: TOKEN, seed: { groups: [], users: [{ username: "alice", password: "alice-pw", email: "a@example.test", groups: [] }] } });
  });
  after(async () => sb?.close());

  const api = async (method: string, path: string, body?: unknown): Promise<Row> => {
    const res = await fetch(sb.apiUrl + path, { method, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, ...(body ? { body: JSON.stringify(body) } : {}) });
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
    return (await res.json()) as Row;
  };
  /** An OAuth2 provider with an application (no bindings: everyone may sign in). */
  const provider = async (slug: string, fields: Row): Promise<Row> => {
    const flows = (await api("GET", "/flows/instances/?page_size=100")).results as Row[];
    const flow = (s: string) => flows.find((f) => f.slug === s)!.pk;
    const scopes = ((await api("GET", "/propertymappings/provider/scope/")).results as Row[]).filter((m) => ["openid", "email"].includes(String(m.scope_name))).map((m) => m.pk);
    const p = await api("POST", "/providers/oauth2/", {
      name: slug,
      authorization_flow: flow("default-provider-authorization-implicit-consent"),
      invalidation_flow: flow("default-provider-invalidation-flow"),
      property_mappings: scopes,
      ...fields,
    });
    await api("POST", "/core/applications/", { name: slug, slug, provider: p.pk });
    return p;
  };
  const authorizeUrl = (p: Row, redirect: string, extra: Record<string, string> = {}) =>
    `${sb.url}/application/o/authorize/?${new URLSearchParams({ client_id: String(p.client_id), redirect_uri: redirect, response_type: "code", scope: "openid email", ...extra })}`;
  /** The browser: follows the sandbox's redirects with its session cookie, signs in when asked; returns the redirect to the app. */
  const authorize = async (url: string, cookie = { v: "" }): Promise<URL> => {
    let res = await fetch(url, { redirect: "manual", headers: { cookie: cookie.v } });
    for (let i = 0; i < 6; i++) {
      const location = res.headers.get("location");
      if (res.status === 302 && location && !location.startsWith(sb.url)) return new URL(location);
      if (res.status === 302 && location) res = await fetch(location, { redirect: "manual", headers: { cookie: cookie.v } });
      else if (res.status === 200 && /name="username"/.test(await res.clone().text())) {
        const state = /name="state" value="([^"]*)"/.exec(await res.text())?.[1] ?? "";
        res = await fetch(`${sb.url}/if/flow/default-authentication-flow/`, {
          method: "POST",
          redirect: "manual",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ username: "alice", password: "alice-pw", step: "password", state }),
        });
        cookie.v = (res.headers.get("set-cookie") ?? "").split(";")[0]!;
      } else break;
    }
    throw new Error(`no redirect to the app: ${res.status} ${await res.text()}`);
  };
  const token = async (body: Record<string, string>) => {
    const res = await fetch(`${sb.url}/application/o/token/`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(body) });
    return { status: res.status, body: (await res.json()) as Row };
  };

  it("regex redirect URIs must match the whole URI", async () => {
    const p = await provider("regex-app", { redirect_uris: [{ matching_mode: "regex", url: "https://app\\.test/cb/[a-z]+" }] });
    const ok = await authorize(authorizeUrl(p, "https://app.test/cb/abc", { state: "xyz" }));
    assert.equal(ok.origin + ok.pathname, "https://app.test/cb/abc");
    assert.equal(ok.searchParams.get("state"), "xyz");
    assert.ok(ok.searchParams.get("code"));
    for (const bad of ["https://app.test/cb/", "https://app.test/cb/abc/more", "https://evil.test/?https://app.test/cb/abc"]) {
      const res = await fetch(authorizeUrl(p, bad), { redirect: "manual" });
      assert.equal(res.status, 400, bad);
      assert.match(await res.text(), /Redirect URI Error/);
    }
  });

  it("a public client exchanges its code with the PKCE verifier and no secret; a code expires after access_code_validity", async () => {
    const p = await provider("public-app", { client_type: "public", redirect_uris: [{ matching_mode: "strict", url: "http://127.0.0.1:1/cb" }], access_code_validity: "seconds=1" });
    const cookie = { v: "" };
    const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const pkce = { code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", code_challenge_method: "S256" };
    const code = (await authorize(authorizeUrl(p, "http://127.0.0.1:1/cb", pkce), cookie)).searchParams.get("code")!;
    const ok = await token({ grant_type: "authorization_code", code, redirect_uri: "http://127.0.0.1:1/cb", client_id: String(p.client_id), code_verifier: verifier });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const late = (await authorize(authorizeUrl(p, "http://127.0.0.1:1/cb", pkce), cookie)).searchParams.get("code")!;
    await new Promise((r) => setTimeout(r, 2500));
    const expired = await token({ grant_type: "authorization_code", code: late, redirect_uri: "http://127.0.0.1:1/cb", client_id: String(p.client_id), code_verifier: verifier });
    assert.deepEqual([expired.status, expired.body.error], [400, "invalid_grant"]);
  });

  it("without a signing key the ID token is HS256 under the client secret and the JWKS is empty", async () => {
    const p = await provider("hs-app", { redirect_uris: [{ matching_mode: "strict", url: "http://127.0.0.1:1/cb" }] });
    const discovery = (await (await fetch(`${sb.url}/application/o/hs-app/.well-known/openid-configuration`)).json()) as Row;
    assert.deepEqual(discovery.id_token_signing_alg_values_supported, ["HS256"]);
    assert.deepEqual(await (await fetch(String(discovery.jwks_uri))).json(), {});
    const code = (await authorize(authorizeUrl(p, "http://127.0.0.1:1/cb"))).searchParams.get("code")!;
    const t = await token({ grant_type: "authorization_code", code, redirect_uri: "http://127.0.0.1:1/cb", client_id: String(p.client_id), client_secret: String(p.client_secret) });
    const [h, body, sig] = String(t.body.id_token).split(".") as [string, string, string];
    assert.equal(createHmac("sha256", String(p.client_secret)).update(`${h}.${body}`).digest("base64url"), sig);
    const claims = JSON.parse(Buffer.from(body, "base64url").toString()) as Row;
    assert.equal(claims.email, "a@example.test", "claims of the granted scopes are in the ID token");
    assert.equal(claims.preferred_username, undefined, "profile was not mapped");
  });

  it("userinfo: no token is a 401 with WWW-Authenticate; a token without openid a 403", async () => {
    const none = await fetch(`${sb.url}/application/o/userinfo/`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get("www-authenticate") ?? "", /error="invalid_token"/);
    const p = await provider("email-only", { redirect_uris: [{ matching_mode: "strict", url: "http://127.0.0.1:1/cb" }] });
    const code = (await authorize(authorizeUrl(p, "http://127.0.0.1:1/cb", { scope: "email" }))).searchParams.get("code")!;
    const t = await token({ grant_type: "authorization_code", code, redirect_uri: "http://127.0.0.1:1/cb", client_id: String(p.client_id), client_secret: String(p.client_secret) });
    const res = await fetch(`${sb.url}/application/o/userinfo/`, { headers: { authorization: `Bearer ${String(t.body.access_token)}` } });
    assert.equal(res.status, 403);
    assert.match(res.headers.get("www-authenticate") ?? "", /insufficient_scope/);
  });

  it("an unknown client id is authentik's Client ID Error page; authorize without parameters is a 404", async () => {
    const res = await fetch(`${sb.url}/application/o/authorize/?client_id=nope&redirect_uri=x&response_type=code`);
    assert.equal(res.status, 400);
    assert.match(await res.text(), /Client ID Error/);
    assert.equal((await fetch(`${sb.url}/application/o/authorize/`)).status, 404);
    const t = await token({ grant_type: "authorization_code", code: "x", client_id: "nope", client_secret: "x" });
    assert.deepEqual([t.status, t.body.error], [400, "invalid_client"]);
  });

  it("end-session runs the invalidation flow: the next authorize asks for the login again", async () => {
    const p = await provider("logout-app", { redirect_uris: [{ matching_mode: "strict", url: "http://127.0.0.1:1/cb" }] });
    const cookie = { v: "" };
    await authorize(authorizeUrl(p, "http://127.0.0.1:1/cb"), cookie);
    const signedIn = await fetch(authorizeUrl(p, "http://127.0.0.1:1/cb"), { redirect: "manual", headers: { cookie: cookie.v } });
    assert.match(signedIn.headers.get("location") ?? "", /^http:\/\/127\.0\.0\.1:1\/cb\?code=/, "no login while the session lasts");
    const end = await fetch(`${sb.url}/application/o/logout-app/end-session/`, { redirect: "manual" });
    assert.equal(end.status, 302);
    await fetch(new URL(end.headers.get("location")!, sb.url), { headers: { cookie: cookie.v } });
    const again = await fetch(authorizeUrl(p, "http://127.0.0.1:1/cb"), { redirect: "manual", headers: { cookie: cookie.v } });
    assert.match(again.headers.get("location") ?? "", /\/if\/flow\/default-authentication-flow\//);
  });
});
