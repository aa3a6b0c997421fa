// A long-running engine plans a one-route apply from what its own last verified PATCH left on
// Caddy instead of reading the whole config again (the Caddy provider's Left, ProviderContext
// .assume), confirming the one object it touches. Whatever else happened to Caddy, or to the
// store, since that write, the apply must still leave Caddy serving the revision; only a hand
// edit of another object is left for drift to report.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { createEngine, type Engine } from "../../src/engine/index.js";
import type { ApplyResult } from "../../src/engine/types.js";
import type { Resource } from "../../src/model/schema.js";
import { CaddyClient } from "../../src/providers/caddy/client.js";
import { openSqliteStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/store.js";
import { get } from "../caddy-provider/caddy.js";
import { tempDir } from "../helpers/proc.js";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { startRealSystems, type RealSystems } from "./real-setup.js";
import { KEY, route } from "./setup.js";

const NAMES = ["app", "api", "web", "docs", "blog", "shop"];

describe("engine: a one-route apply planned from what the engine's own last write left", () => {
  let sys: RealSystems;
  let store: Store;
  let engine: Engine;
  let dir: ReturnType<typeof tempDir>;
  let client: CaddyClient;
  const ups: Upstream[] = [];
  /** Each route's upstream (index into ups), changed one route at a time. */
  const at: Record<string, number> = Object.fromEntries(NAMES.map((n) => [n, 0]));

  const resources = (): Resource[] => [sys.settings, ...NAMES.map((n) => route(n, ups[at[n]!]!.address))];
  const who = async (name: string) => String((await get(sys.httpPort, `${name}.example.com`)).headers["x-upstream"]);
  const assumed = (r: ApplyResult) => (r.plan?.fingerprints.caddy ?? "").startsWith("assumed");
  /** Point `name` at upstream `to`, commit, apply with `e`. */
  async function move(name: string, to: number, e: Engine = engine): Promise<ApplyResult> {
    at[name] = to;
    await e.commit(resources(), { message: `${name} -> ${to}` });
    const r = await e.apply({ systems: ["caddy"] });
    assert.equal(r.status, "succeeded", JSON.stringify(r.steps));
    return r;
  }
  async function servesAll(): Promise<void> {
    for (const n of NAMES) assert.equal(await who(n), "ABC"[at[n]!], `${n}.example.com`);
  }

  before(async () => {
    sys = await startRealSystems();
    dir = tempDir("hecate-engine-assumed-");
    store = await openSqliteStore({ path: join(dir.path, "store.db"), secretKey: KEY });
    engine = createEngine({ store, actor: "alice" });
    client = new CaddyClient(sys.caddy.admin);
    ups.push(await startUpstream("A"), await startUpstream("B"), await startUpstream("C"));
    await engine.commit(resources(), { message: "first" });
    assert.equal((await engine.apply({ systems: ["caddy"] })).status, "succeeded");
  });
  after(async () => {
    await sys?.stop();
    for (const u of ups) await u.close();
    await store?.close();
    dir?.cleanup();
  });

  it("after a PATCH it verified, the next one-route apply does not read the whole config, and traffic follows", async () => {
    const first = await move("app", 1);
    assert.equal(assumed(first), false, "the first PATCH rests on a real read");
    const second = await move("api", 1);
    assert.equal(assumed(second), true, "the second rests on what the first left");
    assert.deepEqual(second.plan?.steps.flatMap((s) => s.changes.map((c) => c.resource)), ["Route/api"]);
    await servesAll();
    assert.equal((await engine.drift({ systems: ["caddy"] })).drifted, false);
    // A plan reads Caddy, gets exactly the text the PATCHes left, and reuses what the engine built
    // for it without parsing (afterPatch): it must be what parsing gives, to the fingerprint.
    const mine = await engine.plan({ systems: ["caddy"] });
    const fresh = await createEngine({ store, actor: "carol" }).plan({ systems: ["caddy"] });
    assert.deepEqual(mine.steps, []);
    assert.equal(mine.fingerprints.caddy, fresh.fingerprints.caddy);
  });

  it("Caddy's whole config replaced by hand since: the apply reads again and brings every route back", async () => {
    await move("web", 1); // Left is set again
    const live = (await client.getConfig()).config as { apps?: unknown };
    await client.call("POST", "/load", JSON.stringify({ ...live, apps: {} }));
    const r = await move("docs", 1);
    assert.equal(assumed(r), false);
    await servesAll();
  });

  it("the very object the change touches edited by hand since: read again, the edit shows in the plan and is replaced", async () => {
    await move("blog", 1);
    const id = "hecate-route-shop";
    const now = await client.getById(id);
    assert.ok(now, `${id} is in Caddy`);
    // Point shop at C by hand, in whatever form the layout gave it (a route object or a map entry).
    await client.patchById(id, now.text.replaceAll(ups[0]!.address, ups[2]!.address), now.etag);
    assert.equal(await who("shop"), "C");
    const r = await move("shop", 1);
    assert.equal(assumed(r), false);
    await servesAll();
  });

  it("another object edited by hand since: the one-route apply leaves it (drift reports it, as the reconcile loop would)", async () => {
    await move("app", 2);
    const id = "hecate-route-web";
    const now = (await client.getById(id))!;
    await client.patchById(id, now.text.replaceAll(ups[1]!.address, ups[2]!.address), now.etag);
    const r = await move("api", 2);
    assert.equal(assumed(r), true);
    assert.equal(await who("api"), "C");
    assert.equal(await who("web"), "C", "the hand edit of web is not this apply's business");
    const drift = await engine.drift({ systems: ["caddy"] });
    assert.deepEqual(drift.systems.flatMap((s) => s.changes.map((c) => c.resource)), ["Route/web"]);
    // A full apply of the same revision reads and puts web back.
    const again = await engine.apply({ systems: ["caddy"] });
    assert.equal(again.status, "succeeded");
    await servesAll();
  });

  it("another engine on the same store applied since: the next apply reads again, even when its revision differs from what this engine left in one route only", async () => {
    await move("docs", 2);
    const other = createEngine({ store, actor: "bob" });
    const blog = at["blog"]!;
    await move("blog", 2, other);
    // blog back where this engine left it, shop moved: from this engine's own last write, one
    // route changed; on Caddy, two.
    at["blog"] = blog;
    const r = await move("shop", 2);
    assert.equal(assumed(r), false);
    await servesAll();
  });
});
