// The authentik sandbox's /core/tokens/ as authentik answers it, through the official client:
// made for the caller, key only by view_key, only api/app_password intents, expiring by default,
// an api token authenticates as its user until deleted or expired; the bootstrap token is one too.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Configuration, CoreApi, ResponseError } from "@goauthentik/api";
import { startAuthentikSandbox, type AuthentikSandbox } from "../../src/sandbox/authentik/index.js";
import { clients, TOKEN } from "./authentik-helpers.js";

const coreWith = (sb: AuthentikSandbox, token: string) => new CoreApi(new Configuration({ basePath: sb.apiUrl, accessToken: token }));
const status = async (p: Promise<unknown>) => {
  try {
    await p;
    return 200;
  } catch (e) {
    return e instanceof ResponseError ? e.response.status : -1;
  }
};

describe("authentik sandbox: API tokens", () => {
  let sb: AuthentikSandbox;
  before(async () => (sb = await startAuthentikSandbox({ token: TOKEN })));
  after(() => sb.close());

  it("the bootstrap token is akadmin's never-expiring api token", async () => {
    const list = await clients(sb).core.coreTokensList({ identifier: "authentik-bootstrap-token" });
    assert.equal(list.results.length, 1);
    const t = list.results[0]!;
    assert.equal(t.intent, "api");
    assert.equal(t.expiring, false);
    assert.equal(t.userObj.username, "akadmin");
    assert.equal((t as unknown as Record<string, unknown>).key, undefined, "the key is never part of the object");
    assert.equal((await clients(sb).core.coreTokensViewKeyRetrieve({ identifier: t.identifier })).key, TOKEN);
  });

  it("a new token: made for the caller, its key by view_key, authenticates until deleted", async () => {
    const core = clients(sb).core;
    const made = await core.coreTokensCreate({ tokenRequest: { identifier: "ci-token", expiring: false, description: "ci" } });
    assert.equal(made.intent, "api");
    assert.equal(made.userObj.username, "akadmin");
    const { key } = await core.coreTokensViewKeyRetrieve({ identifier: "ci-token" });
    assert.ok(key.length >= 40 && key !== TOKEN);
    assert.equal((await coreWith(sb, key).coreUsersMeRetrieve()).user.username, "akadmin");
    assert.equal(await status(core.coreTokensCreate({ tokenRequest: { identifier: "ci-token" } })), 400, "identifier taken");
    await core.coreTokensDestroy({ identifier: "ci-token" });
    assert.equal(await status(coreWith(sb, key).coreUsersMeRetrieve()), 403);
    assert.equal(await status(core.coreTokensViewKeyRetrieve({ identifier: "ci-token" })), 404);
  });

  it("refuses other intents, bad identifiers, unknown users; an expired or non-api token does not authenticate", async () => {
    const raw = async (body: unknown) => {
      const res = await fetch(`${sb.apiUrl}/core/tokens/`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    assert.deepEqual(await raw({ identifier: "v1", intent: "verification" }), { status: 400, body: { intent: ["Invalid intent verification"] } });
    assert.equal((await raw({ identifier: "has space" })).status, 400);
    assert.equal((await raw({ identifier: "nouser", user: 999999 })).status, 400);
    const core = clients(sb).core;
    await core.coreTokensCreate({ tokenRequest: { identifier: "old-one", expiring: true, expires: new Date(Date.now() - 1000) } });
    const k1 = (await core.coreTokensViewKeyRetrieve({ identifier: "old-one" })).key;
    assert.equal(await status(coreWith(sb, k1).coreUsersMeRetrieve()), 403, "expired");
    await core.coreTokensCreate({ tokenRequest: { identifier: "app-pw", intent: "app_password", expiring: false } });
    const k2 = (await core.coreTokensViewKeyRetrieve({ identifier: "app-pw" })).key;
    assert.equal(await status(coreWith(sb, k2).coreUsersMeRetrieve()), 403, "an app password is not an API token");
    await core.coreTokensSetKeyCreate({ identifier: "app-pw", tokenSetKeyRequest: { key: "chosen-key-0123456789" } });
    assert.equal((await core.coreTokensViewKeyRetrieve({ identifier: "app-pw" })).key, "chosen-key-0123456789");
  });
});
