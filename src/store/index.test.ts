// Backend choice by URL: the SQLite file by default or by path; etcd/Consul named but not built.
import { strict as assert } from "node:assert";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { HecateError } from "../diag.js";
import { tempDir } from "../../test/helpers/proc.js";
import { defaultKeyFile, defaultStorePath, openStore } from "./index.js";

describe("openStore", () => {
  const dir = tempDir("hecate-open-");
  after(() => dir.cleanup());

  it("opens the SQLite file from a path, a sqlite: URL, or $HECATE_STORE", async () => {
    for (const [i, url] of [join(dir.path, "plain.db"), `sqlite:${join(dir.path, "url.db")}`, `sqlite://${join(dir.path, "slashes.db")}`].entries()) {
      const s = await openStore({ url, env: {} });
      await s.putRevision({ resources: [], author: "t", message: `m${i}`, source: { type: "cli" }, expectedParent: 0 });
      await s.close();
    }
    for (const f of ["plain.db", "url.db", "slashes.db"]) assert.ok(existsSync(join(dir.path, f)), f);
    assert.equal(defaultStorePath({ HECATE_STORE: "/x/y.db" }), "/x/y.db");
    assert.equal(defaultStorePath({ XDG_STATE_HOME: "/state" }), "/state/hecate/hecate.db");
    assert.equal(defaultKeyFile({ XDG_CONFIG_HOME: "/config" }), "/config/hecate/secret.key");
    const s = await openStore({ env: { HECATE_STORE_URL: "sqlite" }, path: join(dir.path, "opt.db") });
    await s.close();
    assert.ok(existsSync(join(dir.path, "opt.db")));
  });

  it("says etcd and Consul are not built yet, and rejects unknown backends", async () => {
    for (const url of ["etcd://127.0.0.1:2379/hecate", "consul://localhost:8500/hecate"]) {
      await assert.rejects(openStore({ url }), (e: unknown) => e instanceof HecateError && e.code === "backend-not-built" && /not built yet/.test(e.message));
    }
    await assert.rejects(openStore({ env: { HECATE_STORE_URL: "etcd://x" } }), /etcd store backend is not built/);
    await assert.rejects(openStore({ url: "redis://x" }), (e: unknown) => e instanceof HecateError && e.code === "store-url");
  });
});
