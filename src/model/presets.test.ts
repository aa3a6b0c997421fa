import { test } from "node:test";
import assert from "node:assert/strict";
import { deepMerge, listPresets } from "./presets.js";

test("deepMerge: mappings merge, lists and scalars replace", () => {
  assert.deepEqual(deepMerge({ a: { x: 1, y: 2 }, l: [1, 2], s: "p" }, { a: { y: 3 }, l: [9], s: "r" }), { a: { x: 1, y: 3 }, l: [9], s: "r" });
  assert.deepEqual(deepMerge({ hsts: true }, { hsts: { maxAge: "1h" } }), { hsts: { maxAge: "1h" } });
});

test("listPresets covers the operators' apps with descriptions", () => {
  const names = listPresets().map((p) => `${p.kind}/${p.name}`);
  for (const n of ["bionicgpt", "wazuh", "nextcloud", "jenkins", "minio", "grafana", "umami", "consul", "vault", "authentik", "openwebui"]) assert.ok(names.includes(`Route/${n}`), n);
  for (const n of ["mailcow", "jenkins", "wazuh", "coturn", "postgres", "redis"]) assert.ok(names.includes(`Stream/${n}`), n);
  assert.ok(listPresets().every((p) => p.description.length > 10));
  const mail = listPresets().find((p) => p.name === "mailcow")!;
  assert.deepEqual(mail.ports!.map((p) => p.port).sort((a, b) => a - b), [25, 110, 143, 465, 587, 993, 995]);
  const wazuh = listPresets().find((p) => p.kind === "Route" && p.name === "wazuh")!;
  assert.match(wazuh.notes!, /self-signed/);
});
