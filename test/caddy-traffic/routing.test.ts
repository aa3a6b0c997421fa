// Real traffic through real caddy on compiled config: host/path routing, headers, guards, middleware.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { createServer, type Server } from "node:http";
import { WebSocketServer, WebSocket } from "ws";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { freePort } from "../helpers/proc.js";
import * as k from "../../src/model/testkit.js";
import { caddyHash, echo, runCaddy, send, type RunningCaddy } from "./harness.js";

describe("caddy traffic: routing and middleware", () => {
  let a: Upstream, b: Upstream, c: Upstream;
  let caddy: RunningCaddy;
  let wsPort: number;
  let wsHttp: Server;
  let wss: WebSocketServer;
  const off = { tls: { mode: "off" as const, forceHttps: false } };

  before(async () => {
    [a, b, c] = await Promise.all([startUpstream("a"), startUpstream("b"), startUpstream("c")]);
    wsPort = await freePort();
    wsHttp = createServer((_q, s) => s.writeHead(426).end());
    wss = new WebSocketServer({ server: wsHttp });
    wss.on("connection", (sock, req) => sock.on("message", (m) => sock.send(`echo:${m.toString()} via ${req.headers.host}`)));
    await new Promise<void>((r) => wsHttp.listen(wsPort, "127.0.0.1", r));
    const hash = caddyHash("s3cret pass");
    caddy = await runCaddy(
      (port) =>
        k.state(
          [
            k.route("site-a", ["a.test"], [a.address], {
              ...off,
              headers: { request: { set: { "X-Env": "prod {http.request.host}" }, remove: ["X-Remove-Me"] }, response: { set: { "X-Served-By": "hecate" }, remove: [] } },
            }),
            k.route("site-a-api", ["a.test"], [b.address], { ...off, paths: ["/api"] }),
            k.route("maint", ["m.test"], [a.address], { ...off, maintenance: { message: "Back {soon} <b>", retryAfter: "2m" } }),
            k.route("deny", ["deny.test"], [a.address], { ...off, ipFilter: { allow: [], deny: ["127.0.0.0/8"] } }),
            k.route("allow", ["allow.test"], [a.address], { ...off, ipFilter: { allow: ["10.0.0.0/8"], deny: [] } }),
            k.route("www", ["w.test", "www.w.test"], [a.address], { ...off, middleware: [{ name: "apex", type: "redirect", kind: "www-to-apex", code: 301 }] }),
            k.route("custom", ["c.test"], [a.address], { ...off, middleware: [{ name: "away", type: "redirect", kind: "custom", to: "https://elsewhere.test/x?{y}", code: 302 }] }),
            k.route("gz", ["gz.test"], [a.address], {
              ...off,
              middleware: [
                { name: "gz", type: "compression", encodings: ["gzip"] },
                { name: "sec", type: "security-headers", headers: { "X-Frame-Options": "DENY" } },
              ],
            }),
            k.route("ba", ["ba.test"], [a.address], { ...off, middleware: [{ name: "ba", type: "basic-auth", realm: "hecate", users: [{ username: "alice", passwordHash: "secret:alice-hash" }] }] }),
            k.route("size", ["size.test"], [a.address], { ...off, middleware: [{ name: "small", type: "request-size", maxBytes: 100 }] }),
            k.route("ws", ["ws.test"], [`127.0.0.1:${wsPort}`], { ...off, websockets: true }),
            k.route("wild", ["*.wild.test"], [c.address], off),
            k.route("exact", ["x.wild.test"], [a.address], off),
          ],
          k.settings({ listen: ["127.0.0.1:1"], httpPort: port }),
        ),
      { "secret:alice-hash": hash },
    );
  });
  after(async () => {
    await caddy?.stop();
    await Promise.all([a?.close(), b?.close(), c?.close()]);
    wss?.close();
    wsHttp?.closeAllConnections();
    await new Promise((r) => wsHttp?.close(r));
  });

  it("routes by host and by path prefix (longer prefix first)", async () => {
    assert.equal(echo(await send(caddy.port, "a.test", "/")).name, "a");
    assert.equal(echo(await send(caddy.port, "a.test", "/api")).name, "b");
    assert.equal(echo(await send(caddy.port, "a.test", "/api/v1/x")).name, "b");
    assert.equal(echo(await send(caddy.port, "a.test", "/apix")).name, "a");
    assert.equal((await send(caddy.port, "unknown.test", "/")).status, 404);
  });

  it("exact hosts win over wildcards; wildcards match one label", async () => {
    assert.equal(echo(await send(caddy.port, "x.wild.test")).name, "a");
    assert.equal(echo(await send(caddy.port, "y.wild.test")).name, "c");
    assert.equal((await send(caddy.port, "z.y.wild.test")).status, 404);
  });

  it("sets and removes request headers, sets response headers, never expands user text", async () => {
    const r = await send(caddy.port, "a.test", "/", { headers: { "X-Remove-Me": "1", "X-Keep": "2" } });
    const e = echo(r);
    assert.equal(e.headers["x-env"], "prod {http.request.host}");
    assert.equal(e.headers["x-remove-me"], undefined);
    assert.equal(e.headers["x-keep"], "2");
    assert.equal(r.headers["x-served-by"], "hecate");
  });

  it("serves the maintenance page with 503 and Retry-After", async () => {
    const r = await send(caddy.port, "m.test", "/anything");
    assert.equal(r.status, 503);
    assert.equal(r.headers["retry-after"], "120");
    assert.match(r.body, /Back \{soon\} &lt;b&gt;/);
    assert.equal(a.requests.filter((q) => q.headers.host === "m.test").length, 0);
  });

  it("ip filter: deny list and allow list answer 403", async () => {
    assert.equal((await send(caddy.port, "deny.test")).status, 403);
    assert.equal((await send(caddy.port, "allow.test")).status, 403);
  });

  it("redirects www to apex and to a custom target", async () => {
    const r = await send(caddy.port, "www.w.test", "/p?q=1");
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, "http://w.test/p?q=1");
    assert.equal(echo(await send(caddy.port, "w.test", "/p")).name, "a");
    const c2 = await send(caddy.port, "c.test", "/");
    assert.equal(c2.status, 302);
    assert.equal(c2.headers.location, "https://elsewhere.test/x?{y}");
  });

  it("compresses with gzip and adds security headers", async () => {
    const r = await send(caddy.port, "gz.test", "/", { headers: { "Accept-Encoding": "gzip", "X-Pad": "p".repeat(2000) } });
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-encoding"], "gzip");
    assert.equal(r.headers["x-frame-options"], "DENY");
    const raw = await new Promise<Buffer>((resolve, reject) => {
      import("node:http").then(({ request }) => {
        const req = request({ host: "127.0.0.1", port: caddy.port, path: "/", headers: { host: "gz.test", "accept-encoding": "gzip", "x-pad": "p".repeat(2000) } }, (res) => {
          const cs: Buffer[] = [];
          res.on("data", (x: Buffer) => cs.push(x));
          res.on("end", () => resolve(Buffer.concat(cs)));
        });
        req.on("error", reject);
        req.end();
      });
    });
    assert.equal(JSON.parse(gunzipSync(raw).toString()).name, "a");
  });

  it("basic auth with a real bcrypt hash", async () => {
    assert.equal((await send(caddy.port, "ba.test")).status, 401);
    const bad = Buffer.from("alice:wrong").toString("base64");
    assert.equal((await send(caddy.port, "ba.test", "/", { headers: { Authorization: `Basic ${bad}` } })).status, 401);
    const good = Buffer.from("alice:s3cret pass").toString("base64");
    assert.equal(echo(await send(caddy.port, "ba.test", "/", { headers: { Authorization: `Basic ${good}` } })).name, "a");
  });

  it("request size limit answers 413 above the limit", async () => {
    assert.equal((await send(caddy.port, "size.test", "/", { method: "POST", body: "x".repeat(50) })).status, 200);
    assert.equal((await send(caddy.port, "size.test", "/", { method: "POST", body: "x".repeat(1000) })).status, 413);
  });

  it("upgrades websockets through caddy", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${caddy.port}/socket`, { headers: { host: "ws.test" } });
    const reply = await new Promise<string>((resolve, reject) => {
      ws.on("open", () => ws.send("hello"));
      ws.on("message", (m) => resolve(m.toString()));
      ws.on("error", reject);
    });
    ws.close();
    assert.equal(reply, "echo:hello via ws.test");
  });
});
