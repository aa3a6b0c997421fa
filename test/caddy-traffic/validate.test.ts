// Every golden output (secrets filled with real-looking values) goes through the real caddy's
// strict JSON decoding and provisioning (`caddy validate`): field names and module names match
// Caddy 2.6.2. No golden is skipped: one that needs what 2.6.2 lacks (a newer Caddy, a plugin
// module) must be refused with exactly the expected "unknown module" error.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/proc.js";
import { compileCaddy, compilePerSiteReference, resolveSecrets } from "../../src/compile/caddy/index.js";
import { caddyHash } from "./harness.js";

const goldenDir = join(import.meta.dirname, "../../src/compile/caddy/testdata");

/** Goldens the local Caddy 2.6.2 (Debian, no plugins) must refuse, and the module it lacks. */
const REFUSED: Record<string, { module: string; why: string }> = {
  "public-weights-2.7.golden.json": { module: "http.reverse_proxy.selection_policies.weighted_round_robin", why: "targets Caddy 2.7.6" },
  "rate-limit-with-module.golden.json": { module: "http.handlers.rate_limit", why: "targets a Caddy built with the rate_limit plugin" },
};

describe("caddy validate accepts compiled output", () => {
  const dir = tempDir("hecate-validate-");
  after(() => dir.cleanup());
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test-ca", "-keyout", join(dir.path, "k.pem"), "-out", join(dir.path, "c.pem")], { stdio: "ignore" });
  const pem = readFileSync(join(dir.path, "c.pem"), "utf8");
  const hash = caddyHash("pw");
  const resolver = { resolve: async (ref: string) => (ref.includes("hash") ? hash : pem) };
  const env = { ...process.env, HOME: dir.path, XDG_DATA_HOME: dir.path, XDG_CONFIG_HOME: dir.path };

  /** Run `caddy validate`; the exit status and its "Error: ..." line (empty when valid). */
  const caddyValidate = (name: string, config: unknown): { status: number | null; error: string; stderr: string } => {
    const file = join(dir.path, `${name}.json`);
    writeFileSync(file, JSON.stringify(config));
    const r = spawnSync("caddy", ["validate", "--config", file], { env, encoding: "utf8" });
    return { status: r.status, error: r.stderr.split("\n").filter((l) => l.startsWith("Error")).join("\n"), stderr: r.stderr };
  };
  const validate = (name: string, config: unknown) => {
    const r = caddyValidate(name, config);
    assert.equal(r.status, 0, `${name}: ${r.error || r.stderr.slice(-500)}`);
  };

  it("the local caddy is 2.6.2 (the refusals below are its)", () => {
    assert.match(execFileSync("caddy", ["version"], { encoding: "utf8" }), /^v?2\.6\.2\b/);
  });

  it("caddy validate really refuses: an unknown field and an unknown module", () => {
    const unknownField = caddyValidate("bad-field", { apps: { http: { servers: { s: { listen: [":0"], routes: [{ handel: [] }] } } } } });
    assert.notEqual(unknownField.status, 0);
    assert.match(unknownField.error, /unknown field "handel"/);
    const unknownModule = caddyValidate("bad-module", { apps: { http: { servers: { s: { listen: [":0"], routes: [{ handle: [{ handler: "nope" }] }] } } } } });
    assert.notEqual(unknownModule.status, 0);
    assert.match(unknownModule.error, /unknown module: http\.handlers\.nope$/);
  });

  const files = readdirSync(goldenDir).filter((x) => x.endsWith(".golden.json")).sort();
  it("every golden the table names as refused exists", () => {
    for (const f of Object.keys(REFUSED)) assert.ok(files.includes(f), `${f} is in REFUSED but there is no such golden`);
  });

  for (const f of files) {
    const g = JSON.parse(readFileSync(join(goldenDir, f), "utf8"));
    const refused = REFUSED[f];
    const deployable = !g.diagnostics.some((d: { severity: string }) => d.severity === "error");
    // A golden with error diagnostics is refused by the engine, but what it compiles must still be valid Caddy JSON.
    const label = `${f}${deployable ? "" : " (compiled despite its error diagnostics)"}`;
    if (refused) {
      it(`${label}: Caddy 2.6.2 refuses it, exactly for the missing module (${refused.why})`, async () => {
        const { config } = compileCaddy(g.input, g.target);
        const r = caddyValidate(f, await resolveSecrets(config, resolver));
        assert.notEqual(r.status, 0, `${f}: expected Caddy 2.6.2 to refuse it (${refused.why}); if it now validates, move it out of REFUSED`);
        assert.ok(r.error.endsWith(`: unknown module: ${refused.module}`), `${f}: refused for another reason: ${r.error}`);
      });
    } else {
      it(label, async () => {
        const { config } = compileCaddy(g.input, g.target);
        validate(f, await resolveSecrets(config, resolver));
      });
    }
    it(`${f} (per-site reference layout)`, async () => validate(`${f}-ref`, await resolveSecrets(compilePerSiteReference(g.input), resolver)));
  }
});
