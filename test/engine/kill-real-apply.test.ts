// SIGKILL at random points of a real `hecate apply` against real Caddy and nginx. Each time, the
// next `hecate plan` (a new process) recovers, and both systems are then wholly on the old
// revision or wholly on the new one, never a mix: by their live config (Caddy's admin API,
// nginx's stream file) and by real traffic through both. A follow-up `hecate apply` then leaves
// nothing to plan. Kill points are seeded (HECATE_CRASH_SEED=N reruns one exactly), anchored on
// the apply's own progress lines so early (loading, planning), mid (inside and between the
// systems' steps) and late (after the last step) are all covered.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import type { Resource } from "../../src/model/schema.js";
import { get } from "../caddy-provider/caddy.js";
import { freePorts, tempDir } from "../helpers/proc.js";
import { startUpstream, type Upstream } from "../helpers/servers.js";
import { startTcpEcho, tcpRequest, type TcpEcho } from "../nginx/helpers.js";
import { startRealSystems, type RealSystems } from "./real-setup.js";
import { route, stream } from "./setup.js";
import { prng } from "../helpers/prng.js";

const BIN = join(import.meta.dirname, "../../bin/hecate.js");
const SEED = Number(process.env.HECATE_CRASH_SEED ?? randomBytes(4).readUInt32LE(0));


interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Each stdout line with the ms since spawn at which the test saw it. */
  lines: { at: number; text: string }[];
}

describe("SIGKILL during a real apply (CLI, real Caddy + nginx)", () => {
  let sys: RealSystems;
  let dir: ReturnType<typeof tempDir>;
  const ups: Upstream[] = [];
  const echoes: TcpEcho[] = [];
  let env: NodeJS.ProcessEnv;
  let streamFile: string;
  let sp: number[];
  const conf: Record<"A" | "B", string> = { A: "", B: "" };
  const live: Partial<Record<"A" | "B", { caddy: unknown; nginx: string }>> = {};
  let traffic: Record<"A" | "B", Record<string, string>>;
  let anchors: { text: string; at: number; gap: number }[] = [];
  const children = new Set<number>();
  const seeded = (m: string) => `${m} [HECATE_CRASH_SEED=${SEED}]`;

  /** Start `hecate ARGS` in a new process; kill() SIGKILLs it by pid. */
  function hecate(args: string[], onLine?: (line: string, at: number) => void): { pid: number; done: Promise<Run>; kill: () => void } {
    const t0 = Date.now();
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    const pid = child.pid ?? -1;
    children.add(pid);
    const run: Run = { code: null, signal: null, stdout: "", stderr: "", lines: [] };
    let partial = "";
    child.stdout.on("data", (b: Buffer) => {
      run.stdout += b.toString();
      partial += b.toString();
      const parts = partial.split("\n");
      partial = parts.pop()!;
      for (const text of parts) {
        const at = Date.now() - t0;
        run.lines.push({ at, text });
        onLine?.(text, at);
      }
    });
    child.stderr.on("data", (b: Buffer) => (run.stderr += b.toString()));
    const done = new Promise<Run>((resolve) =>
      child.once("exit", (code, signal) => {
        children.delete(pid);
        Object.assign(run, { code, signal });
        resolve(run);
      }),
    );
    return { pid, done, kill: () => void (child.exitCode === null && child.signalCode === null && child.kill("SIGKILL")) };
  }
  const cli = async (...args: string[]) => hecate(args).done;
  const ok = async (...args: string[]) => {
    const r = await cli(...args);
    assert.equal(r.code, 0, seeded(`hecate ${args.join(" ")} exited ${r.code}: ${r.stdout}${r.stderr}`));
    return r;
  };

  /** Caddy's whole live config and nginx's stream file, as they are now. */
  async function readLive(): Promise<{ caddy: unknown; nginx: string }> {
    const admin = new URL(sys.caddy.admin);
    const r = await get(Number(admin.port), admin.host, "/config/");
    assert.equal(r.status, 200, r.body);
    return { caddy: JSON.parse(r.body), nginx: readFileSync(streamFile, "utf8") };
  }
  /** What users see: who answers each route host, and each stream port. */
  async function observe(): Promise<Record<string, string>> {
    const seen: Record<string, string> = {};
    for (const name of ["r1", "r2", "r3", "r4", "r5"]) {
      const r = await get(sys.httpPort, `${name}.example.com`).catch(() => ({ status: 0, headers: {} as Record<string, unknown> }));
      seen[name] = r.status === 200 ? String(r.headers["x-upstream"]) : `status ${r.status}`;
    }
    for (const [i, port] of sp.entries()) seen[`s${i + 1}`] = await tcpRequest(port, "hi", 2000).catch(() => "down");
    return seen;
  }
  /** "A", "B", or "mixed" (naming what differs) from live config and traffic together. */
  async function which(): Promise<{ rev: "A" | "B" | "mixed"; detail: string }> {
    const now = await readLive();
    const seen = await observe();
    for (const rev of ["A", "B"] as const) {
      const cfgSame = JSON.stringify(now.caddy) === JSON.stringify(live[rev]!.caddy) && now.nginx === live[rev]!.nginx;
      const trafficSame = JSON.stringify(seen) === JSON.stringify(traffic[rev]);
      if (cfgSame && trafficSame) return { rev, detail: "" };
    }
    const part = (rev: "A" | "B") =>
      `caddy=${JSON.stringify(now.caddy) === JSON.stringify(live[rev]!.caddy)} nginx=${now.nginx === live[rev]!.nginx}`;
    return { rev: "mixed", detail: `config matches A: ${part("A")}, B: ${part("B")}; traffic ${JSON.stringify(seen)}` };
  }

  before(async () => {
    sys = await startRealSystems();
    dir = tempDir("hecate-kill-apply-");
    streamFile = (sys.settings.spec as { nginx: { streamFile: string } }).nginx.streamFile;
    ups.push(await startUpstream("A"), await startUpstream("B"));
    echoes.push(await startTcpEcho("one"), await startTcpEcho("two"));
    sp = await freePorts(4);
    const [a, b] = [ups[0]!.address, ups[1]!.address];
    const [one, two] = [echoes[0]!.address, echoes[1]!.address];
    // B updates r1..r3 and s1..s2, deletes r4 and s3, creates r5 and s4 (a destructive plan: --yes).
    const revs: Record<"A" | "B", Resource[]> = {
      A: [route("r1", a), route("r2", a), route("r3", a), route("r4", a), stream("s1", sp[0]!, one), stream("s2", sp[1]!, one), stream("s3", sp[2]!, one)],
      B: [route("r1", b), route("r2", b), route("r3", b), route("r5", b), stream("s1", sp[0]!, two), stream("s2", sp[1]!, two), stream("s4", sp[3]!, two)],
    };
    traffic = {
      A: { r1: "A", r2: "A", r3: "A", r4: "A", r5: "status 404", s1: "one:hi", s2: "one:hi", s3: "one:hi", s4: "down" },
      B: { r1: "B", r2: "B", r3: "B", r4: "status 404", r5: "B", s1: "two:hi", s2: "two:hi", s3: "down", s4: "two:hi" },
    };
    for (const rev of ["A", "B"] as const) {
      conf[rev] = join(dir.path, `conf-${rev}`);
      mkdirSync(conf[rev]);
      writeFileSync(join(conf[rev], "hecate.yaml"), [sys.settings, ...revs[rev]].map((r) => stringify(r)).join("---\n"));
    }
    const home = join(dir.path, "home");
    env = {
      ...process.env,
      HECATE_STORE: join(dir.path, "hecate.db"),
      HECATE_SECRET_KEY: randomBytes(32).toString("base64"),
      HOME: home,
      XDG_CONFIG_HOME: join(home, "config"),
      XDG_STATE_HOME: join(home, "state"),
      XDG_DATA_HOME: join(home, "data"),
      XDG_CACHE_HOME: join(home, "cache"),
      USER: "kill-test",
      NO_COLOR: "1",
    };
    delete env.NODE_TEST_CONTEXT;
    delete env.HECATE_STORE_URL;
  });

  after(async () => {
    for (const pid of children) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
    await sys?.stop();
    for (const u of ups) await u.close();
    for (const e of echoes) await e.close();
    dir?.cleanup();
  });

  it("applies A, then B through the CLI; B's run gives the timeline the kills are placed on", async (t) => {
    t.diagnostic(`seed ${SEED} (rerun with HECATE_CRASH_SEED=${SEED})`);
    await ok("apply", conf.A, "--yes");
    live.A = await readLive();
    assert.deepEqual(await observe(), traffic.A);

    const r = await ok("apply", conf.B, "--yes");
    live.B = await readLive();
    assert.deepEqual(await observe(), traffic.B);
    assert.notDeepEqual(live.A, live.B);

    // Anchors: the start, then every step's progress line; each with the time to the next one.
    // The kill just after the first step's "done" is the one sure to catch a half-applied mix.
    const steps = r.lines.filter((l) => /^\w+: (applying|done)\b/.test(l.text));
    assert.ok(steps.length >= 4, `expected caddy and nginx steps in: ${r.stdout}`);
    const end = r.lines.at(-1)!.at;
    const marks = [{ text: "", at: 0 }, ...steps];
    anchors = marks.map((m, i) => ({ text: m.text, at: m.at, gap: Math.max(5, (marks[i + 1]?.at ?? end) - m.at) }));
    t.diagnostic(`anchors: ${anchors.map((a) => `${a.text || "spawn"} @${a.at}ms +${a.gap}`).join(", ")}`);
  });

  it("kills at seeded random points, one after each anchor: every recovery ends wholly on one revision, never mixed", async (t) => {
    assert.ok(anchors.length > 0, "the timeline run came first");
    const rand = prng(SEED);
    let current: "A" | "B" = "B";
    let mixedBeforeRecovery = 0;
    const landed: string[] = [];
    for (let k = 0; k < anchors.length; k++) {
      const target: "A" | "B" = current === "A" ? "B" : "A";
      const anchor = anchors[k]!;
      const phase = k === 0 ? "early" : k === anchors.length - 1 ? "late" : "mid";
      // Early kills stay in the first 80% of the start-up (loading, planning, recording the revision).
      const delay = Math.floor(rand() * anchor.gap * (k === 0 ? 0.8 : 1));
      const where: string = `kill ${k + 1} (${phase}): ${current}->${target}, ${delay} ms after ${anchor.text ? `"${anchor.text}"` : "spawn"}`;

      // `apply PATHS` plans on a scratch copy, records the target as the head, then applies it.
      let timer: NodeJS.Timeout | undefined;
      const apply = hecate(["apply", conf[target], "--yes"], (line) => {
        if (anchor.text && line.startsWith(anchor.text.split(" ").slice(0, 2).join(" ")) && !timer) timer = setTimeout(apply.kill, delay);
      });
      if (!anchor.text) timer = setTimeout(apply.kill, delay);
      const run = await apply.done;
      clearTimeout(timer);
      const lastSeen = run.lines.at(-1)?.text ?? "(no output)";
      const killed = run.signal === "SIGKILL";
      if (!killed) assert.equal(run.code, 0, seeded(`${where}: the apply failed on its own: ${run.stdout}${run.stderr}`));

      const pre = await which();
      if (pre.rev === "mixed") mixedBeforeRecovery++;

      // A new process plans: it finds the abandoned apply, undoes it, then tells what is left.
      const plan = await cli("plan", "--detailed-exitcode");
      assert.ok(plan.code === 0 || plan.code === 2, seeded(`${where}: plan after the kill failed: ${plan.stdout}${plan.stderr}`));
      const post = await which();
      landed.push(`${where}: ${killed ? "killed" : "finished first"} after "${lastSeen}"; systems ${pre.rev} after the kill, ${post.rev} after recovery`);
      t.diagnostic(landed.at(-1)!);
      assert.notEqual(post.rev, "mixed", seeded(`${where}: systems left mixed after recovery: ${post.detail}`));
      // The store agrees with reality. Changes left: the target was recorded and undone. None: the
      // target is live, or the kill came before the target was recorded (before any step).
      const stepped = run.lines.some((l) => /^\w+: applying\b/.test(l.text));
      if (plan.code === 2) assert.equal(post.rev, current, seeded(`${where}: plan shows changes but reality is ${post.rev}: ${plan.stdout}`));
      if (post.rev === target) assert.equal(plan.code, 0, seeded(`${where}: the target is live but plan shows changes: ${plan.stdout}`));
      if (plan.code === 0 && post.rev === current) assert.ok(!stepped, seeded(`${where}: a step ran, yet the old revision is live and plan sees nothing to do`));
      if (!killed) assert.equal(post.rev, target, seeded(`${where}: an apply that finished left ${post.rev}`));

      if (post.rev !== target) {
        // Rolled back: a follow-up apply goes through cleanly and leaves nothing to plan.
        await ok("apply", conf[target], "--yes");
        assert.equal((await which()).rev, target, seeded(`${where}: the follow-up apply did not reach ${target}`));
        const again = await cli("plan", "--detailed-exitcode");
        assert.equal(again.code, 0, seeded(`${where}: plan after the follow-up apply is not empty: ${again.stdout}${again.stderr}`));
      } // else the target is live and the plan above was already empty (checked)
      current = target;
    }
    // Not vacuous: at least one kill caught the systems half-way (the case recovery exists for).
    assert.ok(mixedBeforeRecovery >= 1, seeded(`no kill left a mixed state to recover from:\n${landed.join("\n")}`));
  });

  it("after all that, `hecate render` prints exactly what Caddy and nginx run", async () => {
    const caddy = await ok("render", "caddy");
    const nginx = await ok("render", "nginx");
    const now = await readLive();
    assert.equal(nginx.stdout, now.nginx);
    const rendered = JSON.parse(caddy.stdout) as Record<string, unknown>;
    const liveCaddy = now.caddy as Record<string, unknown>;
    assert.deepEqual(rendered, Object.fromEntries(Object.keys(rendered).map((k) => [k, liveCaddy[k]])));
  });
});
