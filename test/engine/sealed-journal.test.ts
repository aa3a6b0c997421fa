// Undo data can hold secrets (a Caddy node's previous config carries password hashes): the journal
// and backups must never contain them, yet a crashed apply must still be undoable from the store.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createEngine, type Engine } from "../../src/engine/index.js";
import { sealName, unsealRecord } from "../../src/engine/seal.js";
import type { Resource } from "../../src/model/schema.js";
import { openSqliteStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/store.js";
import { get } from "../caddy-provider/caddy.js";
import { tempDir } from "../helpers/proc.js";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { startRealSystems, type RealSystems } from "./real-setup.js";
import { KEY, route } from "./setup.js";

describe("sealed undo data", () => {
  let sys: RealSystems;
  let store: Store;
  let engine: Engine;
  let up: Upstream;
  const dir = tempDir("hecate-sealed-");
  const hash = execFileSync("caddy", ["hash-password", "--plaintext", "s3cret-pass"]).toString().trim();
  const before1 = process.env.HECATE_TEST_BCRYPT;

  before(async () => {
    process.env.HECATE_TEST_BCRYPT = hash;
    sys = await startRealSystems();
    up = await startUpstream("A");
    store = await openSqliteStore({ path: join(dir.path, "store.db"), secretKey: KEY });
    engine = createEngine({ store, actor: "alice" });
  });
  after(async () => {
    if (before1 === undefined) delete process.env.HECATE_TEST_BCRYPT;
    else process.env.HECATE_TEST_BCRYPT = before1;
    await sys?.stop();
    await up?.close();
    await store?.close();
    dir.cleanup();
  });

  it("keeps password hashes out of the journal and the backup, and drops the sealed copy after apply", async () => {
    const auth = {
      apiVersion: "hecate.io/v1",
      kind: "Middleware",
      metadata: { name: "staff" },
      spec: { type: "basic-auth", users: [{ username: "ops", passwordHash: "env:HECATE_TEST_BCRYPT" }] },
    } as Resource;
    await engine.commit([sys.settings, auth, route("app", up.address, { middleware: ["staff"] })], { message: "one" });
    const r1 = await engine.apply();
    assert.equal(r1.status, "succeeded", JSON.stringify(r1.steps));
    assert.equal((await get(sys.httpPort, "app.example.com")).status, 401, "basic auth is live");

    // A second apply captures the first config (with the resolved hash) as Caddy's undo data.
    await engine.commit([sys.settings, auth, route("app", up.address, { middleware: ["staff"], headers: { request: { set: { "X-Two": "2" } } } })], { message: "two" });
    const r2 = await engine.apply();
    assert.equal(r2.status, "succeeded");
    const journal = JSON.stringify(await store.readJournal(r2.applyId));
    assert.ok(journal.includes("sealed"), "the caddy step names its sealed undo data");
    assert.ok(!journal.includes(hash), "the bcrypt hash is not in the journal");
    assert.deepEqual((await store.listSecrets()).filter((n) => n.startsWith("hecate.journal/")), [], "sealed copies are dropped once the apply ended");

    const file = join(dir.path, "backup.tgz");
    await engine.backup(file);
    const { execFileSync: x } = await import("node:child_process");
    const listing = x("tar", ["-xzOf", file]).toString();
    assert.ok(listing.length > 0);
    assert.ok(!listing.includes(hash), "the backup holds no plaintext hash");
    assert.ok(!readFileSync(file).includes(Buffer.from(hash)));
  });

  it("unseals a record that a crashed apply left behind", async () => {
    const name = sealName("apply-x", 0);
    await store.putSecret(name, JSON.stringify({ nodes: [{ endpoint: "e", previous: { secret: hash } }] }));
    const rec = await unsealRecord(store, { detail: {}, sensitive: true, sealed: name });
    assert.deepEqual(rec?.undo, { nodes: [{ endpoint: "e", previous: { secret: hash } }] });
    await store.deleteSecret(name);
    assert.equal(await unsealRecord(store, { sealed: name }), undefined, "a dropped seal yields no record, so recovery re-applies the previous revision");
  });
});
