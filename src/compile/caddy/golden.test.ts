// Golden tests: each testdata/*.golden.json holds the resolved input, the target, the expected
// Caddy JSON and diagnostics together. UPDATE_GOLDEN=1 rewrites the expected parts.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compileCaddy } from "./compile.js";
import type { ResolvedState } from "../../model/resolved.js";
import type { CaddyTarget } from "./types.js";
import * as k from "../../model/testkit.js";

const dir = join(dirname(fileURLToPath(import.meta.url)), "testdata");
const update = process.env.UPDATE_GOLDEN === "1";
// Rewriting golden files makes every golden test pass: a person may do it, CI never.
if (process.env.UPDATE_GOLDEN && process.env.CI && !["0", "false"].includes(process.env.CI)) {
  throw new Error("UPDATE_GOLDEN is not allowed in CI: golden files are compared there, never rewritten");
}

interface Golden {
  description: string;
  target?: CaddyTarget;
  input: ResolvedState;
  expected: unknown;
  diagnostics: unknown[];
}

/** Seeds for new golden files (only used when a file is missing and UPDATE_GOLDEN=1). */
const seeds: Record<string, () => Omit<Golden, "expected" | "diagnostics">> = {
  "public-weights-2.6.2": () => ({
    description: "a public route with 3:1 weights on Caddy 2.6.2: repeated upstreams + round_robin",
    input: k.state([k.route("app", ["app.example.com"], [{ address: "10.0.0.1:8080", weight: 3 }, { address: "10.0.0.2:8080", weight: 1 }])]),
  }),
  "public-weights-2.7": () => ({
    description: "the same route on Caddy 2.7: weighted_round_robin with weights",
    target: { version: "2.7.6" },
    input: k.state([k.route("app", ["app.example.com"], [{ address: "10.0.0.1:8080", weight: 3 }, { address: "10.0.0.2:8080", weight: 1 }])]),
  }),
  protected: () => {
    const auth = k.authPolicy("staff", "127.0.0.1:9000");
    return {
      description: "protected host with SSO bypass, a public path route on the same host, a protected wildcard, a public host",
      input: k.state([
        k.route("app", ["app.example.com"], ["10.0.0.1:80"], { auth, ssoBypass: ["/api/public"] }),
        k.route("app-static", ["app.example.com"], ["10.0.0.3:80"], { paths: ["/static"] }),
        k.route("corp", ["*.corp.example.com"], ["10.0.0.2:80"], { auth }),
        k.route("dash", ["dash.corp.example.com"], ["10.0.0.4:80"], { auth }),
        k.route("www", ["www.example.com"], ["10.0.0.5:80"]),
      ]),
    };
  },
  "middleware-tls": () => {
    const s = k.settings({}, { acme: { email: "ops@example.com" } });
    const st = k.state(
      [
        k.route("shop", ["example.com", "www.example.com"], ["10.0.0.1:80"], {
          websockets: true,
          tls: { mode: "auto", minVersion: "1.3", hsts: { maxAge: 31536000, includeSubdomains: true, preload: false } },
          headers: { request: { set: { "X-Tenant": "a{b}" }, remove: ["X-Debug"] }, response: { set: {}, remove: ["Server"] } },
          middleware: [
            { name: "apex", type: "redirect", kind: "www-to-apex", code: 308 },
            { name: "gz", type: "compression", encodings: ["zstd", "gzip"], minLength: 1024 },
            { name: "sec", type: "security-headers", headers: {} },
            { name: "office", type: "ip-filter", allow: ["10.0.0.0/8"], deny: ["10.6.6.0/24"] },
            { name: "ba", type: "basic-auth", realm: "shop", users: [{ username: "ops", passwordHash: "secret:ops-hash" }] },
            { name: "small", type: "request-size", maxBytes: 1048576 },
            { name: "audit", type: "audit-log", includeHeaders: true },
          ],
          pool: {
            targets: [{ address: "10.0.0.1:80", weight: 1 }],
            policy: "least_conn",
            tryDuration: "5s",
            active: { path: "/healthz", interval: "10s", timeout: "2s", expectStatus: 200, port: 9090 },
            passive: { failDuration: "30s", maxFails: 3, unhealthyStatus: [502, 503], unhealthyLatency: "5s" },
            timeouts: { dial: "2s", read: "30s", write: "30s", responseHeader: "10s" },
            tls: { serverName: "backend.internal", insecureSkipVerify: false, ca: "secret:backend-ca" },
          },
        }),
        k.route("intranet", ["intranet.example.com"], ["10.0.0.9:80"], { tls: { mode: "internal" }, maintenance: { message: "Back at 10:00", retryAfter: "30m" } }),
        k.route("legacy", ["legacy.example.com"], ["10.0.0.8:80"], { tls: { mode: "off", forceHttps: false } }),
      ],
      s,
    );
    return { description: "every middleware kind, websockets, upstream TLS, tls auto/internal/off, hsts, maintenance", input: st };
  },
  shapes: () => {
    const auth = k.authPolicy("staff", "127.0.0.1:9000");
    const plain = Array.from({ length: 9 }, (_, i) =>
      k.route(`app-${i}`, i === 0 ? ["app-0.example.com", "www.app-0.example.com"] : [`app-${i}.example.com`], [`10.0.1.${i}:8080`], { tls: { mode: "off" }, ...(i % 3 ? { auth } : {}) }),
    );
    return {
      description: "nine routes of one shape share one Caddy route with a host → upstream map (protected or not); a header, two upstreams, active and passive health checks each keep a route of their own",
      input: k.state([
        ...plain,
        k.route("headers", ["headers.example.com"], ["10.0.2.1:80"], { tls: { mode: "off" }, headers: { request: { set: { "X-Env": "prod" }, remove: [] }, response: { set: {}, remove: [] } } }),
        k.route("pair", ["pair.example.com"], ["10.0.2.2:80", "10.0.2.3:80"], { tls: { mode: "off" } }),
        k.route("active", ["active.example.com"], ["10.0.2.4:80"], { tls: { mode: "off" }, pool: { targets: [{ address: "10.0.2.4:80", weight: 1 }], policy: "random", timeouts: {}, active: { path: "/h", interval: "30s", timeout: "5s" } } }),
        k.route("passive", ["passive.example.com"], ["10.0.2.5:80"], { tls: { mode: "off" }, pool: { targets: [{ address: "10.0.2.5:80", weight: 1 }], policy: "random", timeouts: {}, passive: { failDuration: "30s", maxFails: 1 } } }),
      ]),
    };
  },
  "rate-limit-missing-module": () => ({
    description: "rate-limit on a Caddy without http.handlers.rate_limit: error diagnostic naming the module",
    input: k.state([k.route("api", ["api.example.com"], ["10.0.0.1:80"], { middleware: [{ name: "rl", type: "rate-limit", requests: 100, window: "1m", key: "ip" }] })]),
  }),
  "rate-limit-with-module": () => ({
    description: "rate-limit when the target has the module",
    target: { modules: ["http.handlers.rate_limit"] },
    input: k.state([k.route("api", ["api.example.com"], ["10.0.0.1:80"], { middleware: [{ name: "rl", type: "rate-limit", requests: 100, window: "1m", key: "ip" }] })]),
  }),
};

if (update) {
  for (const [name, seed] of Object.entries(seeds)) {
    const file = join(dir, `${name}.golden.json`);
    if (!existsSync(file)) writeFileSync(file, JSON.stringify({ ...seed(), expected: null, diagnostics: [] }, null, 2) + "\n");
  }
}

describe("caddy golden files", () => {
  const files = readdirSync(dir).filter((f) => f.endsWith(".golden.json")).sort();
  it("has golden files", () => assert.ok(files.length >= Object.keys(seeds).length));
  for (const f of files) {
    it(f, () => {
      const path = join(dir, f);
      const g = JSON.parse(readFileSync(path, "utf8")) as Golden;
      const { config, diagnostics } = compileCaddy(g.input, g.target);
      if (update) {
        writeFileSync(path, JSON.stringify({ ...g, expected: config, diagnostics }, null, 2) + "\n");
        return;
      }
      assert.deepEqual(JSON.parse(JSON.stringify(config)), g.expected);
      assert.deepEqual(diagnostics, g.diagnostics);
    });
  }
});
