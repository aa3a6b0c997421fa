// Operator commands around the engine: the audit log, the apply lock, suspending reconcile.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openStore } from "../../src/store/index.js";
import { sandbox, type Sandbox } from "./helpers.js";

let sb: Sandbox;
before(() => (sb = sandbox()));
after(() => sb.cleanup());

describe("operator commands", () => {
  it("audit lists every change with its actor, newest first", async () => {
    assert.equal((await sb.hecate(["create", "route", "one", "--host", "one.example.com", "--upstream", "10.0.0.1:80", "--public"])).code, 0);
    assert.equal((await sb.hecate(["create", "route", "two", "--host", "two.example.com", "--upstream", "10.0.0.2:80", "--public"], { env: { USER: "bob" } })).code, 0);
    const r = await sb.hecate(["audit"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.match(lines[0]!, /^TIME\s+ACTOR\s+ACTION/);
    assert.match(lines[1]!, /bob\s+revision\.create/);
    assert.match(lines[2]!, /alice\s+revision\.create/);
    const j = JSON.parse((await sb.hecate(["audit", "-o", "json"])).stdout) as { action: string }[];
    assert.equal(j.length, 2);
  });

  it("unlock names the holder, refuses without --force, and --force frees the lock", async () => {
    assert.match((await sb.hecate(["unlock"])).stdout, /free/);
    const store = await openStore({ path: sb.store });
    assert.equal((await store.tryLock("apply", "crashed@otherhost/123", 600_000)).acquired, true);
    await store.close();
    const refused = await sb.hecate(["unlock"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /held by crashed@otherhost\/123/);
    const forced = await sb.hecate(["unlock", "--force"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /removed the apply lock held by crashed@otherhost\/123/);
    assert.match((await sb.hecate(["unlock"])).stdout, /free/);
    assert.match((await sb.hecate(["audit"])).stdout, /lock\.break/);
  });

  it("reconcile --suspend / --resume is remembered in the store", async () => {
    assert.match((await sb.hecate(["reconcile", "--status"])).stdout, /reconcile: active/);
    assert.match((await sb.hecate(["reconcile", "--suspend"])).stdout, /suspended/);
    const s = JSON.parse((await sb.hecate(["reconcile", "--status", "-o", "json"])).stdout) as { suspended: boolean };
    assert.equal(s.suspended, true);
    assert.match((await sb.hecate(["reconcile", "--resume"])).stdout, /reconcile: active/);
    assert.equal((await sb.hecate(["reconcile", "--suspend", "--resume"])).code, 2);
  });
});
