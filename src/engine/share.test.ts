// Core.resolve shares resolved route objects between revisions read back from the store: what
// compile then sees as unchanged by identity must be exactly what resolving afresh gives.
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { resolveState } from "../model/index.js";
import type { Resource } from "../model/schema.js";
import { openSqliteStore } from "../store/index.js";
import { tempDir } from "../../test/helpers/proc.js";
import { Core } from "./core.js";
import { commit, loadDesired } from "./history.js";
import { stringify } from "yaml";

const settings = { apiVersion: "hecate.io/v1", kind: "Settings", metadata: { name: "settings" }, spec: { authentik: { url: "http://127.0.0.1:9000", token: "env:T", outpost: "127.0.0.1:9000" } } } as Resource;
const policy = (groups: string[]) => ({ apiVersion: "hecate.io/v1", kind: "AuthPolicy", metadata: { name: "staff" }, spec: { mode: "forward_single", groups } }) as Resource;
const routes = (changed: number) =>
  Array.from({ length: 40 }, (_, i) => ({
    apiVersion: "hecate.io/v1",
    kind: "Route",
    metadata: { name: `r${String(i).padStart(2, "0")}` },
    spec: { hosts: [`r${i}.example.com`], upstreams: [{ address: `10.0.0.${i}:${i === changed ? 9090 : 8080}` }], ...(i % 3 ? { authPolicy: "staff" } : { public: true }) },
  })) as Resource[];

describe("resolved routes shared between stored revisions", () => {
  const dir = tempDir("hecate-share-");
  after(() => dir.cleanup());

  it("an unchanged route is the same object in both states, a changed one is not, and each state equals a fresh resolve", async () => {
    const store = await openSqliteStore({ path: join(dir.path, "a.db"), secretKey: randomBytes(32) });
    try {
      const core = new Core({ store, actor: "test" });
      const a = (await commit(core, [settings, policy(["staff"]), ...routes(-1)], { message: "a" })).revision;
      const b = (await commit(core, [settings, policy(["staff"]), ...routes(7)], { message: "b" })).revision;
      // Read back, as an apply of a stored revision does.
      const ra = core.resolve((await store.getRevision(a.hash))!);
      const rb = core.resolve((await store.getRevision(b.hash))!);
      for (const [i, r] of rb.routes.entries()) {
        if (r.name === "r07") assert.notEqual(r, ra.routes[i], "the changed route is resolved afresh");
        else assert.equal(r, ra.routes[i], `${r.name} is shared`);
      }
      for (const [rev, state] of [[b, rb], [a, ra]] as const) assert.deepEqual(state, resolveState((await store.getRevision(rev.hash))!.resources).state);
      // Another policy: every protected route resolves differently, so nothing is shared.
      const c = (await commit(core, [settings, policy(["admins"]), ...routes(7)], { message: "c" })).revision;
      const rc = core.resolve((await store.getRevision(c.hash))!);
      assert.ok(rc.routes.every((r, i) => r !== rb.routes[i]));
      assert.deepEqual(rc, resolveState((await store.getRevision(c.hash))!.resources).state);
    } finally {
      await store.close();
    }
  });

  it("files sent again with a route changed share the other routes with the state before, by place, and equal a fresh resolve", async () => {
    const store = await openSqliteStore({ path: join(dir.path, "b.db"), secretKey: randomBytes(32) });
    try {
      const core = new Core({ store, actor: "test" });
      const stored = (await commit(core, [settings, policy(["staff"]), ...routes(-1)], { message: "a" })).revision;
      let before = core.resolve((await store.getRevision(stored.hash))!);
      let previous: Resource[] = [settings, policy(["staff"]), ...routes(-1)];
      const yaml = (list: Resource[]) => list.map((r) => stringify(r)).join("---\n");
      const renamed = routes(-1).map((r, i) => (i === 20 ? { ...r, metadata: { name: "r20-renamed" } } : r));
      const steps: [string, Resource[]][] = [
        ["the stored state as files", [settings, policy(["staff"]), ...routes(-1)]],
        ["one route changed", [settings, policy(["staff"]), ...routes(7)]],
        ["another route changed", [settings, policy(["staff"]), ...routes(12)]],
        ["back to no change", [settings, policy(["staff"]), ...routes(-1)]],
        ["a route renamed", [settings, policy(["staff"]), ...renamed]],
        ["the policy changed", [settings, policy(["admins"]), ...renamed]],
        ["one route changed again", [settings, policy(["admins"]), ...renamed.map((r, i) => (i === 3 ? routes(3)[3]! : r))]],
      ];
      for (const [what, list] of steps) {
        const d = await loadDesired(core, { type: "files", files: [{ name: "conf.yaml", text: yaml(list) }], location: "conf" });
        const state = core.resolve(d);
        assert.deepEqual(state, resolveState(list).state, `${what}: the state a fresh resolve gives`);
        // With the same policy, a route whose body is as it was is the very object resolved before.
        const was = new Map(before.routes.map((r) => [r.name, r]));
        const body = new Map(previous.map((r) => [r.metadata.name, JSON.stringify(r)]));
        const unchanged = list.filter((r) => r.kind === "Route" && body.get(r.metadata.name) === JSON.stringify(r)).map((r) => r.metadata.name);
        if (what !== "the policy changed") {
          assert.ok(unchanged.length >= 38, `${what}: ${unchanged.length} unchanged routes`);
          for (const name of unchanged) assert.equal(state.routes.find((r) => r.name === name), was.get(name), `${what}: ${name} is the object the state before holds`);
        }
        before = state;
        previous = list;
      }
    } finally {
      await store.close();
    }
  });
});

