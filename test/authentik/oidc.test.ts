// A user signs in to an OIDC app with exactly what Hecate provisioned. Through the CLI, Hecate
// applies a grafana-preset route (its client secret piped into `hecate create secret`) to real
// Caddy and the authentik sandbox; Caddy serves grafana.test from a relying party built on the
// openid-client library, which discovers the issuer, sends the browser to authorize (PKCE, state,
// nonce), and, after the sandbox's login page, exchanges the code with the secret (client_secret_post), verifies the
// ID token against the JWKS and reads userinfo. Another group is denied; a wrong secret, a
// redirect URI not provisioned, a replayed code and a wrong PKCE verifier are refused as authentik
// refuses them; after `hecate update secret` and apply the old secret stops working.
import assert from "node:assert/strict";
import { createPublicKey, verify, type JsonWebKey } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { startAuthentikSandbox, type AuthentikSandbox } from "../../src/sandbox/authentik/index.js";
import { startCaddy, type Caddy } from "../caddy-provider/caddy.js";
import { caddySettingsYaml, sandbox, type Sandbox } from "../cli/helpers.js";
import { freePorts } from "../helpers/proc.js";
import { TOKEN } from "../sandbox/authentik-helpers.js";
import { Browser } from "../helpers/browser.js";
import { startRelyingParty, type RelyingParty, type SignedIn } from "./relying-party.js";

process.env["HECATE_TEST_AUTHENTIK_TOKEN"] = TOKEN;
const SECRET = "grafana-oidc-secret-first-0123456789";
const ROTATED = "grafana-oidc-secret-second-9876543210";

describe("OIDC sign-in with what Hecate provisions (grafana preset, real Caddy, openid-client)", () => {
  let ak: AuthentikSandbox;
  let caddy: Caddy;
  let rp: RelyingParty;
  let sb: Sandbox;
  let httpPort: number;
  let issuer: string;
  let redirectUri: string;
  const clientId = "hecate-grafana";

  before(async () => {
    sb = sandbox();
    ak = await startAuthentikSandbox({
      token: TOKEN,
      seed: {
        groups: [{ name: "staff", parents: [], is_superuser: false }, { name: "other", parents: [], is_superuser: false }],
        users: [
          { username: "alice", password: "alice-pw", name: "Alice Liddell", email: "alice@example.com", groups: ["staff"] },
          { username: "bob", password: "bob-pw", groups: ["other"] },
        ],
      },
    });
    caddy = await startCaddy();
    const [h, s] = (await freePorts(2)) as [number, number];
    httpPort = h;
    issuer = `${ak.url}/application/o/${clientId}/`;
    redirectUri = `http://grafana.test:${httpPort}/login/generic_oauth`;
    rp = await startRelyingParty({ issuer, clientId, secret: SECRET, redirectUri });

    const conf = `${sb.dir}/conf`;
    mkdirSync(conf, { recursive: true });
    writeFileSync(
      `${conf}/settings.yaml`,
      caddySettingsYaml(caddy.admin, { httpPort: h, httpsPort: s }, `  authentik:\n    url: ${ak.url}\n    token: env:HECATE_TEST_AUTHENTIK_TOKEN\n    outpost: ${new URL(ak.url).host}\n`),
    );
    writeFileSync(
      `${conf}/grafana.yaml`,
      `apiVersion: hecate.io/v1
kind: AuthPolicy
metadata: {name: staff}
spec: {groups: [staff]}
---
apiVersion: hecate.io/v1
kind: Secret
metadata: {name: grafana-oidc}
spec: {from: store}
---
apiVersion: hecate.io/v1
kind: Route
metadata: {name: grafana}
spec:
  preset: grafana
  hosts: [grafana.test]
  upstreams: [{address: "${rp.address}"}]
  authPolicy: staff
  tls: {mode: "off"}
  signIn: {clientSecret: "secret:grafana-oidc"}
`,
    );
    const created = await sb.hecate(["create", "secret", "grafana-oidc", "--value-from-stdin"], { stdin: SECRET });
    assert.equal(created.code, 0, created.stderr);
    const applied = await sb.hecate(["apply", conf, "--yes"]);
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    assert.ok(!applied.stdout.includes(SECRET), "the secret is not printed");
  });
  after(async () => {
    await rp?.close();
    await caddy?.stop();
    await ak?.close();
    sb?.cleanup();
  });

  const signIn = async (username: string, password: string) => new Browser(httpPort, ak).visit(`http://grafana.test:${httpPort}/login`, { username, password });
  const token = (body: Record<string, string>, basic?: [string, string]) =>
    fetch(`${ak.url}/application/o/token/`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...(basic ? { authorization: `Basic ${Buffer.from(basic.join(":")).toString("base64")}` } : {}) },
      body: new URLSearchParams(body),
    });
  /** A code for alice (no PKCE), taken from the redirect to the app rather than given to the RP. */
  const codeFor = async (extra: Record<string, string> = {}) => {
    const b = new Browser(httpPort, ak);
    const authorize = `${ak.url}/application/o/authorize/?${new URLSearchParams({ client_id: clientId, redirect_uri: redirectUri, response_type: "code", scope: "openid profile", state: "s1", ...extra })}`;
    await b.visit(authorize, { username: "alice", password: "alice-pw" }); // signs in; the app then refuses a state it never made
    const page = await b.request(authorize);
    const location = new URL(page.headers.get("location") ?? "");
    assert.equal(location.origin + location.pathname, redirectUri, `redirected to the app: ${page.status} ${await page.text()}`);
    assert.equal(location.searchParams.get("state"), "s1", "state comes back");
    return location.searchParams.get("code")!;
  };

  it("alice of staff signs in: the RP verifies the ID token against the JWKS and reads her groups from userinfo", async () => {
    const res = await signIn("alice", "alice-pw");
    assert.equal(res.status, 200, await res.clone().text());
    const got = (await res.json()) as SignedIn;
    assert.equal(got.claims["iss"], issuer);
    assert.equal(got.claims["aud"], clientId);
    assert.equal(got.claims["preferred_username"], "alice");
    assert.equal(got.userinfo["preferred_username"], "alice");
    assert.equal(got.userinfo["email"], "alice@example.com");
    assert.equal(got.userinfo["name"], "Alice Liddell");
    assert.deepEqual(got.userinfo["groups"], ["staff"]);
    assert.equal(got.userinfo["sub"], got.claims["sub"]);

    // Independently of the library: RS256 over the JWT's first two parts, with the JWKS key its kid names.
    const [h, p, sig] = got.idToken.split(".") as [string, string, string];
    const header = JSON.parse(Buffer.from(h, "base64url").toString()) as { alg: string; kid: string };
    assert.equal(header.alg, "RS256");
    const jwks = (await (await fetch(`${issuer}jwks/`)).json()) as { keys: (JsonWebKey & { kid: string; use: string })[] };
    const key = jwks.keys.find((k) => k.kid === header.kid);
    assert.ok(key && key.use === "sig", "the signing key is published under the token's kid");
    const pub = createPublicKey({ key, format: "jwk" });
    assert.ok(verify("RSA-SHA256", Buffer.from(`${h}.${p}`), pub, Buffer.from(sig, "base64url")), "signature verifies");
    const tampered = Buffer.from(JSON.stringify({ ...(JSON.parse(Buffer.from(p, "base64url").toString()) as object), preferred_username: "root" })).toString("base64url");
    assert.ok(!verify("RSA-SHA256", Buffer.from(`${h}.${tampered}`), pub, Buffer.from(sig, "base64url")), "a changed claim does not");
  });

  it("bob of another group is denied at authorize: no code reaches the app", async () => {
    const res = await signIn("bob", "bob-pw");
    assert.equal(res.status, 403);
    assert.match(await res.text(), /Permission denied/);
  });

  it("a wrong client secret gets invalid_client, by client_secret_basic and client_secret_post alike", async () => {
    const code = await codeFor();
    // Basic credentials form-encoded first (RFC 6749 2.3.1; openid-client does it, "-" as "%2D") are taken as sent, as authentik does (goauthentik/authentik#20739).
    const encoded = await token({ grant_type: "authorization_code", code, redirect_uri: redirectUri }, ["hecate%2Dgrafana", SECRET]);
    assert.equal(((await encoded.json()) as { error: string }).error, "invalid_client");
    for (const r of [
      await token({ grant_type: "authorization_code", code, redirect_uri: redirectUri }, [clientId, "wrong-secret"]),
      await token({ grant_type: "authorization_code", code, redirect_uri: redirectUri, client_id: clientId, client_secret: "wrong-secret" }),
    ]) {
      assert.equal(r.status, 400);
      assert.equal(((await r.json()) as { error: string }).error, "invalid_client");
    }
    // The code was not spent by the failures; with the right secret (post) it works once, then never again.
    const ok = await token({ grant_type: "authorization_code", code, redirect_uri: redirectUri, client_id: clientId, client_secret: SECRET });
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.match(((await ok.json()) as { id_token: string }).id_token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const replay = await token({ grant_type: "authorization_code", code, redirect_uri: redirectUri }, [clientId, SECRET]);
    assert.equal(replay.status, 400);
    assert.equal(((await replay.json()) as { error: string }).error, "invalid_grant");
  });

  it("a redirect URI Hecate did not provision is refused at authorize (authentik's page) and at the token endpoint", async () => {
    const evil = `${ak.url}/application/o/authorize/?${new URLSearchParams({ client_id: clientId, redirect_uri: "http://evil.test/login/generic_oauth", response_type: "code", scope: "openid" })}`;
    const res = await fetch(evil, { redirect: "manual" });
    assert.equal(res.status, 400);
    const page = await res.text();
    assert.match(page, /Redirect URI Error/);
    assert.match(page, /mismatching redirection URI \(redirect_uri\)/);
    const code = await codeFor();
    const r = await token({ grant_type: "authorization_code", code, redirect_uri: `https://grafana.test/login/generic_oauth` }, [clientId, SECRET]);
    assert.equal(r.status, 400);
    assert.equal(((await r.json()) as { error: string }).error, "invalid_client", "authentik answers a redirect URI mismatch at the token endpoint so");
  });

  it("PKCE: a wrong verifier gets invalid_grant; the nonce comes back in the ID token", async () => {
    const code = await codeFor({ code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", code_challenge_method: "S256", nonce: "n-0S6_WzA2Mj" });
    const bad = await token({ grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: "not-the-verifier" }, [clientId, SECRET]);
    assert.equal(((await bad.json()) as { error: string }).error, "invalid_grant");
    // RFC 7636's example verifier for that challenge.
    const good = await token({ grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" }, [clientId, SECRET]);
    assert.equal(good.status, 200, await good.clone().text());
    const idToken = ((await good.json()) as { id_token: string }).id_token;
    assert.equal((JSON.parse(Buffer.from(idToken.split(".")[1]!, "base64url").toString()) as { nonce: string }).nonce, "n-0S6_WzA2Mj");
  });

  it("after `hecate update secret` and apply, the old secret stops working and the new one works", async () => {
    const upd = await sb.hecate(["update", "secret", "grafana-oidc", "--value-from-stdin", "-m", "rotate grafana client secret"], { stdin: ROTATED });
    assert.equal(upd.code, 0, upd.stderr);
    const applied = await sb.hecate(["apply", "--yes"]);
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    assert.ok(!applied.stdout.includes(ROTATED) && !applied.stdout.includes(SECRET));

    // The app still configured with the old secret: the code exchange fails with invalid_client.
    const stale = await signIn("alice", "alice-pw");
    assert.equal(stale.status, 401);
    assert.equal(((await stale.json()) as { error: string }).error, "invalid_client");
    rp.setSecret(ROTATED);
    const fresh = await signIn("alice", "alice-pw");
    assert.equal(fresh.status, 200, await fresh.clone().text());
    assert.equal(((await fresh.json()) as SignedIn).userinfo["preferred_username"], "alice");
  });
});
