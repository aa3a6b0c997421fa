// CaddyActual.fingerprint() must be exactly the engine's generic fingerprint (sha256 of the
// canonical JSON), whether its memo is cold or warm: saved plans and restores compare them.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { canonicalJson } from "../../model/serialize.js";
import { fingerprint } from "../../engine/canonical.js";
import { compileCaddy } from "../../compile/caddy/index.js";
import * as k from "../../model/testkit.js";
import { CaddyActual } from "./provider.js";
import { extractOwned } from "./owned.js";

const generic = (v: unknown) => createHash("sha256").update(canonicalJson(JSON.parse(JSON.stringify(v)))).digest("hex");

describe("CaddyActual.fingerprint", () => {
  it("equals sha256 of the canonical JSON, cold and warm, and follows every field", () => {
    const state = k.state([k.route("b", ["b.example.com"], ["10.0.0.1:80"]), k.route("a", ["a.example.com", "*.a.example.com"], ["10.0.0.2:80"], { tls: { mode: "off" } })]);
    const owned = extractOwned({ apps: compileCaddy(state).config.apps });
    const memo = { proven: new WeakMap<object, object>() };
    const one = new CaddyActual(owned, [{ endpoint: "http://127.0.0.1:2019", etag: '"/config/ 1"' }], [], [], memo);
    assert.equal(one.fingerprint(), generic(one));
    assert.equal(fingerprint(one), generic(one));
    assert.equal(one.fingerprint(), generic(one), "warm");
    // Same owned part (shared memo), other nodes and diagnostics: a different fingerprint, still exact.
    const two = new CaddyActual(owned, [{ endpoint: "http://127.0.0.1:2019", etag: '"/config/ 2"' }], [{ severity: "warning", code: "x", message: "y" }], [], memo);
    assert.equal(two.fingerprint(), generic(two));
    assert.notEqual(two.fingerprint(), one.fingerprint());
    assert.equal(one.fingerprint(), generic(one), "back to the first");
    // The memo does not change what JSON carries (saved plans).
    assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(one))).sort(), ["diagnostics", "nodes", "owned"]);
  });
});
