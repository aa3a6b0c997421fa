// The incremental compile (compileCaddyFrom with the previous compile's memo) must give exactly
// what a full compile of the new state gives, byte for byte, diagnostics included: checked on
// random states and random edits, from seeds a failure prints.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { diffOwned } from "../../providers/caddy/diff.js";
import type { OwnedConfig } from "../../providers/caddy/owned.js";
import { compileCaddy, compileCaddyFrom } from "./compile.js";
import type { ResolvedMiddleware, ResolvedRoute, ResolvedState } from "../../model/resolved.js";
import * as k from "../../model/testkit.js";
import { prng } from "../../../test/helpers/prng.js";

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const OUTPOSTS = ["127.0.0.1:9000", "http://127.0.0.1:9000", "10.9.9.9:9000"];
const MIDDLEWARE: ResolvedMiddleware[] = [
  { name: "size", type: "request-size", maxBytes: 1024 },
  { name: "gzip", type: "compression", encodings: ["gzip"] },
  { name: "office", type: "ip-filter", allow: ["10.0.0.0/8"], deny: [] },
  { name: "audit", type: "audit-log", includeHeaders: true },
  { name: "rl", type: "rate-limit", requests: 10, window: "1m", key: "ip" },
  { name: "hdr", type: "headers", request: { set: { "X-A": "1" }, remove: [] }, response: { set: {}, remove: ["Server"] } },
];

function randomRoute(r: Rand, name: string, i: number): ResolvedRoute {
  const shared = r() < 0.1 ? ["shared.example.com"] : [];
  const hosts = [`h${i}.example.com`, ...shared, ...(r() < 0.15 ? [`*.w${i % 3}.example.com`] : [])];
  const auth = r() < 0.6 ? k.authPolicy(`p${i % 2}`, pick(r, OUTPOSTS)) : undefined;
  return k.route(name, hosts, [`10.0.${i % 250}.${Math.floor(r() * 250)}:${pick(r, [80, 8080])}`], {
    ...(auth ? { auth } : {}),
    ...(r() < 0.2 ? { paths: [pick(r, ["/api", "/app", "/x/y"])] } : {}),
    ...(r() < 0.1 ? { ssoBypass: ["/public"] } : {}),
    ...(r() < 0.1 ? { maintenance: { message: "back soon" } } : {}),
    ...(r() < 0.3 ? { middleware: [pick(r, MIDDLEWARE)] } : {}),
    ...(r() < 0.2 ? { websockets: true } : {}),
    tls: { mode: pick(r, ["auto", "off", "off", "internal"] as const), minVersion: r() < 0.1 ? "1.3" : "1.2", forceHttps: r() < 0.5 },
  });
}

function randomState(r: Rand, n: number): ResolvedState {
  return k.state(Array.from({ length: n }, (_, i) => randomRoute(r, `r${String(i).padStart(3, "0")}`, i)));
}

/** A copy of the state with a few random edits: most of a route's own, some of its layout. */
function edit(r: Rand, s: ResolvedState): ResolvedState {
  const routes = s.routes.map((x) => structuredClone(x));
  const edits = 1 + Math.floor(r() * 3);
  for (let e = 0; e < edits; e++) {
    const i = Math.floor(r() * routes.length);
    const x = routes[i]!;
    switch (Math.floor(r() * 13)) {
      case 0:
      case 1:
      case 2:
        x.pool!.targets[0]!.address = `10.1.1.${Math.floor(r() * 250)}:${pick(r, [80, 81, 9090])}`;
        break;
      case 3:
        x.websockets = !x.websockets;
        break;
      case 4:
        x.middleware = r() < 0.5 ? [] : [pick(r, MIDDLEWARE)];
        break;
      case 5:
        x.headers.request.set = { "X-Edit": String(e) };
        break;
      case 6:
        x.hosts = [...x.hosts, `extra${e}.example.com`].sort();
        break;
      case 7:
        if (x.auth) delete x.auth;
        else x.auth = k.authPolicy("p9", pick(r, OUTPOSTS));
        break;
      case 8:
        x.tls = { ...x.tls, mode: x.tls.mode === "off" ? "auto" : "off" };
        break;
      case 9:
        x.paths = x.paths.length ? [] : ["/edited"];
        break;
      case 10:
        x.pool!.policy = "least_conn";
        break;
      case 11:
        if (x.maintenance) delete x.maintenance;
        else x.maintenance = { message: "edit" };
        break;
      case 12:
        // Another spelling of an outpost (the shared handler takes the first spelling, sorted).
        if (x.auth) x.auth = { ...x.auth, outpost: pick(r, OUTPOSTS) };
        else x.ssoBypass = x.ssoBypass.length ? [] : ["/open"];
        break;
    }
  }
  return { ...s, routes };
}

/** The object carrying @id `id` in a config (the first in document order). */
function objectWithId(v: unknown, id: string): unknown {
  if (Array.isArray(v)) {
    for (const x of v) {
      const found = objectWithId(x, id);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (!v || typeof v !== "object") return undefined;
  if ((v as Record<string, unknown>)["@id"] === id) return v;
  for (const x of Object.values(v)) {
    const found = objectWithId(x, id);
    if (found !== undefined) return found;
  }
  return undefined;
}

describe("compileCaddyFrom (incremental compile)", () => {
  it("gives exactly what a full compile gives, on random states and random edits", () => {
    let incremental = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const r = prng(seed);
      let state = randomState(r, 20 + Math.floor(r() * 60));
      let memo = compileCaddyFrom(undefined, state, { version: "2.6.2" }).memo;
      for (let step = 0; step < 6; step++) {
        const next = edit(r, state);
        const inc = compileCaddyFrom(memo, next, { version: "2.6.2" });
        const full = compileCaddy(next, { version: "2.6.2" });
        assert.equal(JSON.stringify(inc.config), JSON.stringify(full.config), `seed ${seed} step ${step}: config differs (incremental: ${inc.incremental})`);
        assert.deepEqual(inc.diagnostics, full.diagnostics, `seed ${seed} step ${step}: diagnostics differ`);
        if (inc.incremental) {
          incremental++;
          // What the Caddy provider's diff from the previous output may rely on: nothing outside
          // the replaced objects (and the owned objects nested in them) changed.
          const replaced = [...inc.objects!.keys()];
          const inside = (id: string) => replaced.some((x) => id === x || id.startsWith(`${x}_`));
          const outside = diffOwned(inc.config as unknown as OwnedConfig, memo.config as unknown as OwnedConfig).filter((c) => !inside(c.id));
          assert.deepEqual(outside.map((c) => `${c.action} ${c.kind} ${c.id}`), [], `seed ${seed} step ${step}: changed outside replaced ${JSON.stringify(replaced)}`);
          // The replaced objects handed out are those very objects of the old and the new config.
          for (const [id, o] of inc.objects!) {
            assert.equal(o.before, objectWithId(memo.config, id), `seed ${seed} step ${step}: ${id} before`);
            assert.equal(o.after, objectWithId(inc.config, id), `seed ${seed} step ${step}: ${id} after`);
          }
        }
        state = next;
        memo = inc.memo;
      }
    }
    // The random edits must exercise the incremental path, not only the fallback.
    assert.ok(incremental > 50, `only ${incremental} incremental compiles`);
  });

  it("compiles one changed upstream incrementally, sharing the rest of the previous output", () => {
    const routes = Array.from({ length: 200 }, (_, i) => k.route(`r${String(i).padStart(3, "0")}`, [`r${i}.example.com`], [`10.0.0.${i % 250}:80`], { tls: { mode: "off" } }));
    const a = k.state(routes);
    const b = k.state(routes.map((x, i) => (i === 17 ? k.route(x.name, x.hosts, ["10.0.0.17:9090"], { tls: { mode: "off" } }) : x)));
    const first = compileCaddyFrom(undefined, a);
    const second = compileCaddyFrom(first.memo, b);
    assert.equal(second.incremental, true);
    assert.equal(JSON.stringify(second.config), JSON.stringify(compileCaddy(b).config));
    assert.ok(JSON.stringify(second.config).includes("10.0.0.17:9090"));
    // The first compile's output is left as it was.
    assert.equal(JSON.stringify(first.config), JSON.stringify(compileCaddy(a).config));
  });

  it("compiles in full when settings, the target or a route's layout change", () => {
    const routes = [k.route("a", ["a.example.com"], ["10.0.0.1:80"]), k.route("b", ["b.example.com"], ["10.0.0.2:80"])];
    const a = k.state(routes);
    const memo = compileCaddyFrom(undefined, a, { version: "2.6.2" }).memo;
    assert.equal(compileCaddyFrom(memo, k.state(routes, k.settings({ httpPort: 8080 })), { version: "2.6.2" }).incremental, false);
    assert.equal(compileCaddyFrom(memo, a, { version: "2.7.0" }).incremental, false);
    assert.equal(compileCaddyFrom(memo, k.state([routes[0]!, k.route("b", ["b.example.com", "c.example.com"], ["10.0.0.2:80"])]), { version: "2.6.2" }).incremental, false);
    assert.equal(compileCaddyFrom(memo, k.state([routes[0]!]), { version: "2.6.2" }).incremental, false);
  });
});
