// Forward auth through real caddy against a stand-in for authentik's outpost endpoint.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { freePort } from "../helpers/proc.js";
import * as k from "../../src/model/testkit.js";
import { IDENTITY_HEADERS } from "../../src/compile/caddy/index.js";
import { echo, runCaddy, send, type RunningCaddy } from "./harness.js";

/**
 * Every spelling of every identity header a client could forge: each "-" as "-" or "_" (CGI,
 * WSGI and PHP fold both into one variable) and in four cases, plus one name authentik may add later.
 */
function forgedSpellings(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [...IDENTITY_HEADERS, "X-Authentik-Custom-Thing"]) {
    const parts = name.split("-");
    for (let mask = 0; mask < 2 ** (parts.length - 1); mask++) {
      const joined = parts.reduce((acc, p, i) => (i === 0 ? p : acc + ((mask >> (i - 1)) & 1 ? "_" : "-") + p), "");
      const mixed = [...joined].map((c, i) => (i % 2 ? c.toUpperCase() : c.toLowerCase())).join("");
      for (const spelling of new Set([joined, joined.toLowerCase(), joined.toUpperCase(), mixed])) out[spelling] = "forged";
    }
  }
  return out;
}

/** Header names in a request that spell an identity header, whatever the case or separator. */
const identityNames = (h: IncomingHttpHeaders | Record<string, unknown>) => Object.keys(h).filter((n) => /^x[-_]authentik[-_]/i.test(n));

/** Behaves like authentik's /outpost.goauthentik.io/auth/caddy: 302 without session, 200 + identity with one. */
async function startOutpost(): Promise<{ address: string; seen: IncomingHttpHeaders[]; other: IncomingHttpHeaders[]; close: () => Promise<void> }> {
  const port = await freePort();
  const seen: IncomingHttpHeaders[] = [];
  const other: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    // Caddy's rewrite keeps the client's query string; the outpost routes on the path.
    if ((req.url ?? "").split("?")[0] === "/outpost.goauthentik.io/auth/caddy") {
      seen.push(req.headers);
      if (!req.headers["x-forwarded-uri"] || !req.headers["x-forwarded-host"]) return void res.writeHead(500).end("missing forwarding headers");
      if ((req.headers.cookie ?? "").includes("session=alice")) {
        return void res.writeHead(200, { "X-Authentik-Username": "alice", "X-Authentik-Groups": "admins|staff" }).end();
      }
      const rd = encodeURIComponent(`http://${req.headers["x-forwarded-host"]}${req.headers["x-forwarded-uri"]}`);
      return void res.writeHead(302, { Location: `http://auth.test/login?rd=${rd}` }).end();
    }
    other.push(req.headers);
    res.writeHead(200, { "content-type": "text/plain" }).end(`outpost ${req.url}`);
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return { address: `127.0.0.1:${port}`, seen, other, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

describe("caddy traffic: forward auth", () => {
  let app: Upstream, pub: Upstream;
  let outpost: Awaited<ReturnType<typeof startOutpost>>;
  let caddy: RunningCaddy;
  const off = { tls: { mode: "off" as const, forceHttps: false } };
  const forged = { "X-Authentik-Username": "root", "x-authentik-groups": "admins", "X-Authentik-Custom-Thing": "x" };

  before(async () => {
    [app, pub, outpost] = await Promise.all([startUpstream("app"), startUpstream("pub"), startOutpost()]);
    const auth = k.authPolicy("staff", outpost.address);
    caddy = await runCaddy((port) =>
      k.state(
        [
          k.route("app", ["app.test"], [app.address], { ...off, auth, ssoBypass: ["/public", "/healthz"] }),
          k.route("app-open", ["app.test"], [pub.address], { ...off, paths: ["/open"] }),
          k.route("pub", ["pub.test"], [pub.address], off),
          k.route("wild", ["*.corp.test"], [app.address], { ...off, auth }),
        ],
        k.settings({ listen: ["127.0.0.1:1"], httpPort: port }),
      ),
    );
  });
  after(async () => {
    await caddy?.stop();
    await Promise.all([app?.close(), pub?.close(), outpost?.close()]);
  });

  it("sends anonymous users the outpost's 302 to the login page", async () => {
    const before = app.requests.length;
    const r = await send(caddy.port, "app.test", "/dashboard?x=1");
    assert.equal(r.status, 302, r.body);
    assert.equal(r.headers.location, `http://auth.test/login?rd=${encodeURIComponent("http://app.test/dashboard?x=1")}`);
    assert.equal(app.requests.length, before, "the upstream must not be reached");
    const last = outpost.seen.at(-1)!;
    assert.equal(last["x-forwarded-method"], "GET");
    assert.equal(last["x-forwarded-uri"], "/dashboard?x=1");
  });

  it("copies the identity headers to the upstream for a signed-in user", async () => {
    const e = echo(await send(caddy.port, "app.test", "/dashboard", { headers: { Cookie: "session=alice" } }));
    assert.equal(e.name, "app");
    assert.equal(e.headers["x-authentik-username"], "alice");
    assert.equal(e.headers["x-authentik-groups"], "admins|staff");
    // headers the outpost did not send stay absent (not empty)
    assert.equal(e.headers["x-authentik-email"], undefined);
  });

  it("never lets client-supplied identity headers reach the upstream", async () => {
    const signedIn = echo(await send(caddy.port, "app.test", "/x", { headers: { Cookie: "session=alice", ...forged } }));
    assert.equal(signedIn.headers["x-authentik-username"], "alice");
    assert.equal(signedIn.headers["x-authentik-groups"], "admins|staff");
    assert.equal(signedIn.headers["x-authentik-custom-thing"], undefined);
    // the outpost itself never sees forged identity either
    assert.equal(outpost.seen.at(-1)!["x-authentik-username"], undefined);
    for (const [host, path] of [["app.test", "/public/page"], ["pub.test", "/"], ["app.test", "/open/x"]] as const) {
      const e = echo(await send(caddy.port, host, path, { headers: forged }));
      assert.equal(e.headers["x-authentik-username"], undefined, `${host}${path}`);
      assert.equal(e.headers["x-authentik-groups"], undefined, `${host}${path}`);
      assert.equal(e.headers["x-authentik-custom-thing"], undefined, `${host}${path}`);
    }
  });

  it("strips every spelling of every identity header on every path, before auth", async () => {
    const spellings = forgedSpellings();
    assert.ok(Object.keys(spellings).length > 200, "the forged set covers the separator and case variants");
    // Protected, signed in: only the outpost's own identity arrives.
    const signedIn = echo(await send(caddy.port, "app.test", "/x", { headers: { Cookie: "session=alice", ...spellings } }));
    assert.deepEqual(identityNames(signedIn.headers).sort(), ["x-authentik-groups", "x-authentik-username"]);
    assert.equal(signedIn.headers["x-authentik-username"], "alice");
    assert.equal(identityNames(outpost.seen.at(-1)!).length, 0, "the auth endpoint saw client-supplied identity");
    // Protected, anonymous: the auth endpoint must not see forged identity either.
    const n = outpost.seen.length;
    assert.equal((await send(caddy.port, "app.test", "/x", { headers: spellings })).status, 302);
    assert.equal(outpost.seen.length, n + 1);
    assert.deepEqual(identityNames(outpost.seen.at(-1)!), []);
    const wild = echo(await send(caddy.port, "x.corp.test", "/", { headers: { Cookie: "session=alice", ...spellings } }));
    assert.deepEqual(identityNames(wild.headers).sort(), ["x-authentik-groups", "x-authentik-username"]);
    // Bypass paths, a public path route on the protected host, a public host.
    for (const [host, path] of [["app.test", "/public/page"], ["app.test", "/healthz"], ["app.test", "/open/x"], ["pub.test", "/"]] as const) {
      const e = echo(await send(caddy.port, host, path, { headers: spellings }));
      assert.deepEqual(identityNames(e.headers), [], `${host}${path}`);
    }
    // The outpost's own paths.
    const o = await send(caddy.port, "app.test", "/outpost.goauthentik.io/callback", { headers: spellings });
    assert.equal(o.status, 200, o.body);
    assert.deepEqual(identityNames(outpost.other.at(-1)!), []);
  });

  it("serves SSO-bypass paths and public routes without asking the outpost", async () => {
    const n = outpost.seen.length;
    assert.equal(echo(await send(caddy.port, "app.test", "/public/page")).name, "app");
    assert.equal(echo(await send(caddy.port, "app.test", "/healthz")).name, "app");
    assert.equal(echo(await send(caddy.port, "app.test", "/open/y")).name, "pub");
    assert.equal(echo(await send(caddy.port, "pub.test", "/")).name, "pub");
    assert.equal(outpost.seen.length, n);
    // a bypass prefix is a path prefix, not a string prefix
    assert.equal((await send(caddy.port, "app.test", "/publicity")).status, 302);
  });

  it("routes the outpost's own paths (callback, sign_out) to the outpost", async () => {
    const r = await send(caddy.port, "app.test", "/outpost.goauthentik.io/sign_out");
    assert.equal(r.status, 200);
    assert.equal(r.body, "outpost /outpost.goauthentik.io/sign_out");
    assert.equal((await send(caddy.port, "pub.test", "/outpost.goauthentik.io/sign_out")).status, 200);
    assert.equal(echo(await send(caddy.port, "pub.test", "/outpost.goauthentik.io/sign_out")).name, "pub");
  });

  it("protects wildcard hosts too", async () => {
    assert.equal((await send(caddy.port, "x.corp.test", "/")).status, 302);
    assert.equal(echo(await send(caddy.port, "x.corp.test", "/", { headers: { Cookie: "session=alice" } })).headers["x-authentik-username"], "alice");
  });
});
