// Reconcile fail-over: two real `hecate serve --reconcile` processes on a real three-member etcd
// cluster; the leader is killed (SIGKILL: no goodbye) and the time until the other logs
// "reconcile leader" is measured, several times over (each run starts a fresh pair). Prints every
// fail-over and min / median / max, with the bound (lease ttl + the follower's poll, half the ttl).
//
// With --machines (default) each serve runs under a host name of its own (a UTS namespace), as on
// two machines: the lease must run out. Without it both share this host, where a holder whose pid
// is dead is recognised at once (src/engine/lock.ts), and fail-over is just the follower's poll.
//
//   node --import tsx bench/server/failover.ts [--ttl 15s] [--runs 3] [--same-host] [--out results.json]
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startEtcd } from "../../test/helpers/etcd.js";
import { eventually, startProcess, type Proc } from "../../test/helpers/proc.js";

const argv = process.argv.slice(2);
const opt = (k: string, d: string) => (argv.includes(k) ? argv[argv.indexOf(k) + 1]! : d);
const ttl = opt("--ttl", "15s");
const runs = Number(opt("--runs", "3"));
const out = argv.includes("--out") ? opt("--out", "") : undefined;
const sameHost = argv.includes("--same-host");
const ttlMs = Number.parseFloat(ttl) * (ttl.endsWith("ms") ? 1 : ttl.endsWith("m") ? 60_000 : 1000);

const BIN = fileURLToPath(new URL("../../bin/hecate.js", import.meta.url));
const cluster = await startEtcd(3);
const procs: Proc[] = [];
const leaderAt = (p: Proc) => {
  const line = p
    .output()
    .split("\n")
    .find((l) => l.includes('"msg":"reconcile leader"'));
  return line ? Date.parse((JSON.parse(line) as { time: string }).time) : undefined;
};
const results: number[] = [];
try {
  for (let run = 0; run < runs; run++) {
    const env = { ...process.env, HECATE_STORE: cluster.url(`failover-${run}`), HECATE_SECRET_KEY: Buffer.alloc(32, 7).toString("base64") };
    let n = 0;
    const serve = () => {
      const args = [BIN, "serve", "--listen", "127.0.0.1:0", "--reconcile", "1s", "--leader-ttl", ttl];
      const p = sameHost
        ? startProcess(process.execPath, args, { env })
        : startProcess("unshare", ["--uts", "sh", "-c", 'hostname "$0" && exec "$@"', `hecate-bench-${run}-${++n}`, process.execPath, ...args], { env });
      procs.push(p);
      return p;
    };
    const pair = [serve(), serve()];
    const first = (await eventually(() => pair.find((p) => leaderAt(p) !== undefined), 60_000, 50))!;
    const other = pair.find((p) => p !== first)!;
    // Let the leader settle into renewing, then kill it at a random point of its renewal period.
    await new Promise((r) => setTimeout(r, 1000 + Math.random() * ttlMs));
    const killedAt = Date.now();
    process.kill(first.pid, "SIGKILL");
    await eventually(() => leaderAt(other) !== undefined, ttlMs * 3 + 10_000, 50);
    const ms = leaderAt(other)! - killedAt;
    results.push(ms);
    console.log(`run ${run + 1}: the other serve led ${ms} ms after the SIGKILL (lease ttl ${ttl}, ${sameHost ? "one host" : "two host names"})`);
    for (const p of pair) await p.stop();
  }
  const sorted = [...results].sort((a, b) => a - b);
  const summary = { ttl, runs, hosts: sameHost ? 1 : 2, min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted.at(-1), bound: ttlMs * 1.5, results };
  console.log(`fail-over: min ${summary.min} ms, median ${summary.median} ms, max ${summary.max} ms (bound: ttl + poll = ${summary.bound} ms)`);
  if (out) writeFileSync(out, JSON.stringify(summary, null, 2));
} finally {
  for (const p of procs) await p.stop();
  await cluster.stop();
}
