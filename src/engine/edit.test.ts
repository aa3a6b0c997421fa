// Group commit: edits that arrive together are stored as one revision, each checked on the state
// the ones before it left (so an If-Match on a resource an earlier edit changed fails), refused
// alone when they fail, committed one by one when the group's state is invalid, each audited.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { HecateError } from "../diag.js";
import * as model from "../model/index.js";
import type { Resource } from "../model/schema.js";
import { openSqliteStore } from "../store/index.js";
import { addressOf, commitEdits, EditQueue, mustBeNew, mustFind, type Edit } from "./edit.js";

const ROUTES = { kind: "Route" as const, noun: "route" };
const route = (name: string, upstream = "10.0.0.1:80", extra: Record<string, unknown> = {}): Resource =>
  ({ apiVersion: "hecate.io/v1", kind: "Route", metadata: { name }, spec: { hosts: [`${name}.test`], upstreams: [{ address: upstream }], public: true, ...extra } }) as Resource;
const create = (r: Resource): Edit => async (resources) => {
  mustBeNew(resources, ROUTES, r.metadata.name);
  return { after: [...resources, r], changed: [addressOf(r)], message: `create route ${r.metadata.name}` };
};
/** Replace a route only if it is still `expected` (what If-Match does with an ETag). */
const replaceIf = (expected: Resource, next: Resource): Edit => async (resources) => {
  const now = mustFind(resources, ROUTES, next.metadata.name);
  if (model.canonicalJson(now) !== model.canonicalJson(expected)) throw new HecateError("precondition-failed", "changed since read", { status: 412 });
  return { after: resources.map((r) => (r === now ? next : r)), changed: [addressOf(next)], message: `update route ${next.metadata.name}` };
};
const store = () => openSqliteStore({ path: ":memory:", secretKey: randomBytes(32) });

describe("group commit", () => {
  it("stores edits that arrive together as one revision, in order, with an audit entry each", async () => {
    const s = await store();
    const out = await commitEdits(model, s, [
      { edit: create(route("a")), author: "ci", address: "10.1.1.1" },
      { edit: create(route("b")), author: "ci", address: "10.1.1.2" },
      { edit: create(route("a")), author: "ci" }, // a exists by now: refused alone
    ], { type: "api" });
    assert.ok(out[0]!.ok && out[1]!.ok && !out[2]!.ok);
    assert.equal((out[2] as { error: HecateError }).error.code, "exists");
    const head = (await s.head())!;
    assert.equal(head.seq, 1, "one revision");
    assert.deepEqual(head.resources.map((r) => r.metadata.name), ["a", "b"]);
    assert.equal(head.message, "create route a; create route b");
    for (const o of out.slice(0, 2)) assert.equal(o.ok && o.outcome.status === "stored" && o.outcome.revision.seq, 1);
    const audit = (await s.listAudit()).filter((e) => e.action === "revision.create").reverse();
    assert.deepEqual(audit.map((e) => [e.actor, e.address, (e.detail as { message: string }).message]), [["ci", "10.1.1.1", "create route a"], ["ci", "10.1.1.2", "create route b"]]);
    assert.equal((await s.verifyAudit()).ok, true);
    await s.close();
  });

  it("checks an If-Match against what the edits before it in the group left: the second of two writers of one route gets 412, nothing is lost", async () => {
    const s = await store();
    await commitEdits(model, s, [{ edit: create(route("a")), author: "ci" }], { type: "api" });
    const read = mustFind((await s.head())!.resources, ROUTES, "a");
    const out = await commitEdits(model, s, [
      { edit: replaceIf(read, route("a", "10.0.0.2:80")), author: "ci" },
      { edit: replaceIf(read, route("a", "10.0.0.3:80")), author: "ci" },
    ], { type: "api" });
    assert.ok(out[0]!.ok);
    const second = out[1]!;
    assert.equal(!second.ok && (second.error as HecateError).code, "precondition-failed");
    assert.equal(((await s.head())!.resources[0]!.spec as { upstreams: { address: string }[] }).upstreams[0]!.address, "10.0.0.2:80");
    await s.close();
  });

  it("commits one by one when the group's state is invalid, so only the edit that makes it invalid is refused", async () => {
    const s = await store();
    const out = await commitEdits(model, s, [
      { edit: create(route("a")), author: "ci" },
      { edit: create(route("bad", "10.0.0.1:80", { authPolicy: "nobody" })), author: "ci" },
      { edit: create(route("c")), author: "ci" },
    ], { type: "api" });
    assert.deepEqual(out.map((o) => o.ok), [true, false, true]);
    const bad = out[1]!;
    assert.equal(!bad.ok && (bad.error as HecateError).code, "invalid");
    assert.deepEqual((await s.head())!.resources.map((r) => r.metadata.name), ["a", "c"]);
    await s.close();
  });

  it("the queue serves edits first in, first out, and those waiting during a commit go in the next one together", async () => {
    const s = await store();
    const q = new EditQueue(model, s, { type: "api" });
    const names = Array.from({ length: 30 }, (_, i) => `r${i}`);
    const outs = await Promise.all(names.map((n) => q.submit({ edit: create(route(n)), author: "ci" })));
    const seqs = outs.map((o) => (o.status === "stored" ? o.revision.seq : -1));
    assert.ok(seqs.every((x, i) => i === 0 || x >= seqs[i - 1]!), `revisions in arrival order: ${seqs.join(",")}`);
    const head = (await s.head())!;
    assert.deepEqual(head.resources.map((r) => r.metadata.name), names, "every edit stored, in order");
    assert.ok(head.seq < names.length, `fewer revisions (${head.seq}) than edits (${names.length})`);
    // Another author's edit is not folded into a revision of someone else's.
    const [x, y] = await Promise.all([q.submit({ edit: create(route("x")), author: "ci" }), q.submit({ edit: create(route("y")), author: "ops" })]);
    assert.ok(x.status === "stored" && y.status === "stored" && x.revision.seq !== y.revision.seq && y.revision.author === "ops");
    await s.close();
  });
});
