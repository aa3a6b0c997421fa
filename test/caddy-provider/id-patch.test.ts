// What Caddy 2.6.2 does with an @id-addressed guarded PATCH, the write the provider uses for a
// one-route change: GET /id/X answers an Etag for X's own path, PATCH /id/X honours If-Match of
// it (412 once X changed), and an edit elsewhere does not make it stale; with the whole config's
// Etag instead, any edit since that read does.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { CaddyClient } from "../../src/providers/caddy/client.js";
import { rejectsWith as rejects } from "../helpers/errors.js";
import { freePort } from "../helpers/proc.js";
import { get, startCaddy, type Caddy } from "./caddy.js";

describe("caddy 2.6.2: If-Match on /id/ paths", () => {
  let caddy: Caddy;
  let port: number;
  const route = (id: string, host: string, body: string) => ({ "@id": id, match: [{ host: [host] }], handle: [{ handler: "static_response", body }], terminal: true });
  before(async () => {
    port = await freePort();
    caddy = await startCaddy({
      config: {
        apps: {
          http: {
            servers: {
              s: {
                listen: [`127.0.0.1:${port}`],
                automatic_https: { disable: true },
                routes: [route("r-a", "a.test", "a1"), { handle: [{ handler: "subroute", routes: [route("r-b", "b.test", "b1")] }] }],
              },
            },
          },
        },
      },
    });
  });
  after(async () => {
    await caddy?.stop();
  });

  it("GET /id/X answers X's own path and hash as Etag; PATCH with it applies, with a stale one is 412", async () => {
    const c = new CaddyClient(caddy.admin);
    const nested = await c.getById("r-b");
    assert.ok(nested);
    assert.match(nested.etag, /^"\/config\/apps\/http\/servers\/s\/routes\/1\/handle\/0\/routes\/0 [0-9a-f]+"$/, "the nested object's own path");
    assert.deepEqual(nested.value, route("r-b", "b.test", "b1"));
    assert.equal(await c.getById("no-such-id"), undefined, "unknown @id: 404");

    const a = await c.getById("r-a");
    assert.ok(a);
    assert.match(a.etag, /^"\/config\/apps\/http\/servers\/s\/routes\/0 [0-9a-f]+"$/);
    // An edit of another object does not make r-a's Etag stale: the hash is of r-a alone.
    await c.patchById("r-b", JSON.stringify(route("r-b", "b.test", "b2")), nested.etag);
    assert.equal((await get(port, "b.test")).body, "b2");
    await c.patchById("r-a", JSON.stringify(route("r-a", "a.test", "a2")), a.etag);
    assert.equal((await get(port, "a.test")).body, "a2");

    // a.etag is stale now (r-a changed): 412, mapped to caddy-changed, and nothing changes.
    const before = await c.getConfigText();
    await rejects(c.patchById("r-a", JSON.stringify(route("r-a", "a.test", "a3")), a.etag), "caddy-changed", /changed since it was read/);
    const res = await c.request("PATCH", "/id/r-a", JSON.stringify(route("r-a", "a.test", "a3")), { "Content-Type": "application/json", "If-Match": a.etag });
    assert.equal(res.status, 412, res.body);
    assert.deepEqual(await c.getConfigText(), before, "a refused PATCH changes nothing");
    assert.equal((await get(port, "a.test")).body, "a2");

    // What GET /id/X answers is, byte for byte, the part of GET /config/'s text it is.
    const now = await c.getById("r-a");
    assert.ok(now && before.text.includes(now.text.replace(/\n$/, "")));

    // The whole config's Etag guards a PATCH of one object: an edit of another object since that
    // read makes it stale (412), none lets it through.
    const whole = await c.getConfigText();
    await c.patchById("r-b", JSON.stringify(route("r-b", "b.test", "b3")), (await c.getById("r-b"))!.etag);
    await rejects(c.patchById("r-a", JSON.stringify(route("r-a", "a.test", "a3")), whole.etag), "caddy-changed", /changed since it was read/);
    assert.equal((await get(port, "a.test")).body, "a2");
    await c.patchById("r-a", JSON.stringify(route("r-a", "a.test", "a3")), (await c.getConfigText()).etag);
    assert.equal((await get(port, "a.test")).body, "a3");
    assert.equal((await get(port, "b.test")).body, "b3");
  });
});
