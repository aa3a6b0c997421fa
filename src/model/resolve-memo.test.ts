// The resolver's memo (a server's EngineMemory): a state that differs in one route resolves that
// route again and reuses the rest, yet reports exactly what a resolver without a memo reports.
import { test } from "node:test";
import assert from "node:assert/strict";
import { resolveState, ResolveMemo } from "./resolve.js";
import type { Resource } from "./schema.js";
import { deepFreeze } from "../store/rules.js";

const doc = (kind: string, name: string, spec: Record<string, unknown>) => deepFreeze({ apiVersion: "hecate.io/v1", kind, metadata: { name }, spec }) as unknown as Resource;
const route = (name: string, spec: Record<string, unknown> = {}) => doc("Route", name, { hosts: [`${name}.example.com`], upstream: "pool", public: true, ...spec });
const upstream = (address: string) => doc("Upstream", "pool", { upstreams: [{ address }] });
const text = (r: ReturnType<typeof resolveState>) => r.diagnostics.map((d) => `${d.severity} ${d.address}: ${d.message}`);

test("unchanged routes keep their resolved objects, a changed one is resolved again, and the result equals a resolve without memo", () => {
  const memo = new ResolveMemo();
  const up = upstream("10.0.0.1:80");
  const first = [up, route("a"), route("b"), route("c")];
  const one = resolveState(first, { memo });
  assert.ok(one.state);
  const second = [up, route("a") /* a new object, equal */, first[2]!, route("c", { hosts: ["c2.example.com"] })];
  const two = resolveState(second, { memo });
  assert.deepEqual(two, resolveState(second), "the same state and diagnostics as without the memo");
  const byName = (r: typeof one, n: string) => r.state!.routes.find((x) => x.name === n)!;
  assert.equal(byName(two, "b"), byName(one, "b"), "the very same document: its resolved route is reused");
  assert.notEqual(byName(two, "a"), byName(one, "a"), "another object (even if equal) is resolved again");
  assert.deepEqual(byName(two, "c").hosts, ["c2.example.com"]);

  // A resource that is not a route changes: every route is resolved against it.
  const three = resolveState([upstream("10.0.0.2:80"), ...second.slice(1)], { memo });
  assert.notEqual(byName(three, "b"), byName(two, "b"));
  assert.deepEqual(byName(three, "b").pool?.targets.map((t) => t.address), ["10.0.0.2:80"]);
});

test("a document that reported something is checked again each time, and cross-route checks see every route", () => {
  const memo = new ResolveMemo();
  const up = upstream("10.0.0.1:80");
  const warned = doc("Route", "open", { hosts: ["open.example.com"], upstream: "pool" }); // neither authPolicy nor public
  const a = route("a");
  const once = resolveState([up, warned, a], { memo });
  const again = resolveState([up, warned, a], { memo });
  assert.match(text(once).join("\n"), /route "open" has neither authPolicy nor public/);
  assert.deepEqual(text(again), text(once), "the warning is reported every time");
  // A new route on a's host: the collision is found though a itself resolved clean before.
  const clash = route("clash", { hosts: ["a.example.com"] });
  const collided = resolveState([up, warned, a, clash], { memo });
  assert.deepEqual(text(collided), text(resolveState([up, warned, a, clash])));
  assert.ok(collided.diagnostics.some((d) => d.severity === "error" && /a\.example\.com/.test(d.message)), text(collided).join("\n"));
  // Bad input is never remembered: the schema error comes back.
  const broken = deepFreeze({ apiVersion: "hecate.io/v1", kind: "Route", metadata: { name: "bad" }, spec: { hosts: "not-a-list" } }) as unknown as Resource;
  for (let i = 0; i < 2; i++) assert.ok(resolveState([up, broken], { memo }).diagnostics.some((d) => d.code === "schema"));
});

test("documents that are not frozen (they could change under the memo) are never remembered", () => {
  const memo = new ResolveMemo();
  const live = { apiVersion: "hecate.io/v1", kind: "Route", metadata: { name: "m" }, spec: { hosts: ["m.example.com"], upstreams: [{ address: "10.0.0.1:80" }], public: true } };
  assert.ok(resolveState([live as unknown as Resource], { memo }).state);
  live.spec.upstreams[0]!.address = "10.0.0.9:80";
  assert.deepEqual(resolveState([live as unknown as Resource], { memo }).state!.routes[0]!.pool?.targets.map((t) => t.address), ["10.0.0.9:80"]);
});

test("lists that shift, reorder and change back resolve as without the memo, reusing every unchanged route", () => {
  const memo = new ResolveMemo();
  const up = upstream("10.0.0.1:80");
  const routes = Array.from({ length: 40 }, (_, i) => route(`r${String(i).padStart(2, "0")}`));
  const changed = route("r07", { hosts: ["r07-new.example.com"] });
  const lists = [
    [up, ...routes],
    [up, ...routes.slice(1)], // one fewer at the front: every later document moves
    [...routes.slice(5), up, ...routes.slice(0, 5)], // reordered
    [up, ...routes.slice(0, 7), changed, ...routes.slice(8)],
    [up, ...routes], // changed back to the very first objects
    [up, ...routes.slice(0, 7), doc("Route", "r07", { hosts: ["r01.example.com"], upstream: "pool", public: true }), ...routes.slice(8)], // a collision
    [up, ...routes],
    [up, ...routes.slice(0, 5), route("r03", { hosts: ["dup.example.com"] }), ...routes.slice(6)], // a duplicate name where r05 was
    [up, ...routes.slice(0, 5), route("r03", { hosts: ["dup.example.com"] }), ...routes.slice(6)], // and again: reported again
    [up, ...routes],
    [up, upstream("10.0.0.1:80"), ...routes], // a duplicate Upstream
    [up, ...routes],
  ];
  const seen = new Map<string, unknown>();
  let context: Resource[] = [];
  for (const list of lists) {
    const got = resolveState(list, { memo });
    assert.deepEqual(got, resolveState(list), "the same state and diagnostics as without the memo");
    // Routes resolve against the other documents: another one of those, and every route is new.
    const others = list.filter((d) => d.kind !== "Route");
    if (others.length !== context.length || others.some((d, i) => d !== context[i])) seen.clear();
    context = others;
    for (const r of got.state?.routes ?? []) {
      const src = list.find((d) => d.kind === "Route" && d.metadata.name === r.name)!;
      if (routes.includes(src)) {
        if (seen.has(r.name)) assert.equal(r, seen.get(r.name), `route ${r.name} is the object resolved before`);
        seen.set(r.name, r);
      }
    }
  }
});

test("host collisions checked against the last pass's index report exactly what a full check reports", () => {
  // A small pool of hosts, wildcards and paths, so that random edits collide, repeat a path,
  // shadow a wildcard, and stop doing so again.
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  const HOSTS = ["a.example.com", "b.example.com", "*.example.com", "c.example.com", "*.other.net", "x.other.net"];
  const spec = (name: string) => {
    const hosts = rnd(6) === 0 ? [HOSTS[rnd(HOSTS.length)]!] : [`${name}.example.com`];
    const paths = rnd(5) === 0 ? [["/api"], ["/api", "/api/"], ["/web", "/api"]][rnd(3)]! : undefined;
    return { hosts, ...(paths ? { paths } : {}) };
  };
  const up = upstream("10.0.0.1:80");
  const names = Array.from({ length: 30 }, (_, i) => `h${String(i).padStart(2, "0")}`);
  let routes = names.map((n) => route(n, { hosts: [`${n}.example.com`] }));
  const memo = new ResolveMemo();
  let incremental = 0;
  let collided = 0;
  for (let step = 0; step < 400; step++) {
    const next = [...routes];
    const edits = 1 + rnd(3);
    for (let e = 0; e < edits; e++) {
      const k = rnd(next.length);
      next[k] = route(names[k]!, spec(names[k]!));
    }
    // Now and then a plain route again, so that states go back to clean.
    if (rnd(4) === 0) {
      const k = rnd(next.length);
      next[k] = route(names[k]!, { hosts: [`${names[k]}.example.com`] });
    }
    routes = next;
    const before = memo.hosts.served;
    const withMemo = resolveState([up, ...routes], { memo });
    assert.deepEqual(text(withMemo), text(resolveState([up, ...routes])), `step ${step}`);
    assert.deepEqual(withMemo, resolveState([up, ...routes]), `step ${step}: the same state`);
    if (memo.hosts.served === before && memo.hosts.clean) incremental++;
    if (withMemo.diagnostics.some((d) => d.code === "duplicate-host" || d.code === "overlapping-wildcard" || d.code === "duplicate-path")) collided++;
  }
  assert.ok(incremental > 30, `the index was brought up to date in place ${incremental} times of 400`);
  assert.ok(collided > 30, `a collision or repeated path was reported ${collided} times of 400`);
});
