// Real second processes on one store file: a lock held by a child is seen by the parent, racing
// children get exactly one winner, and concurrent journal appends stay gap-free and in order.
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { eventually, startProcess, tempDir, type Proc } from "../helpers/proc.js";
import { openSqliteStore } from "../../src/store/sqlite.js";

const storeModule = pathToFileURL(resolve("src/store/sqlite.ts")).href;

/** Run a snippet in a fresh node process with the store module imported as `openSqliteStore`. */
function script(body: string): string[] {
  return ["--import", "tsx", "--input-type=module", "-e", `import { openSqliteStore } from ${JSON.stringify(storeModule)};\n${body}`];
}

function runToEnd(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (out += b.toString()));
    child.on("error", rej);
    child.on("exit", (code) => res({ code, out }));
  });
}

describe("store shared by processes", () => {
  const dir = tempDir("hecate-procs-");
  const path = join(dir.path, "hecate.db");
  const procs: Proc[] = [];
  after(async () => {
    for (const p of procs) await p.stop();
    dir.cleanup();
  });

  it("a lock held by another process is seen, and outlives it until expiry", async () => {
    const child = startProcess(
      process.execPath,
      script(`
        const s = await openSqliteStore({ path: ${JSON.stringify(path)} });
        const held = await s.tryLock("apply", "child:" + process.pid, 1500);
        console.log(held.acquired ? "LOCKED " + process.pid : "BUSY " + held.lock.holder);
        setInterval(() => {}, 1000);
      `),
    );
    procs.push(child);
    await eventually(() => child.output().includes("LOCKED"), 20_000);
    const s = await openSqliteStore({ path });
    try {
      const lock = await s.getLock("apply");
      assert.equal(lock?.holder, `child:${child.pid}`);
      assert.equal((await s.tryLock("apply", "parent", 60_000)).lock.holder, `child:${child.pid}`);
      await child.stop();
      // The child is gone but its lease stands until it expires; then the parent takes over.
      assert.equal((await s.tryLock("apply", "parent", 60_000)).lock.holder, `child:${child.pid}`);
      await eventually(async () => (await s.tryLock("apply", "parent", 60_000)).acquired, 5_000, 50);
      assert.equal((await s.getLock("apply"))?.holder, "parent");
    } finally {
      await s.close();
    }
  });

  it("racing processes: exactly one takes the lock, and journal appends never collide", async () => {
    const setup = await openSqliteStore({ path });
    await setup.beginApply({ applyId: "race", revision: "h", holder: "test" });
    await setup.close();
    const n = 4;
    const per = 25;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        runToEnd(
          script(`
            const s = await openSqliteStore({ path: ${JSON.stringify(path)} });
            const held = await s.tryLock("race", "p${i}", 60000);
            for (let k = 0; k < ${per}; k++) await s.journal({ applyId: "race", event: "step.done", data: { p: ${i}, k } });
            console.log(held.acquired ? "WON" : "LOST");
            await s.close();
          `),
        ),
      ),
    );
    for (const r of results) assert.equal(r.code, 0, r.out);
    assert.equal(results.filter((r) => r.out.includes("WON")).length, 1, results.map((r) => r.out).join("\n"));
    const s = await openSqliteStore({ path });
    try {
      const j = await s.readJournal("race");
      assert.deepEqual(j.map((e) => e.seq), Array.from({ length: n * per }, (_, i) => i + 1));
      // Each process's own entries keep their order.
      for (let i = 0; i < n; i++) {
        const ks = j.map((e) => e.data as { p: number; k: number }).filter((d) => d.p === i).map((d) => d.k);
        assert.deepEqual(ks, Array.from({ length: per }, (_, k) => k));
      }
    } finally {
      await s.close();
    }
  });
});
