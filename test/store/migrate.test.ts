// `hecate migrate-store` from the embedded SQLite store to a real etcd: the CLI works on the etcd
// store afterwards with the same history, audit chain and secrets; a non-empty target is refused.
import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { startEtcd, type EtcdCluster } from "../helpers/etcd.js";
import { sandbox, type Sandbox } from "../cli/helpers.js";
import { openStore } from "../../src/store/index.js";

describe("hecate migrate-store", () => {
  let cluster: EtcdCluster;
  let sb: Sandbox;
  before(async () => {
    cluster = await startEtcd(1);
    sb = sandbox();
  });
  after(async () => {
    await cluster?.stop();
    sb?.cleanup();
  });

  it("copies every revision, audit row and secret from SQLite to etcd, and the CLI goes on there", async () => {
    const ok = async (args: string[], env?: Record<string, string | undefined>) => {
      const r = await sb.hecate(args, env ? { env } : undefined);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}${r.stdout}`);
      return r.stdout;
    };
    await ok(["create", "route", "app", "--host", "app.example.com", "--upstream", "127.0.0.1:8080", "--public", "-m", "add app"]);
    await ok(["create", "route", "api", "--host", "api.example.com", "--upstream", "127.0.0.1:8081", "--public", "-m", "add api"]);
    await ok(["create", "secret", "db", "--value-from", "env:DB_PASSWORD", "-m", "db password"], { DB_PASSWORD: "hunter2-very-secret" });
    const url = cluster.url("hecate-migrated");
    const out = await ok(["migrate-store", "--from", `sqlite:${sb.store}`, "--to", url]);
    assert.match(out, /copied .* 3 revisions .* audit entries \(chain verified\)/);

    const onEtcd = { HECATE_STORE: url };
    const history = await ok(["history", "-o", "json"], onEtcd);
    assert.deepEqual((JSON.parse(history) as { message: string }[]).map((r) => r.message), ["db password", "add api", "add app"]);
    assert.match(await ok(["audit", "verify"], onEtcd), /ok|verified|intact/i);
    const auditSqlite = JSON.parse(await ok(["audit", "-o", "json"])) as unknown[];
    const auditEtcd = JSON.parse(await ok(["audit", "-o", "json"], onEtcd)) as unknown[];
    assert.deepEqual(auditEtcd.slice(-auditSqlite.length), auditSqlite.slice(0), "the same rows, the same chain");
    const etcdStore = await openStore({ url, env: process.env });
    try {
      assert.equal(await etcdStore.getSecret("db"), "hunter2-very-secret", "the sealed secret opens with the same key");
    } finally {
      await etcdStore.close();
    }
    // The CLI writes on etcd now: a new revision on top of the migrated head.
    await ok(["create", "route", "web", "--host", "web.example.com", "--upstream", "127.0.0.1:8082", "--public", "-m", "add web"], onEtcd);
    assert.equal((JSON.parse(await ok(["history", "-o", "json"], onEtcd)) as unknown[]).length, 4);

    const again = await sb.hecate(["migrate-store", "--from", `sqlite:${sb.store}`, "--to", url]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /already holds revisions \(head #4\); pass --replace/);
  });
});
