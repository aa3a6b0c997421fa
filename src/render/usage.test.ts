import { test } from "node:test";
import assert from "node:assert/strict";
import { usageAfter, usageLines } from "./usage.js";

const dns = (reads: number, writes: number) => ({ calls: reads + writes, reads, writes, limited: 0, rateLimit: { limit: 3600, remaining: 3600 - reads - writes } });
const authentik = { calls: 11, reads: 11, writes: 0, limited: 0 };

test("after a printed plan, an apply prints a system's API usage again only when it changed", () => {
  const plan = { dns: dns(2, 0), authentik };
  assert.deepEqual(usageLines(plan), ["dns: 2 API calls (2 reads, 0 writes); rate limit: 3598 of 3600 left", "authentik: 11 API calls (11 reads, 0 writes)"]);
  // The apply wrote to DNS only: authentik's line would repeat the plan's word for word.
  assert.deepEqual(usageAfter(plan, { dns: dns(2, 1), authentik }), ["dns: 3 API calls (2 reads, 1 write); rate limit: 3597 of 3600 left"]);
  assert.deepEqual(usageAfter(plan, plan), []);
  // Without a printed plan (rollback, reconcile), every line.
  assert.deepEqual(usageAfter(undefined, plan), usageLines(plan));
});
