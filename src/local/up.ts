// `hecate up`, `hecate down`, `hecate status`: run the local stack in the foreground or detached,
// find it again from its directory (up.json: the supervisor's pid and the processes it started),
// stop it by pid, and clean up after a supervisor that died without stopping its children.
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { connect } from "node:net";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { HecateError } from "../diag.js";
import { DEMO_ZONE, PORT_ROLES, upLocalStack, type ExternalSystems, type LocalPorts, type LocalStack } from "./stack.js";

const RECORD = "up.json";
const LOG = "up.log";

/** A process as this run saw it: its pid and start time, so a reused pid is never mistaken for it. */
export interface ProcessRef {
  name: string;
  pid: number;
  /** /proc/PID/stat starttime (clock ticks since boot); absent where /proc is not there. */
  started?: string;
}

/** What a running stack leaves in its directory. */
export interface UpRecord {
  supervisor: ProcessRef;
  startedAt: string;
  dir: string;
  storePath: string;
  desiredDir: string;
  ports: LocalPorts;
  caddyAdmin: string;
  login: { username: string };
  children: ProcessRef[];
  /** The real systems used instead of stand-ins (URLs and file paths; no token values). */
  external?: ExternalSystems;
}

function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces, inside parentheses); starttime is field 22.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function ref(name: string, pid: number): ProcessRef {
  const started = startTime(pid);
  return { name, pid, ...(started ? { started } : {}) };
}

/** The very process the record names is still running. */
export function running(p: ProcessRef): boolean {
  try {
    process.kill(p.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return p.started === undefined || startTime(p.pid) === p.started;
}

export function readRecord(dir: string): UpRecord | undefined {
  const path = join(dir, RECORD);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as UpRecord;
  } catch {
    throw new HecateError("up-record", `${path} is not readable JSON: remove it if no stack is running from ${dir}`);
  }
}

async function waitGone(p: ProcessRef, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (running(p)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/** Stop processes a dead supervisor left behind (by pid, checked by start time); names what was stopped. */
async function stopLeftovers(rec: UpRecord): Promise<string[]> {
  const stopped: string[] = [];
  for (const c of rec.children) {
    if (!running(c)) continue;
    process.kill(c.pid, "SIGTERM");
    if (!(await waitGone(c, 5000))) process.kill(c.pid, "SIGKILL");
    stopped.push(`${c.name} (pid ${c.pid})`);
  }
  return stopped;
}

/** The way to run this CLI again, as a user would type it here. */
export function cliCommand(): string {
  const bin = fileURLToPath(new URL("../../bin/hecate.js", import.meta.url));
  const rel = relative(process.cwd(), bin);
  return rel === "bin/hecate.js" ? "node bin/hecate.js" : `node ${bin}`;
}

/** " --dir DIR" when `dir` is not where `up`, `status` and `down` look by default. */
export function dirFlag(dir: string): string {
  const dflt = resolve(process.env.HECATE_LOCAL_DIR ?? ".hecate-local");
  return resolve(dir) === dflt ? "" : ` --dir ${dir}`;
}

/** What to print once the stack is up: where everything is, how to sign in, what to try. */
export function summary(rec: UpRecord, password: string | undefined): string {
  const p = rec.ports;
  const hecate = cliCommand();
  // Absolute: the export must keep working after a cd.
  const store = rec.storePath;
  const x = rec.external ?? {};
  const zone = x.hetzner?.zone ?? DEMO_ZONE;
  const caddyCurl = rec.caddyAdmin.startsWith("unix:") ? `curl --unix-socket ${rec.caddyAdmin.slice(5)} -H 'Host;' http://localhost` : `curl ${rec.caddyAdmin}`;
  const lines = [
    `The local stack is up (pid ${rec.supervisor.pid}; state in ${rec.dir}).`,
    "",
    `  public route      curl -H 'Host: app.localhost' http://127.0.0.1:${p.http}/`,
    x.authentik
      ? `  protected route   open http://admin.localhost:${p.http}/ and sign in to your authentik (${x.authentik.url}) as a member of group staff;`
      : `  protected route   open http://admin.localhost:${p.http}/ and sign in as ${rec.login.username} / ${password ?? "(see demo-password)"};`,
    `                    the whoami app behind it shows the X-Authentik-* headers it receives`,
    ...(x.caddyAdmin ? [] : [`  internal TLS      curl --cacert ${join(rec.dir, "caddy/data/caddy/pki/authorities/local/root.crt")} --resolve secure.localhost:${p.http + 363}:127.0.0.1 https://secure.localhost:${p.http + 363}/`]),
    `  stream            exec 3<>/dev/tcp/127.0.0.1/${p.stream}; echo hello >&3; head -1 <&3   (bash)`,
    x.hetzner ? `  DNS               ${hecate} check dns app.${zone} --wait 2m` : `  DNS               dig @127.0.0.1 -p ${p.dns} app.${zone}`,
    `  Caddy admin       ${caddyCurl}/config/`,
    `  dashboard         open http://127.0.0.1:${p.api}/ui/ and sign in with the token in ${join(rec.dir, "api.token")}`,
    `  Hecate API        curl -H "Authorization: Bearer $(cat ${join(rec.dir, "api.token")})" http://127.0.0.1:${p.api}/v1/routes   (OpenAPI at /openapi.json)`,
    ...(x.authentik && x.hetzner ? [] : [`  sandboxes         ${[x.authentik ? "" : `authentik http://127.0.0.1:${p.authentik}/`, x.hetzner ? "" : `Hetzner DNS API http://127.0.0.1:${p.hetzner}/v1`].filter(Boolean).join("   ")}`]),
    "",
    "Try (the CLI works on the stack's store):",
    `  export HECATE_STORE=${store}`,
    `  ${hecate} list routes`,
    `  ${hecate} create route blog --host blog.localhost --upstream 127.0.0.1:${p.demoB} --public --tls off -m "add blog" && ${hecate} apply --yes`,
    `  ${caddyCurl}/id/hecate-route-app -X DELETE   # a hand edit behind Hecate's back`,
    `  ${hecate} drift                  # finds it`,
    `  ${hecate} reconcile --yes        # puts it back`,
    "",
  ];
  return `${lines.join("\n")}\n${hecate} status${dirFlag(rec.dir)} shows what runs; ${hecate} down${dirFlag(rec.dir)} stops it.`;
}

function writeRecord(stack: LocalStack, external: ExternalSystems): UpRecord {
  const rec: UpRecord = {
    supervisor: ref("hecate up", process.pid),
    startedAt: new Date().toISOString(),
    dir: stack.dir,
    storePath: stack.storePath,
    desiredDir: stack.desiredDir,
    ports: stack.ports,
    caddyAdmin: stack.caddyAdmin,
    login: { username: stack.login.username },
    children: stack.children.map((c) => ref(c.name, c.pid)),
    ...(Object.keys(external).length ? { external } : {}),
  };
  writeFileSync(join(stack.dir, RECORD), JSON.stringify(rec, null, 2) + "\n", { mode: 0o600 });
  return rec;
}

export interface UpOptions {
  dir: string;
  ports: Partial<LocalPorts>;
  external?: ExternalSystems;
  once: boolean;
  color: boolean;
  log: (line: string) => void;
}

/**
 * Make the stack's directory, refuse a second stack on it, and clean up after one whose
 * supervisor died (saying what it stopped).
 */
async function claim(dir: string, log: (line: string) => void): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const rec = readRecord(dir);
  if (!rec) return;
  if (running(rec.supervisor)) {
    throw new HecateError("up-running", `a stack already runs from ${dir} (pid ${rec.supervisor.pid}, since ${rec.startedAt}): see \`${cliCommand()} status${dirFlag(dir)}\`, stop it with \`${cliCommand()} down${dirFlag(dir)}\``);
  }
  const stopped = await stopLeftovers(rec);
  rmSync(join(dir, RECORD), { force: true });
  if (stopped.length) log(`a previous stack's supervisor had died; stopped what it left running: ${stopped.join(", ")}`);
}

/** Run the stack in this process until a signal (or, with `once`, stop after the checks). */
export async function upForeground(opts: UpOptions): Promise<number> {
  await claim(opts.dir, opts.log);
  const stack = await upLocalStack({ dir: opts.dir, ports: opts.ports, log: opts.log, color: opts.color, ...(opts.external ? { external: opts.external } : {}) });
  const rec = writeRecord(stack, opts.external ?? {});
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await stack.stop();
      rmSync(join(opts.dir, RECORD), { force: true });
    })());
  // Whatever ends this process, the processes it started go with it.
  process.once("uncaughtException", (e) => {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    void stop().finally(() => process.exit(1));
  });
  const password = readPassword(opts.dir);
  opts.log(`\n${summary(rec, password)}`);
  if (opts.once) {
    await stop();
    opts.log("stopped (--once)");
    return 0;
  }
  await new Promise<void>((resolve) => {
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(sig, () => resolve());
  });
  opts.log("stopping…");
  await stop();
  opts.log("stopped");
  return 0;
}

export function readPassword(dir: string): string | undefined {
  try {
    return readFileSync(join(dir, "demo-password"), "utf8").trim();
  } catch {
    return undefined;
  }
}

/**
 * Start the stack as a background process (its output in DIR/up.log) and return once it is up,
 * or fail with the end of its log.
 */
export async function upDetached(opts: UpOptions & { timeoutMs?: number }): Promise<UpRecord> {
  await claim(opts.dir, opts.log);
  const logPath = join(opts.dir, LOG);
  const fd = openSync(logPath, "w", 0o600);
  const x = opts.external ?? {};
  const args = [
    "up",
    "--dir",
    opts.dir,
    ...Object.entries(opts.ports).map(([k, v]) => `--port=${k}=${v}`),
    ...(x.authentik ? [`--authentik=${x.authentik.url}`, `--authentik-token-file=${x.authentik.tokenFile}`] : []),
    ...(x.hetzner ? [`--hetzner-token-file=${x.hetzner.tokenFile}`, `--zone=${x.hetzner.zone}`] : []),
    ...(x.caddyAdmin ? [`--caddy-admin=${x.caddyAdmin}`] : []),
  ];
  const bin = fileURLToPath(new URL("../../bin/hecate.js", import.meta.url));
  const child = spawn(process.execPath, [...process.execArgv, bin, ...args], { detached: true, stdio: ["ignore", fd, fd], env: { ...process.env, NO_COLOR: "1" } });
  closeSync(fd);
  let exited: number | null | undefined;
  child.once("exit", (code, signal) => (exited = code ?? (signal ? 128 : 1)));
  child.unref();
  const tail = () => readFileSync(logPath, "utf8").trimEnd().split("\n").slice(-25).join("\n");
  const deadline = Date.now() + (opts.timeoutMs ?? 180_000);
  opts.log(`starting in the background (pid ${child.pid}, log ${logPath})…`);
  for (;;) {
    const rec = readRecord(opts.dir);
    if (rec && rec.supervisor.pid === child.pid) return rec;
    if (exited !== undefined) throw new HecateError("up-failed", `the stack did not come up (exit ${exited}); the end of ${logPath}:\n${tail()}`);
    if (Date.now() > deadline) {
      if (child.pid) process.kill(child.pid, "SIGTERM");
      throw new HecateError("up-failed", `the stack was not up after ${Math.round((opts.timeoutMs ?? 180_000) / 1000)} s; stopped it. The end of ${logPath}:\n${tail()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}


/** Stop the stack running from `dir`: its supervisor by SIGTERM (it stops the rest), then any leftover. */
export async function down(dir: string, log: (line: string) => void): Promise<void> {
  const rec = readRecord(dir);
  if (!rec) {
    log(`no stack runs from ${dir} (no ${RECORD})`);
    return;
  }
  if (running(rec.supervisor)) {
    process.kill(rec.supervisor.pid, "SIGTERM");
    if (!(await waitGone(rec.supervisor, 30_000))) {
      process.kill(rec.supervisor.pid, "SIGKILL");
      await waitGone(rec.supervisor, 5000);
    }
    log(`stopped the stack (pid ${rec.supervisor.pid})`);
  }
  const stopped = await stopLeftovers(rec);
  if (stopped.length) log(`stopped what was left running: ${stopped.join(", ")}`);
  rmSync(join(dir, RECORD), { force: true });
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.setTimeout(1000, () => (s.destroy(), resolve(false)));
    s.once("connect", () => (s.end(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

export interface ComponentStatus {
  component: string;
  state: "up" | "down";
  address: string;
}

/** Each part of the stack running from `dir`, checked live (undefined: no stack recorded there). */
export async function status(dir: string): Promise<{ record: UpRecord; components: ComponentStatus[] } | undefined> {
  const rec = readRecord(dir);
  if (!rec) return;
  const up = (b: boolean): ComponentStatus["state"] => (b ? "up" : "down");
  const components: ComponentStatus[] = [{ component: "supervisor (hecate up)", state: up(running(rec.supervisor)), address: `pid ${rec.supervisor.pid}` }];
  for (const c of rec.children) components.push({ component: c.name, state: up(running(c)), address: `pid ${c.pid}` });
  const ports = Object.entries(rec.ports) as [keyof LocalPorts, number][];
  const open = await Promise.all(ports.map(([, port]) => tcpOpen(port)));
  ports.forEach(([key, port], i) => components.push({ component: PORT_ROLES[key], state: up(open[i]!), address: `127.0.0.1:${port}` }));
  return { record: rec, components };
}
