// One reconcile leader among processes sharing an etcd store: two competing processes, the leader
// killed with SIGKILL (no goodbye, its lease left to run out): the other takes over within the
// lease ttl, and no two rounds ever ran at once (each round prints its start and end).
import { strict as assert } from "node:assert";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { startEtcd, type EtcdCluster } from "../helpers/etcd.js";
import { eventually, startProcess, type Proc } from "../helpers/proc.js";

const CHILD = fileURLToPath(new URL("./fixtures/leader-child.ts", import.meta.url));
const TTL = 2000;

describe("reconcile leader on etcd", () => {
  let cluster: EtcdCluster;
  const procs: Proc[] = [];
  before(async () => {
    cluster = await startEtcd(3);
  });
  after(async () => {
    for (const p of procs) await p.stop();
    await cluster?.stop();
  });

  it("the follower takes over within the lease ttl after the leader is killed, and rounds never overlap", async () => {
    const spawn = (name: string) => {
      const p = startProcess(process.execPath, ["--import", "tsx", CHILD, cluster.endpoints, "/hecate-leader/", String(TTL), name]);
      procs.push(p);
      return p;
    };
    const a = spawn("a");
    const b = spawn("b");
    const lines = () => [...a.output().split("\n"), ...b.output().split("\n")].filter(Boolean);
    const first = (await eventually(() => lines().find((l) => l.startsWith("leading ")), 30_000))!;
    const leaderName = first.split(" ")[1]!;
    const [leader, follower] = leaderName === "a" ? [a, b] : [b, a];
    // A few rounds under the first leader, the other only following.
    await eventually(() => lines().filter((l) => l.startsWith("end ")).length >= 3, 10_000);
    assert.ok(!follower.output().includes("leading"), "only one leads");
    const killedAt = Date.now();
    leader.child.kill("SIGKILL");
    await new Promise((r) => leader.child.once("exit", r));
    const took = (await eventually(() => follower.output().split("\n").find((l) => l.startsWith("leading ")), 30_000))!;
    const failover = Number(took.split(" ")[2]) - killedAt;
    assert.ok(failover >= 500, `the follower waited for the lease (took over after ${failover} ms)`);
    assert.ok(failover <= TTL + 2000, `fail-over took ${failover} ms (lease ttl ${TTL} ms)`);
    await eventually(() => follower.output().split("\n").filter((l) => l.startsWith("end ")).length >= 2, 10_000);

    // Rounds as intervals; the killed leader's last round ended at the latest when it died.
    const rounds: { who: string; start: number; end: number }[] = [];
    for (const [p, name] of [[a, "a"], [b, "b"]] as const) {
      let open: number | undefined;
      for (const l of p.output().split("\n")) {
        const [kind, , t] = l.split(" ");
        if (kind === "start") open = Number(t);
        if (kind === "end" && open !== undefined) {
          rounds.push({ who: name, start: open, end: Number(t) });
          open = undefined;
        }
      }
      if (open !== undefined) rounds.push({ who: name, start: open, end: p === leader ? killedAt : Date.now() });
    }
    rounds.sort((x, y) => x.start - y.start);
    for (let i = 1; i < rounds.length; i++) {
      const [prev, cur] = [rounds[i - 1]!, rounds[i]!];
      assert.ok(cur.start >= prev.end, `round of ${cur.who} at ${cur.start} overlaps the round of ${prev.who} ending ${prev.end}`);
    }
    assert.ok(rounds.some((r) => r.who === leaderName) && rounds.some((r) => r.who !== leaderName));
    console.log(`# fail-over after SIGKILL of the leader: ${failover} ms (lease ttl ${TTL} ms)`);
  });

  it("two `hecate serve --reconcile` on one etcd: one leads, and the other takes over when it is killed", async () => {
    const bin = fileURLToPath(new URL("../../bin/hecate.js", import.meta.url));
    const env = { ...process.env, HECATE_STORE: cluster.url("hecate-serve"), HECATE_SECRET_KEY: Buffer.alloc(32, 9).toString("base64") };
    const serve = () => {
      const p = startProcess(process.execPath, [bin, "serve", "--listen", "127.0.0.1:0", "--reconcile", "1s", "--leader-ttl", "2s"], { env });
      procs.push(p);
      return p;
    };
    const [a, b] = [serve(), serve()];
    /** The process's log lines with this message, by the time pino stamped on them. */
    const logged = (p: Proc, msg: string) =>
      p
        .output()
        .split("\n")
        .filter((l) => l.includes(`"msg":"${msg}"`))
        .map((l) => Date.parse((JSON.parse(l) as { time: string }).time));
    const leads = (p: Proc) => logged(p, "reconcile leader").length > 0;
    const first = (await eventually(() => (leads(a) ? a : leads(b) ? b : undefined), 30_000))!;
    const other = first === a ? b : a;
    await eventually(() => logged(first, "reconcile round").length >= 2, 10_000);
    assert.ok(!leads(other), "one leader");
    const killedAt = Date.now();
    first.child.kill("SIGKILL");
    await eventually(() => leads(other), 10_000);
    await eventually(() => logged(other, "reconcile round").length >= 2, 10_000);
    const tookOver = logged(other, "reconcile leader")[0]! - killedAt;
    assert.ok(tookOver <= 2000 + 1000 + 500, `the other took over ${tookOver} ms after the kill (lease ttl 2 s, polled every 1 s)`);
    // The round counter: every round of each process lies inside its own time as leader, and those
    // never overlap: the follower counted no round before the leader's lease had lapsed.
    const roundsBefore = logged(other, "reconcile round").filter((t) => t < killedAt).length;
    assert.equal(roundsBefore, 0, "the follower reconciled nothing while the other led");
    assert.ok(logged(first, "reconcile round").every((t) => t <= killedAt), "the killed leader's rounds all ended before it died");
    console.log(`# hecate serve fail-over after SIGKILL of the reconcile leader: ${tookOver} ms (lease ttl 2 s); rounds: ${logged(first, "reconcile round").length} by the first leader, ${logged(other, "reconcile round").length} by the second, none overlapping`);
  });
});
