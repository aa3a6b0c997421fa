// UPDATE_GOLDEN rewrites golden files, after which golden tests cannot fail: in CI it is refused,
// loudly, with a non-zero exit; outside CI it still works for updating.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";

const root = join(import.meta.dirname, "../..");
const goldens = ["src/compile/caddy/golden.test.ts", "src/compile/nginx/golden.test.ts", "src/providers/dns/golden.test.ts"];

function runGolden(file: string, env: Record<string, string | undefined>) {
  const e: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete e[k];
  delete e.NODE_TEST_CONTEXT; // run as a fresh test process, not as a child of this runner
  return spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-reporter=tap", join(root, file)], { cwd: root, env: e, encoding: "utf8" });
}

describe("UPDATE_GOLDEN in CI", () => {
  for (const file of goldens) {
    it(`${file} refuses UPDATE_GOLDEN=1 when CI is set`, () => {
      const r = runGolden(file, { CI: "true", UPDATE_GOLDEN: "1" });
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stdout + r.stderr, /UPDATE_GOLDEN is not allowed in CI/);
    });
  }
  it("without CI the golden tests run (and pass) as usual", () => {
    const r = runGolden(goldens[1]!, { CI: undefined, UPDATE_GOLDEN: undefined });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^# fail 0$/m);
  });
});
