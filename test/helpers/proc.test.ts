// freePort/freePorts never hand out one port twice. Bind-then-release alone does: the kernel
// repeats an ephemeral port within a few hundred calls (measured: first repeat after ~200), which
// is how two "free" ports once made Caddy fail with "listener address repeated".
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { freePort, freePorts } from "./proc.js";

describe("free loopback ports", () => {
  it("1000 freePort() calls and freePorts(20) give 1020 distinct ports", async () => {
    const ports: number[] = [];
    for (let i = 0; i < 1000; i++) ports.push(await freePort());
    ports.push(...(await freePorts(20)));
    const repeated = ports.filter((p, i) => ports.indexOf(p) !== i);
    assert.deepEqual(repeated, [], `ports handed out twice: ${repeated.join(", ")}`);
  });

  it("concurrent calls get distinct ports, and every one can be bound", async () => {
    const got = (await Promise.all([freePorts(5), freePorts(5), ...Array.from({ length: 10 }, async () => [await freePort()])])).flat();
    assert.equal(new Set(got).size, got.length, `repeated among ${got.join(", ")}`);
    const servers = await Promise.all(got.map((p) => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const s = createServer();
      s.once("error", reject);
      s.listen(p, "127.0.0.1", () => resolve(s));
    })));
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  });
});
