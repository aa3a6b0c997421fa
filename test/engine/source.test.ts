// Desired state from a directory or a git repository (local working tree, or a clone of a ref),
// recorded with its source and commit.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { HecateError } from "../../src/diag.js";
import { rig } from "./setup.js";

const yaml = (name: string, port: number) => `apiVersion: hecate.io/v1
kind: Route
metadata:
  name: ${name}
spec:
  hosts: [${name}.example.com]
  upstreams:
    - address: 127.0.0.1:${port}
  public: true
`;

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main", ...args], { cwd }).toString().trim();
}

describe("sources", () => {
  it("commits from a directory, a local git repo and a git ref, recording the commit", async () => {
    const r = await rig();
    try {
      const repo = join(r.dir, "repo");
      mkdirSync(join(repo, "routes"), { recursive: true });
      writeFileSync(join(repo, "routes", "app.yaml"), yaml("app", 8001));
      git(repo, "init", "-q");
      git(repo, "add", ".");
      git(repo, "commit", "-q", "-m", "one");
      const first = git(repo, "rev-parse", "HEAD");
      git(repo, "checkout", "-q", "-b", "next");
      writeFileSync(join(repo, "routes", "web.yaml"), yaml("web", 8002));
      git(repo, "add", ".");
      git(repo, "commit", "-q", "-m", "two");
      const second = git(repo, "rev-parse", "HEAD");

      const fromDir = await r.engine.commitFromSource({ type: "dir", paths: [join(repo, "routes")] });
      assert.equal(fromDir.revision.source.type, "file");
      assert.equal(fromDir.revision.resources.length, 2);

      const local = await r.engine.commitFromSource({ type: "git", url: repo });
      assert.deepEqual({ type: local.revision.source.type, commit: local.revision.source.commit }, { type: "git", commit: second });

      const main = await r.engine.commitFromSource({ type: "git", url: repo, ref: "main", path: "routes" }, { message: "deploy main" });
      assert.equal(main.revision.source.commit, first);
      assert.equal(main.revision.source.ref, "main");
      assert.equal(main.revision.message, "deploy main");
      assert.deepEqual(main.revision.resources.map((x) => x.metadata.name), ["app"]);

      writeFileSync(join(repo, "routes", "bad.yaml"), "apiVersion: hecate.io/v1\nkind: Route\nmetadata:\n  name: bad\nspec:\n  hosts: [b.example.com]\n  upstreams: nope\n");
      await assert.rejects(r.engine.commitFromSource({ type: "dir", paths: [join(repo, "routes")] }), (e: unknown) => {
        assert.ok(e instanceof HecateError && e.code === "invalid");
        assert.ok(e.diagnostics.some((d) => d.pos?.file.endsWith("bad.yaml") && d.pos.line === 7), JSON.stringify(e.diagnostics));
        return true;
      });
      await assert.rejects(r.engine.commitFromSource({ type: "git", url: repo, ref: "no-such-branch" }), (e: unknown) => {
        assert.ok(e instanceof HecateError && e.code === "source", String(e));
        assert.match(e.message, /no-such-branch/);
        return true;
      });
      assert.equal((await r.store.listRevisions()).length, 3, "failed sources commit nothing");
    } finally {
      await r.cleanup();
    }
  });
});
