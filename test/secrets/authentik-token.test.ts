// `hecate secret rotate` of the token Hecate talks to authentik with: a new token made through the
// authentik API (the sandbox, strict as authentik), verified, switched to in the store, the old one
// revoked; audited without either key.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Configuration, CoreApi, ResponseError } from "@goauthentik/api";
import { startAuthentikSandbox, type AuthentikSandbox } from "../../src/sandbox/authentik/index.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import type { Resource } from "../../src/model/schema.js";
import { sandbox, type Sandbox } from "../cli/helpers.js";

const OLD = "bootstrap-token-0123456789abcdef";
let sb: Sandbox;
let ak: AuthentikSandbox;
before(async () => {
  sb = sandbox();
  ak = await startAuthentikSandbox({ token: OLD });
});
after(async () => {
  await ak?.close();
  sb?.cleanup();
});

const me = async (token: string) => {
  try {
    return (await new CoreApi(new Configuration({ basePath: ak.apiUrl, accessToken: token })).coreUsersMeRetrieve()).user.username;
  } catch (e) {
    return e instanceof ResponseError ? e.response.status : String(e);
  }
};

describe("rotating the authentik API token", () => {
  it("makes a new token through the API, verifies it, switches to it and revokes the old one", async () => {
    assert.equal((await sb.hecate(["create", "secret", "ak-token", "--value-from-stdin"], { stdin: OLD })).code, 0);
    const store = await openSqliteStore({ path: sb.store });
    try {
      const head = (await store.head())!;
      const settings = { apiVersion: "hecate.io/v1", kind: "Settings", metadata: { name: "settings" }, spec: { authentik: { url: ak.url, token: "secret:ak-token" } } } as Resource;
      await store.putRevision({ resources: [...head.resources, settings], author: "test", message: "authentik", source: { type: "cli" }, expectedParent: head.seq });
    } finally {
      await store.close();
    }
    assert.equal(await me(OLD), "akadmin");
    const r = await sb.hecate(["secret", "rotate", "ak-token"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr + r.stdout, /a new authentik API token \(hecate-\d{4}-\d\d-\d\d-[0-9a-f]{8}\) was made, verified and switched to; the old one \(authentik-bootstrap-token\) is revoked/);
    const s2 = await openSqliteStore({ path: sb.store });
    try {
      const now = (await s2.getSecret("ak-token"))!;
      assert.notEqual(now, OLD);
      assert.equal(await me(now), "akadmin", "the stored token works");
      assert.equal(await me(OLD), 403, "the old token is revoked");
      const audit = JSON.stringify(await s2.listAudit({ limit: 5 }));
      assert.match(audit, /secret\.rotate\.authentik/);
      assert.ok(!audit.includes(now) && !audit.includes(OLD), "no key in the audit log");
      // Again: the token made last time is the one revoked now.
      const again = await sb.hecate(["secret", "rotate", "ak-token"]);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(await me(now), 403);
      assert.equal(await me((await s2.getSecret("ak-token"))!), "akadmin");
    } finally {
      await s2.close();
    }
  });
});
