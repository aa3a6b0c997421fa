import assert from "node:assert/strict";
import { test } from "node:test";
import type { Plan } from "../engine/types.js";
import { fieldChanges } from "../providers/differ.js";
import { planToJson, redact, renderPlan } from "./plan.js";

const plan: Plan = {
  format: "hecate-plan/1",
  revision: "ab".repeat(32),
  createdAt: "2026-01-01T00:00:00Z",
  steps: [
    {
      system: "caddy",
      phase: "all",
      changes: [
        { system: "caddy", action: "create", kind: "route", id: "hecate-route-new", resource: "Route/new" },
        {
          system: "caddy",
          action: "update",
          kind: "route",
          id: "hecate-route-app",
          resource: "Route/app",
          before: { dial: "10.0.0.1:80", accounts: [{ username: "bob", password: "$2a$old-hash" }], auth: { $secret: "secret:x" } },
          after: { dial: "10.0.0.2:80", accounts: [{ username: "bob", password: "$2a$new-hash" }], auth: { $secret: "secret:y" } },
        },
        { system: "caddy", action: "delete", kind: "route", id: "hecate-route-old" },
      ],
    },
  ],
  summary: { create: 1, update: 1, delete: 1 },
  fingerprints: {},
  desired: { caddy: { token: "plain-token-value" } },
  actual: { caddy: { apiKey: "k-123", nested: { $secret: "secret:z" } } },
  diagnostics: [],
};

test("renders a terraform-like diff with field lines and a summary, secrets redacted", () => {
  const text = renderPlan(plan, { color: false });
  assert.match(text, /^ {2}\+ create route hecate-route-new {2}\(Route\/new\)$/m);
  assert.match(text, /^ {6}~ dial: "10\.0\.0\.1:80" -> "10\.0\.0\.2:80"$/m);
  assert.match(text, /^ {6}~ accounts\.0\.password: \(sensitive\) -> \(sensitive\)$/m);
  assert.match(text, /^ {6}~ auth: \(sensitive\) -> \(sensitive\)$/m);
  assert.match(text, /^ {2}- delete route hecate-route-old$/m);
  assert.match(text, /^Plan: 1 to create, 1 to update, 1 to delete\.$/m);
  assert.doesNotMatch(text, /hash|secret:/);
});

test("JSON form redacts secrets in changes, desired and actual", () => {
  const json = planToJson(plan);
  for (const leak of ["old-hash", "new-hash", "plain-token-value", "k-123", "secret:z"]) assert.ok(!json.includes(leak), leak);
  assert.equal(JSON.parse(json).summary.update, 1);
});

test("redact leaves ordinary values alone", () => {
  assert.deepEqual(redact({ hosts: ["a"], port: 80, tls: true, password: "x", keep: "y" }), { hosts: ["a"], port: 80, tls: true, password: "(sensitive)", keep: "y" });
  assert.deepEqual(fieldChanges({ a: [1, 2] }, { a: [1, 3], b: 1 }), [
    { path: "a.1", before: 2, after: 3 },
    { path: "b", after: 1 },
  ]);
});

test("one line per Hecate resource and one for many shared objects; -v lists every object", () => {
  const shared = Array.from({ length: 14 }, (_, i) => ({ system: "caddy" as const, action: "create" as const, kind: "route", id: `hecate-http-forward-auth-x_0_handle_response_0_${i}` }));
  const wide: Plan = {
    ...plan,
    steps: [
      {
        system: "authentik",
        phase: "all",
        changes: [
          { system: "authentik", action: "create", kind: "provider", id: "hecate-admin", resource: "Route/admin" },
          { system: "authentik", action: "create", kind: "application", id: "hecate-admin", resource: "Route/admin" },
          { system: "authentik", action: "update", kind: "binding", id: "hecate-admin/group:staff", resource: "Route/admin", before: { order: 0 }, after: { order: 1 } },
        ],
      },
      { system: "caddy", phase: "all", changes: [{ system: "caddy", action: "create", kind: "route", id: "hecate-route-admin", resource: "Route/admin" }, ...shared] },
    ],
    summary: { create: 17, update: 1, delete: 0 },
  };
  const text = renderPlan(wide, { color: false });
  assert.match(text, /^ {2}~ Route\/admin: 3 objects, 2 to create, 1 to update \(provider hecate-admin, application hecate-admin, binding hecate-admin\/group:staff\)$/m);
  assert.match(text, /^ {6}~ binding hecate-admin\/group:staff order: 0 -> 1$/m);
  assert.match(text, /^ {2}\+ create route hecate-route-admin {2}\(Route\/admin\)$/m);
  assert.match(text, /^ {2}\+ 14 shared objects: 14 to create \(route; -v lists them\)$/m);
  assert.doesNotMatch(text, /handle_response_0_3/);
  assert.match(text, /^Plan: 17 to create, 1 to update, 0 to delete\. \(-v shows every object\)$/m);
  const verbose = renderPlan(wide, { color: false, verbose: true });
  assert.match(verbose, /^ {2}\+ create route hecate-http-forward-auth-x_0_handle_response_0_13$/m);
  assert.match(verbose, /^ {2}\+ create provider hecate-admin {2}\(Route\/admin\)$/m);
  assert.match(verbose, /^Plan: 17 to create, 1 to update, 0 to delete\.$/m);
});

test("a shared object's field changes (a host bucket's index shifts) show only with -v", () => {
  const bucket: Plan = {
    ...plan,
    steps: [
      {
        system: "caddy",
        phase: "all",
        changes: [
          { system: "caddy", action: "create", kind: "route", id: "hecate-route-blog", resource: "Route/blog" },
          { system: "caddy", action: "update", kind: "route", id: "hecate-http-bucket-0", before: { match: [{ host: ["a"] }] }, after: { match: [{ host: ["a", "blog"] }] } },
        ],
      },
    ],
    summary: { create: 1, update: 1, delete: 0 },
  };
  const text = renderPlan(bucket, { color: false });
  assert.match(text, /^ {2}~ update route hecate-http-bucket-0 \(shared; -v shows its fields\)$/m);
  assert.doesNotMatch(text, /match\.0\.host/);
  assert.match(text, /\(-v shows every object\)$/m);
  assert.match(renderPlan(bucket, { color: false, verbose: true }), /^ {6}~ match\.0\.host\.1: \(none\) -> "blog"$/m);
});
