// A plan that cannot be made says everything that stands in its way at once: every system it
// could not read and every system it would need that is not built yet.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { HecateError } from "../../src/diag.js";
import { createEngine } from "../../src/engine/index.js";
import type { Resource } from "../../src/model/schema.js";
import { openSqliteStore } from "../../src/store/index.js";
import { freePort, tempDir } from "../helpers/proc.js";
import { KEY, route } from "./setup.js";

describe("plan errors", () => {
  const dir = tempDir("hecate-plan-errors-");
  after(() => dir.cleanup());

  it("names the unreachable Caddy and the DNS provider without its token, together", async () => {
    const store = await openSqliteStore({ path: join(dir.path, "s.db"), secretKey: KEY });
    try {
      const port = await freePort(); // nothing listens there
      const settings = { apiVersion: "hecate.io/v1", kind: "Settings", metadata: { name: "s" }, spec: { caddy: { admin: [`http://127.0.0.1:${port}`] } } } as Resource;
      const record = { apiVersion: "hecate.io/v1", kind: "DnsRecord", metadata: { name: "www" }, spec: { name: "www.example.com", type: "A", values: ["203.0.113.9"] } } as Resource;
      const engine = createEngine({ store, actor: "t" });
      await engine.commit([settings, record, route("app", "127.0.0.1:9")], { message: "x" });
      const err = await engine.plan().then(
        () => assert.fail("plan should fail"),
        (e: unknown) => e as HecateError,
      );
      assert.ok(err instanceof HecateError);
      assert.equal(err.code, "read-failed");
      const text = err.diagnostics.map((d) => d.message).join("\n");
      assert.match(text, new RegExp(`caddy state: cannot reach Caddy admin at http://127\\.0\\.0\\.1:${port}: connection refused`));
      assert.match(text, /1 dns object cannot be applied: DNS records need a Hetzner Cloud API token/);
    } finally {
      await store.close();
    }
  });
});
