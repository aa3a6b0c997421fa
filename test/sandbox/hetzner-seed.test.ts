// Seeds for the Hetzner sandbox: YAML files load with file:line errors, and a seeded sandbox serves the zones.
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { HecateError } from "../../src/diag.js";
import { loadSeed, startHetznerSandbox } from "../../src/sandbox/hetzner/index.js";
import { client, dnsQuery, TOKEN } from "./hetzner-client.js";

describe("hetzner sandbox seeds", () => {
  const dir = mkdtempSync(join(tmpdir(), "hecate-hetzner-seed-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it("loads a good seed and starts a sandbox with it", async () => {
    const path = file("good.yaml", [
      "zones:",
      "  - name: example.com",
      "    ttl: 600",
      "    rrsets:",
      "      - { name: www, type: A, records: [192.0.2.1] }",
      "      - name: '@'",
      "        type: TXT",
      "        records:",
      "          - value: '\"hello\"'",
      "            comment: greeting",
    ].join("\n"));
    const seed = await loadSeed(path);
    const sb = await startHetznerSandbox({ token: TOKEN, zones: seed.zones, actionDelayMs: 0 });
    try {
      const r = await client(sb)("GET", "/zones/example.com/rrsets/@/TXT");
      assert.deepEqual(r.body.rrset.records, [{ value: '"hello"', comment: "greeting" }]);
      const a = await dnsQuery(sb.dns.port, "www.example.com", "A");
      assert.equal((a.answers?.[0] as { ttl?: number } | undefined)?.ttl, 600);
    } finally {
      await sb.close();
    }
  });

  it("reports every problem with file:line:col, including state conflicts", async () => {
    const path = file("bad.yaml", [
      "zones:",
      "  - name: app.example.net.au", // line 2: a subdomain
      "  - name: example.org",
      "    rrsets:",
      "      - name: www",
      "        type: A",
      "        records: [not-an-ip]", // line 7
      "      - { name: alias, type: CNAME, records: [www] }",
      "      - { name: alias, type: TXT, records: ['\"x\"'] }", // line 9: beside a CNAME
    ].join("\n"));
    await assert.rejects(loadSeed(path), (e: unknown) => {
      assert.ok(e instanceof HecateError);
      const lines = e.diagnostics.map((d) => d.pos?.line);
      assert.deepEqual(lines, [2, 7, 9]);
      assert.match(e.message, /bad\.yaml:2:\d+: error: name is a subdomain/);
      assert.match(e.message, /bad\.yaml:7:\d+: error: records\[0\]\.value is not an IPv4 address/);
      return true;
    });
  });

  it("reports YAML syntax errors with their line", async () => {
    const path = file("syntax.yaml", "zones:\n  - name: example.com\n   bad: [\n");
    await assert.rejects(loadSeed(path), (e: unknown) => e instanceof HecateError && e.diagnostics.length > 0 && e.diagnostics[0]!.pos!.line >= 2);
  });

  it("refuses a bad seed given in code, naming the path", async () => {
    await assert.rejects(
      startHetznerSandbox({ token: TOKEN, zones: [{ name: "example.com", rrsets: [{ name: "x", type: "MX", records: ["mail"] }] }] }),
      /zones\[0\]\.rrsets\[0\]\.records\[0\]\.value/,
    );
  });
});
