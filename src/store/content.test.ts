// Revisions stored by content: what one change costs at 10,000 routes, the layout's chunking, and
// the migration of stores written with whole-snapshot revisions.
import { strict as assert } from "node:assert";
import { statSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import type { Resource } from "../model/schema.js";
import { hashResources } from "../model/serialize.js";
import { tempDir } from "../../test/helpers/proc.js";
import { contentHash, knownDocument, layout, unknownBodies } from "./content.js";
import { MIGRATIONS, openSqliteStore } from "./sqlite.js";

const route = (i: number, upstream = "10.0.0.1:8080"): Resource => ({
  apiVersion: "hecate.io/v1",
  kind: "Route",
  metadata: { name: `r${i}`, labels: { team: `t${i % 7}` } },
  spec: { hosts: [`r${i}.example.com`], upstreams: [{ address: upstream }], authPolicy: "staff" },
});
const routes = (n: number) => Array.from({ length: n }, (_, i) => route(i));

/** Size of the main database file once the WAL is folded into it. */
function checkpointedSize(path: string): number {
  const raw = new Database(path);
  try {
    raw.pragma("wal_checkpoint(TRUNCATE)");
  } finally {
    raw.close();
  }
  return statSync(path).size;
}

describe("revisions by content", () => {
  const dir = tempDir("hecate-content-");
  after(() => dir.cleanup());

  it("the layout hash is the revision hash, and a one-route change rewrites one chunk", () => {
    const base = routes(2000);
    const a = layout(base);
    assert.equal(a.hash, hashResources(base));
    assert.ok(a.chunks.length > 10, `${a.chunks.length} chunks`);
    const changed = base.map((r, i) => (i === 1000 ? route(1000, "10.9.9.9:80") : r));
    const added = [...base.slice(0, 500), route(99_999), ...base.slice(500)];
    const removed = base.filter((_, i) => i !== 1500);
    for (const next of [changed, added, removed]) {
      const b = layout(next);
      assert.equal(b.hash, hashResources(next));
      const fresh = b.manifest.filter((h) => !a.manifest.includes(h));
      assert.ok(fresh.length <= 2, `${fresh.length} new chunks`); // 2 when the change hit a boundary
    }
  });

  it("a layout that reuses chunks laid out before is the layout made afresh", () => {
    // Known bodies (as a store or the YAML reader hands out) take part in the reuse; copies of
    // them (plain objects) are laid out from scratch: both must agree, chunk by chunk.
    const base = routes(3000).map((r) => knownDocument(r));
    const fresh = (list: readonly Resource[]) => layout(list.map((r) => structuredClone(r)));
    const strip = (l: ReturnType<typeof layout>) => ({ hash: l.hash, manifest: l.manifest, chunks: l.chunks.map((c) => ({ ...c })), bodies: [...l.bodies] });
    assert.deepEqual(strip(layout(base)), strip(fresh(base)));
    const edits: Resource[][] = [
      base.map((r, i) => (i === 1000 ? knownDocument(route(1000, "10.9.9.9:80")) : r)),
      [...base.slice(0, 500), knownDocument(route(99_999)), ...base.slice(500)],
      base.filter((_, i) => i !== 1500),
      [...base, knownDocument(route(3000))],
      base.slice(0, -1),
      [...base.slice(1), base[0]!],
      [...base.slice(0, 100), ...base.slice(100, 200).reverse(), ...base.slice(200)],
    ];
    for (const next of edits) {
      assert.deepEqual(strip(layout(next)), strip(fresh(next)));
      assert.deepEqual(strip(layout(base)), strip(fresh(base)));
    }
  });

  it("with 10,000 routes stored, a one-route change grows the file by under 50 KB", async () => {
    const path = join(dir.path, "growth.db");
    const s = await openSqliteStore({ path });
    try {
      const base = routes(10_000);
      await s.putRevision({ resources: base, author: "t", message: "10k", source: { type: "cli" }, expectedParent: 0 });
      const before = checkpointedSize(path);
      let head = 1;
      for (let k = 0; k < 5; k++) {
        const next = base.map((r, i) => (i === 4321 + k ? route(i, `10.1.1.${k}:80`) : r));
        await s.putRevision({ resources: next, author: "t", message: `change ${k}`, source: { type: "cli" }, expectedParent: head++ });
      }
      const grown = (checkpointedSize(path) - before) / 5;
      console.log(`store: ${before} bytes with 10,000 routes; +${Math.round(grown)} bytes per one-route revision`);
      assert.ok(grown < 50_000, `a one-route change grew the store by ${grown} bytes`);
      const last = (await s.head())!;
      assert.equal(last.resources.length, 10_000);
      assert.deepEqual(last.resources[4325], route(4325, "10.1.1.4:80"));
      assert.equal(last.hash, hashResources(last.resources));
    } finally {
      await s.close();
    }
  });

  it("migrates a store of whole-snapshot revisions: the same revisions read back, bodies stored once", async () => {
    const path = join(dir.path, "old.db");
    const v1 = MIGRATIONS[0];
    assert.equal(typeof v1, "string");
    // A store as the first schema wrote it: each revision a full JSON snapshot.
    const raw = new Database(path);
    raw.pragma("journal_mode = WAL");
    raw.pragma(`application_id = ${0x48454341}`);
    raw.exec(v1 as string);
    raw.pragma("user_version = 1");
    const states = [routes(3), [...routes(3), route(3)], routes(3).filter((r) => r.metadata.name !== "r1"), [...routes(3), route(3)], []];
    const sources = [{ type: "file", location: "/etc/hecate" }, { type: "cli" }, { type: "cli" }, { type: "rollback", location: "abc" }, { type: "api" }];
    let parent: string | null = null;
    const ins = raw.prepare("INSERT INTO revisions (seq, hash, parent, author, message, source, created_at, resources) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    states.forEach((res, i) => {
      const hash = hashResources(res);
      ins.run(i + 1, hash, parent, `author${i}`, `message ${i}`, JSON.stringify(sources[i]), `2026-01-0${i + 1}T00:00:00.000Z`, JSON.stringify(res));
      parent = hash;
    });
    raw.prepare("INSERT INTO meta (key, value) VALUES ('applied', '2')").run();
    raw.prepare("INSERT INTO locks (name, holder, acquired_at, expires_ms) VALUES ('apply', 'old@host/1/aa', '2026-01-01T00:00:00.000Z', ?)").run(Date.now() + 60_000);
    raw.close();

    const s = await openSqliteStore({ path });
    try {
      const metas = await s.listRevisions();
      assert.deepEqual(
        metas.map((m) => [m.seq, m.hash, m.parent, m.author, m.message, m.source, m.createdAt]),
        states
          .map((res, i) => [i + 1, hashResources(res), i === 0 ? undefined : hashResources(states[i - 1]!), `author${i}`, `message ${i}`, sources[i], `2026-01-0${i + 1}T00:00:00.000Z`])
          .reverse(),
      );
      for (const [i, res] of states.entries()) {
        const rev = (await s.getRevision(`#${i + 1}`))!;
        assert.deepEqual(rev.resources, res, `revision #${i + 1}`);
        assert.equal(rev.hash, hashResources(rev.resources));
      }
      assert.equal((await s.lastApplied())?.seq, 2);
      // A lock held across the upgrade keeps working, and the next acquisition gets a real token.
      assert.equal((await s.getLock("apply"))?.holder, "old@host/1/aa");
      assert.equal((await s.tryLock("apply", "old@host/1/aa", 1_000)).acquired, true);
      await s.unlock("apply", "old@host/1/aa");
      const next = await s.tryLock("apply", "new", 1_000);
      assert.ok(next.acquired && next.lock.token >= 1);
      // History keeps growing from the migrated head.
      assert.equal((await s.putRevision({ resources: routes(4), author: "x", message: "after", source: { type: "cli" }, expectedParent: 5 })).seq, 6);
    } finally {
      await s.close();
    }
    const check = new Database(path);
    try {
      assert.equal(check.pragma("user_version", { simple: true }), MIGRATIONS.length);
      const cols = (check.prepare("PRAGMA table_info(revisions)").all() as { name: string }[]).map((c) => c.name);
      assert.ok(!cols.includes("resources") && cols.includes("manifest"), cols.join(","));
      assert.equal(check.prepare("SELECT count(*) FROM bodies").pluck().get(), 4, "routes r0..r3, each stored once across six revisions");
      for (const sql of ["UPDATE revisions SET message = 'x'", "DELETE FROM revisions", "DELETE FROM bodies", "UPDATE chunks SET bodies = '[]'"]) {
        assert.throws(() => check.exec(sql), /immutable/, sql);
      }
    } finally {
      check.close();
    }
  });
});

describe("contentHash", () => {
  it("is the hash of the list's canonical JSON, for bodies known or not, in any order, over many pieces", () => {
    // 3,000 routes: about 400 KB of canonical JSON, hashed in several pieces.
    const plain = routes(3000);
    const known = routes(3000).map((r) => knownDocument(r));
    const expected = hashResources(plain);
    assert.equal(contentHash(plain), expected);
    assert.equal(contentHash(Object.freeze([...known].reverse())), expected, "known bodies, another order");
    assert.equal(contentHash([...known.slice(0, 10), ...plain.slice(10)]), expected, "known and not, mixed");
    assert.notEqual(contentHash([...known.slice(0, 2999), route(2999, "10.0.0.2:8080")]), expected, "one body changed");
    assert.equal(contentHash([route(1)]), hashResources([route(1)]), "a list of one");
    assert.equal(contentHash([]), hashResources([]), "the empty list");
  });
});

describe("unknownBodies", () => {
  it("finds every body that is not known, whatever the last list was", () => {
    const known = routes(50).map((r) => knownDocument(r));
    assert.deepEqual(unknownBodies(known), [], "all known: the list the next one is compared with");
    const plain = route(7, "10.0.0.9:80");
    const withOne = [...known.slice(0, 7), plain, ...known.slice(8)];
    assert.deepEqual(unknownBodies(withOne), [plain], "an unknown body where a known one was");
    assert.deepEqual(unknownBodies([...known].reverse()), [], "known bodies at other places");
    const more = [route(100), ...known, route(101)];
    assert.deepEqual(unknownBodies(more), [more[0], more[51]], "unknown bodies before and after");
    assert.deepEqual(unknownBodies(known.map((r) => ({ ...r }))).length, 50, "equal copies are not the known objects");
  });
});
