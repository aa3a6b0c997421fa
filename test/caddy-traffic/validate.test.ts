// Every golden output (secrets filled with real-looking values) is accepted by the real caddy's
// strict JSON decoding (`caddy validate`): field names and module names match Caddy 2.6.2.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/proc.js";
import { compileCaddy, compilePerSiteReference, resolveSecrets } from "../../src/compile/caddy/index.js";
import { caddyHash } from "./harness.js";

const goldenDir = join(import.meta.dirname, "../../src/compile/caddy/testdata");

describe("caddy validate accepts compiled output", () => {
  const dir = tempDir("hecate-validate-");
  after(() => dir.cleanup());
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test-ca", "-keyout", join(dir.path, "k.pem"), "-out", join(dir.path, "c.pem")], { stdio: "ignore" });
  const pem = readFileSync(join(dir.path, "c.pem"), "utf8");
  const hash = caddyHash("pw");
  const resolver = { resolve: async (ref: string) => (ref.includes("hash") ? hash : pem) };
  const env = { ...process.env, HOME: dir.path, XDG_DATA_HOME: dir.path, XDG_CONFIG_HOME: dir.path };

  const validate = (name: string, config: unknown) => {
    const file = join(dir.path, `${name}.json`);
    writeFileSync(file, JSON.stringify(config));
    const r = spawnSync("caddy", ["validate", "--config", file], { env, encoding: "utf8" });
    assert.equal(r.status, 0, `${name}: ${r.stderr.split("\n").filter((l) => l.startsWith("Error")).join("\n") || r.stderr.slice(-500)}`);
  };

  for (const f of readdirSync(goldenDir).filter((x) => x.endsWith(".golden.json")).sort()) {
    const g = JSON.parse(readFileSync(join(goldenDir, f), "utf8"));
    if (g.diagnostics.some((d: { severity: string }) => d.severity === "error")) continue; // not deployable by design
    it(f, async () => {
      const { config } = compileCaddy(g.input, g.target);
      if (g.target?.modules?.length) return; // the module is not in the local Debian build
      if (g.target?.version && g.target.version !== "2.6.2") return; // newer-only fields
      validate(f, await resolveSecrets(config, resolver));
    });
    it(`${f} (per-site reference layout)`, async () => validate(`${f}-ref`, await resolveSecrets(compilePerSiteReference(g.input), resolver)));
  }
});
