// The sign-in bypass is loud in `hecate serve`'s metrics: one series per bypassed route, with its end.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { test } from "node:test";
import type { Resource } from "../../src/model/schema.js";
import { createMetrics } from "../../src/server/metrics.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import { tempDir } from "../helpers/proc.js";

test("hecate_auth_bypassed is 1 for a bypassed protected route of the live revision, absent otherwise", async () => {
  const dir = tempDir("hecate-metrics-bypass-");
  const store = await openSqliteStore({ path: join(dir.path, "s.db"), secretKey: randomBytes(32) });
  try {
    const route = (name: string, extra: Record<string, unknown>) => ({ apiVersion: "hecate.io/v1", kind: "Route", metadata: { name }, spec: { hosts: [`${name}.test`], upstreams: [{ address: "127.0.0.1:9" }], authPolicy: "staff", ...extra } }) as Resource;
    const put = async (resources: Resource[], parent: number) => {
      const rev = await store.putRevision({ resources, author: "t", message: "t", source: { type: "cli" }, expectedParent: parent });
      await store.setApplied(rev.hash);
    };
    const metrics = createMetrics(store);
    await put([route("grafana", { bypassAuth: { until: "2030-01-01T00:00:00.000Z", reason: "incident" } }), route("wiki", {})], 0);
    const text = await metrics.registry.metrics();
    assert.match(text, /hecate_auth_bypassed\{route="grafana",until="2030-01-01T00:00:00.000Z"\} 1/);
    assert.ok(!/hecate_auth_bypassed\{route="wiki"/.test(text));
    await put([route("grafana", {}), route("wiki", {})], 1);
    assert.ok(!/hecate_auth_bypassed\{/.test(await metrics.registry.metrics()), "gone once sign-in is back");
  } finally {
    await store.close();
    dir.cleanup();
  }
});
