// Backend choice by URL: the SQLite file by default or by path, etcd by etcd://; Consul named but not built.
import { strict as assert } from "node:assert";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { HecateError } from "../diag.js";
import { freePort, tempDir } from "../../test/helpers/proc.js";
import { defaultKeyFile, defaultStorePath, openStore, parseEtcdUrl } from "./index.js";

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

  it("reads etcd URLs (members, prefix) and names what is wrong with a bad one; Consul is not built yet", async () => {
    assert.deepEqual(parseEtcdUrl("etcd://10.0.0.1:2379,10.0.0.2:2379"), { endpoints: ["10.0.0.1:2379", "10.0.0.2:2379"], prefix: "/hecate/" });
    assert.deepEqual(parseEtcdUrl("etcd://h:2379/team-a/"), { endpoints: ["h:2379"], prefix: "/team-a/" });
    for (const [url, re] of [["etcd://", /names no etcd member/], ["etcd://host", /"host" is not host:port/]] as const) {
      await assert.rejects(openStore({ url, env: {} }), (e: unknown) => e instanceof HecateError && e.code === "store-url" && re.test(e.message));
    }
    // Nothing listens there: a clear 503 naming the endpoint, soon (the request deadline), not a hang.
    const port = await freePort();
    await assert.rejects(openStore({ path: `etcd://127.0.0.1:${port}`, env: {} }), (e: unknown) => e instanceof HecateError && e.code === "store-unavailable" && e.status === 503 && e.message.includes(`127.0.0.1:${port}`));
    await assert.rejects(openStore({ url: "consul://localhost:8500/hecate" }), (e: unknown) => e instanceof HecateError && e.code === "backend-not-built" && /not built yet/.test(e.message));
    await assert.rejects(openStore({ url: "redis://x" }), (e: unknown) => e instanceof HecateError && e.code === "store-url");
  });
});
