// Real etcd clusters for tests: 1 or 3 members on free loopback ports, each in its own temp data
// dir, started and stopped (or killed) by pid. Nothing here relies on a system etcd service.
import { freePorts, startProcess, tempDir, type Proc } from "./proc.js";

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  proc: Proc | undefined;
}

export interface EtcdCluster {
  members: EtcdMember[];
  /** Client endpoints of every member, "127.0.0.1:port,..." (what an etcd:// store URL lists). */
  endpoints: string;
  /** `etcd://` + endpoints, with a key prefix of its own so tests on one cluster never meet. */
  url(prefix?: string): string;
  /** SIGKILL one member (a crash: no goodbye to its peers). */
  kill(i: number): Promise<void>;
  /** Start a stopped or killed member again on its ports and data dir; resolves when it is healthy. */
  restart(i: number): Promise<void>;
  /** The member index the cluster currently calls leader. */
  leader(): Promise<number>;
  /** Stop every member by pid and remove the data dirs. */
  stop(): Promise<void>;
}

/** Start `size` members (1 or 3) and wait until each answers /health with health true. */
export async function startEtcd(size = 1, opts: { timeoutMs?: number } = {}): Promise<EtcdCluster> {
  const dir = tempDir("hecate-etcd-");
  const ports = await freePorts(size * 2);
  const members: EtcdMember[] = Array.from({ length: size }, (_, i) => ({
    name: `m${i}`,
    clientUrl: `http://127.0.0.1:${ports[2 * i]}`,
    peerUrl: `http://127.0.0.1:${ports[2 * i + 1]}`,
    dataDir: `${dir.path}/m${i}`,
    proc: undefined,
  }));
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(",");
  const timeoutMs = opts.timeoutMs ?? 30_000;

  const launch = (m: EtcdMember) => {
    m.proc = startProcess("etcd", [
      "--name", m.name,
      "--data-dir", m.dataDir,
      "--listen-client-urls", m.clientUrl,
      "--advertise-client-urls", m.clientUrl,
      "--listen-peer-urls", m.peerUrl,
      "--initial-advertise-peer-urls", m.peerUrl,
      "--initial-cluster", initialCluster,
      "--initial-cluster-state", "new",
      "--initial-cluster-token", `hecate-test-${ports[0]}`,
      // Short elections keep fail-over tests quick; loopback has no latency to allow for.
      "--heartbeat-interval", "50",
      "--election-timeout", "500",
      "--logger", "zap",
      "--log-level", "error",
    ]);
  };
  const healthy = async (m: EtcdMember): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const res = await fetch(`${m.clientUrl}/health`, { signal: AbortSignal.timeout(2000) });
        if (res.ok && ((await res.json()) as { health?: string }).health === "true") return;
      } catch {
        /* not up yet */
      }
      if (m.proc && m.proc.child.exitCode !== null) throw new Error(`etcd ${m.name} exited: ${m.proc.output().slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`etcd ${m.name} not healthy after ${timeoutMs} ms: ${m.proc?.output().slice(-2000) ?? ""}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const stopAll = async () => {
    await Promise.all(members.map((m) => m.proc?.stop()));
    dir.cleanup();
  };
  try {
    members.forEach(launch);
    await Promise.all(members.map(healthy));
  } catch (e) {
    await stopAll();
    throw e;
  }

  const kill = async (i: number): Promise<void> => {
    const p = members[i]!.proc;
    if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
    const gone = new Promise<void>((r) => p.child.once("exit", () => r()));
    p.child.kill("SIGKILL");
    await gone;
  };
  const endpoints = members.map((m) => m.clientUrl.replace(/^http:\/\//, "")).join(",");
  return {
    members,
    endpoints,
    url: (prefix) => `etcd://${endpoints}${prefix ? `/${prefix.replace(/^\/+/, "")}` : ""}`,
    kill,
    async restart(i) {
      const m = members[i]!;
      await kill(i);
      launch(m);
      await healthy(m);
    },
    async leader() {
      for (const [i, m] of members.entries()) {
        if (!m.proc || m.proc.child.exitCode !== null || m.proc.child.signalCode !== null) continue;
        try {
          // The v3 gRPC gateway: Status names the member and the leader by id.
          const res = await fetch(`${m.clientUrl}/v3/maintenance/status`, { method: "POST", body: "{}", signal: AbortSignal.timeout(2000) });
          const s = (await res.json()) as { header?: { member_id?: string }; leader?: string };
          if (s.leader && s.header?.member_id === s.leader) return i;
        } catch {
          /* try the next member */
        }
      }
      throw new Error("no etcd member says it is the leader");
    },
    stop: stopAll,
  };
}
