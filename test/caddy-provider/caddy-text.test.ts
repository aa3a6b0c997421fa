// caddyText against a real Caddy 2.6.2: what Hecate sends is byte for byte what GET /config/ answers,
// which is what lets apply skip identical configs and verify skip the structural compare.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { CaddyClient } from "../../src/providers/caddy/client.js";
import { caddyText } from "../../src/providers/caddy/owned.js";
import { freePort } from "../helpers/proc.js";
import { startCaddy, type Caddy } from "./caddy.js";

describe("caddyText", () => {
  let caddy: Caddy;
  before(async () => {
    caddy = await startCaddy();
  });
  after(async () => {
    await caddy?.stop();
  });

  it("is exactly what Caddy answers for the config it was sent", async () => {
    const client = new CaddyClient(caddy.admin);
    const port = await freePort();
    const tricky = 'a<b>&c \u2028 \u2029 \b \f \\b \\\\f "q" \t\n\r \u0001 \u001f é ü 日本 😀 \\u003c </script>';
    const live = (await client.getConfig()).config as Record<string, unknown>;
    const config = {
      ...live,
      apps: {
        http: {
          servers: {
            hecate: {
              listen: [`127.0.0.1:${port}`],
              read_timeout: 30000000000,
              max_header_bytes: 1048576,
              routes: [
                {
                  "@id": "hecate-route-x",
                  match: [{ host: ["x.test"], path: ["/a&b/*"] }],
                  handle: [
                    { handler: "headers", response: { set: { "X-Tricky": [tricky], "X-Empty": [""] } } },
                    { handler: "static_response", status_code: 200, body: tricky, close: false },
                  ],
                  terminal: true,
                },
              ],
              automatic_https: { disable: true },
            },
          },
        },
      },
    };
    const text = caddyText(config);
    await client.putConfigText(text);
    const back = await client.getConfigText();
    assert.equal(back.text, text);
    // Key order does not matter: the text is canonical.
    const reversed = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reversed) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) : v;
    assert.equal(caddyText(reversed(config)), text);
    // And a different config gives a different text.
    assert.notEqual(caddyText({ ...config, apps: { http: { servers: {} } } }), text);
  });
});
