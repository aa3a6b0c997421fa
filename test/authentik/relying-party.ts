// A tiny OIDC relying party (what Grafana's generic_oauth does) on a loopback port, built on the
// openid-client library: /login starts the authorization code flow (PKCE S256, state, nonce);
// the callback exchanges the code with the client secret it was given (client_secret_post: the
// library form-encodes client_secret_basic credentials, "-" as "%2D", which authentik does not
// decode, goauthentik/authentik#20739),
// verifies the ID token's signature against the issuer's JWKS (the library's non-repudiation
// checks), reads userinfo, and answers JSON with what it learned, the raw ID token included.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as oidc from "openid-client";

export interface RelyingParty {
  readonly address: string;
  /** Use another client secret from now on (the operator reconfigured the app). */
  setSecret(secret: string): void;
  close(): Promise<void>;
}

export interface SignedIn {
  idToken: string;
  claims: Record<string, unknown>;
  userinfo: Record<string, unknown>;
}

export async function startRelyingParty(opts: { issuer: string; clientId: string; secret: string; redirectUri: string; auth?: "post" | "basic" }): Promise<RelyingParty> {
  const configure = async (secret: string) => {
    const method = opts.auth === "basic" ? oidc.ClientSecretBasic(secret) : oidc.ClientSecretPost(secret);
    const c = await oidc.discovery(new URL(opts.issuer), opts.clientId, secret, method, { execute: [oidc.allowInsecureRequests] });
    oidc.enableNonRepudiationChecks(c);
    return c;
  };
  // Discovery waits for the first sign-in: the RP runs (as Caddy's upstream) before Hecate has provisioned its client.
  let secret = opts.secret;
  let configured: Promise<oidc.Configuration> | undefined;
  const cfg = () => (configured ??= configure(secret));
  const pending = new Map<string, { verifier: string; nonce: string }>();
  const callbackPath = new URL(opts.redirectUri).pathname;

  const server: Server = createServer((req, res) => {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };
    void (async () => {
      const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`);
      if (url.pathname === "/api/health") return send(200, { database: "ok" }); // the grafana preset's health check
      if (url.pathname === "/login") {
        const verifier = oidc.randomPKCECodeVerifier();
        const state = oidc.randomState();
        const nonce = oidc.randomNonce();
        pending.set(state, { verifier, nonce });
        const to = oidc.buildAuthorizationUrl(await cfg(), {
          redirect_uri: opts.redirectUri,
          scope: "openid email profile",
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: "S256",
          state,
          nonce,
        });
        return send(302, {}, { location: to.toString() });
      }
      if (url.pathname === callbackPath) {
        const state = url.searchParams.get("state") ?? "";
        const p = pending.get(state);
        if (!p) return send(400, { error: "unknown state" });
        pending.delete(state);
        try {
          // The URL the browser came back to is the redirect URI the library sends (the same host and port Hecate provisioned).
          const config = await cfg();
          const tokens = await oidc.authorizationCodeGrant(config, new URL(`${opts.redirectUri}${url.search}`), { pkceCodeVerifier: p.verifier, expectedState: state, expectedNonce: p.nonce });
          const claims = tokens.claims()!;
          const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
          return send(200, { idToken: tokens.id_token ?? "", claims, userinfo } satisfies SignedIn);
        } catch (e) {
          const err = e as { error?: string; code?: string; message: string };
          return send(401, { error: err.error ?? err.code ?? "failed", message: err.message });
        }
      }
      return send(404, { error: "not found" });
    })().catch((e: Error) => {
      configured = undefined; // a failed discovery is tried again on the next sign-in
      send(500, { error: e.message });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    setSecret: (value) => {
      secret = value;
      configured = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
