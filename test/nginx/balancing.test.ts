// Real nginx: weights spread connections, a dead upstream fails over, backups stand in only when needed.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createNginxProvider, initNginxPrefix, startNginx, type NginxProvider, type RunningNginx } from "../../src/providers/nginx/index.js";
import type { ResolvedState } from "../../src/model/resolved.js";
import { freePort, freePorts, tempDir } from "../helpers/proc.js";
import { startTcpEcho, state, stream, tcpRequest, upstream, type TcpEcho } from "./helpers.js";
import { applyBatch } from "../helpers/apply.js";

const ctx = { secrets: { resolve: async () => "" } };

/** Who answered each of n sequential connections. */
async function tally(port: number, n: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const who = (await tcpRequest(port, "x")).split(":")[0]!;
    counts.set(who, (counts.get(who) ?? 0) + 1);
  }
  return counts;
}

describe("nginx stream balancing with real nginx", () => {
  const dir = tempDir("hecate-nginx-lb-");
  let nginx: RunningNginx;
  let provider: NginxProvider;
  let nginxSettings: { binary: string; prefix: string; config: string; streamFile: string };
  const echoes: TcpEcho[] = [];

  async function apply(s: ResolvedState) {
    const { desired, diagnostics } = provider.compile(s);
    assert.deepEqual(diagnostics, []);
    const actual = await provider.read(ctx);
    return applyBatch(provider, desired, actual, provider.diff(desired, actual), ctx);
  }

  before(async () => {
    // Two workers: the spread must hold across workers, not only inside one.
    const files = initNginxPrefix(dir.path, { workerProcesses: 2 });
    nginxSettings = { binary: "nginx", prefix: files.prefix, config: files.config, streamFile: files.streamFile };
    nginx = await startNginx(dir.path);
    provider = createNginxProvider(nginxSettings);
  });

  after(async () => {
    await nginx?.stop();
    for (const e of echoes) await e.close().catch(() => {});
    dir.cleanup();
  });

  test("weights 3:1 spread 200 connections about 3:1 (heavy share 0.65..0.85)", async () => {
    const heavy = await startTcpEcho("heavy");
    const light = await startTcpEcho("light");
    echoes.push(heavy, light);
    const port = await freePort();
    await apply(state([stream("weighted", port, [upstream(heavy.address, { weight: 3 }), upstream(light.address, { weight: 1 })])], nginxSettings));
    const counts = await tally(port, 200);
    const h = counts.get("heavy") ?? 0;
    const l = counts.get("light") ?? 0;
    assert.equal(h + l, 200, `every connection answered: ${JSON.stringify([...counts])}`);
    const share = h / 200;
    assert.ok(share >= 0.65 && share <= 0.85, `heavy got ${h}/200 (${share}); expected about 0.75`);
  });

  test("a dead upstream fails over to the next one: every connection is answered", async () => {
    const live = await startTcpEcho("live");
    echoes.push(live);
    const [deadPort, port] = (await freePorts(2)) as [number, number]; // nothing listens on deadPort
    await apply(state([stream("failover", port, [upstream(`127.0.0.1:${deadPort}`), upstream(live.address)])], nginxSettings));
    const counts = await tally(port, 20);
    assert.deepEqual([...counts], [["live", 20]]);
  });

  test("a backup upstream is used only when the primaries are down", async () => {
    const primary = await startTcpEcho("primary");
    const backup = await startTcpEcho("backup");
    echoes.push(backup);
    const port = await freePort();
    const standby = state(
      [stream("standby", port, [upstream(primary.address, { failTimeout: "1s" }), upstream(backup.address, { backup: true })])],
      nginxSettings,
    );
    await apply(standby);
    assert.deepEqual([...(await tally(port, 20))], [["primary", 20]]);
    assert.equal(backup.connections(), 0);

    await primary.close();
    assert.deepEqual([...(await tally(port, 10))], [["backup", 10]]);

    // The primary comes back on the same port; nginx tries it again once fail_timeout (1s, counted in whole seconds) has passed.
    const again = await startTcpEcho("primary", primary.port);
    echoes.push(again);
    await new Promise((r) => setTimeout(r, 2100));
    assert.deepEqual([...(await tally(port, 10))], [["primary", 10]]);
  });
});
