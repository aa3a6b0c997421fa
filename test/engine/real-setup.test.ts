// startRealSystems cleans up after itself: a failure at any step of the start leaves no temp dir
// and no Caddy or nginx process behind.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, it } from "node:test";
import { startRealSystems } from "./real-setup.js";

function alive(pid: number | undefined): boolean {
  if (!pid || pid < 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("startRealSystems on a failed start", () => {
  for (const failAt of ["dir", "caddy", "nginx", "ports"] as const) {
    it(`failing after the ${failAt} step removes its temp dir and stops what it started`, async () => {
      let seen: { dir: string; caddyPid?: number; nginxPid?: number } | undefined;
      await assert.rejects(
        startRealSystems({
          afterStep: (step, started) => {
            if (step !== failAt) return;
            seen = started;
            assert.ok(existsSync(started.dir), "the temp dir exists while starting");
            throw new Error(`injected failure after ${step}`);
          },
        }),
        new RegExp(`injected failure after ${failAt}`),
      );
      assert.ok(seen, "the hook ran");
      assert.equal(existsSync(seen.dir), false, `temp dir ${seen.dir} leaked`);
      if (failAt !== "dir") assert.ok(seen.caddyPid && seen.caddyPid > 0, "caddy was started");
      assert.equal(alive(seen.caddyPid), false, "caddy still running");
      assert.equal(alive(seen.nginxPid), false, "nginx still running");
    });
  }

  it("stop() after a good start removes the temp dir too", async () => {
    let dir = "";
    const sys = await startRealSystems({ afterStep: (_s, started) => void (dir = started.dir) });
    assert.ok(existsSync(dir));
    await sys.stop();
    assert.equal(existsSync(dir), false);
    assert.equal(alive(sys.caddy.pid), false);
    assert.equal(alive(sys.nginx.pid), false);
  });
});
