import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HecateError } from "../../diag.js";
import { isDown, majority } from "./fleet.js";

const failure = (code: string, cause?: { code: string }, message = "x") => new HecateError(code, message, { status: 502, ...(cause ? { cause } : {}) });

describe("caddy fleet rules", () => {
  it("a majority of the nodes must answer: the one of one, both of two, 2 of 3, 3 of 5", () => {
    assert.deepEqual([1, 2, 3, 4, 5].map(majority), [1, 2, 2, 3, 3]);
  });

  it("a node is down when nothing answers or the connection died; never when it answered or TLS is wrong", () => {
    assert.equal(isDown(failure("caddy-unreachable", { code: "ECONNREFUSED" })), true);
    assert.equal(isDown(failure("caddy-unreachable", { code: "ENOENT" })), true);
    assert.equal(isDown(failure("caddy-outcome-unknown", { code: "ECONNRESET" })), true, "killed while loading");
    assert.equal(isDown(failure("caddy-timeout", undefined, "Caddy admin at x did not answer within 100 ms (GET /config/)")), true);
    assert.equal(isDown(failure("caddy-unreachable", { code: "DEPTH_ZERO_SELF_SIGNED_CERT" })), false);
    assert.equal(isDown(failure("caddy-outcome-unknown")), false, "a write still unanswered may yet land");
    assert.equal(isDown(failure("caddy-timeout", undefined, "…; POST /config/ was answered 30 ms after it was sent: Caddy took it")), false);
    assert.equal(isDown(failure("caddy-rejected")), false);
    assert.equal(isDown(new Error("ECONNREFUSED")), false);
  });
});
