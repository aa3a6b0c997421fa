// The nginx provider: owns one stream file; validates with -t, swaps it atomically, reloads, proves it.
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, openSync, readSync, closeSync } from "node:fs";
import { connect } from "node:net";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { HecateError, type Diagnostic } from "../../diag.js";
import type { ResolvedSettings } from "../../model/resolved.js";
import type { Provider, ProviderContext } from "../provider.js";
import { compileNginx, HEADER_LINE, renderFile } from "../../compile/nginx/compile.js";
import { parseDirectives, parseOwnedFile } from "../../compile/nginx/parse.js";
import type { NginxOwned, NginxStream } from "../../compile/nginx/types.js";
import { diffNginx, type NginxActual } from "./diff.js";
import { readMasterPid, runNginx, workerPids, workerStillServing } from "./run.js";

export interface NginxProviderOptions {
  /** Overrides the pid file found in the main config. */
  pidFile?: string;
  /** Overrides the error log found in the main config. */
  errorLog?: string;
  /** How long to wait for nginx to take a reload (bind retries alone take ~2.5 s). */
  reloadTimeoutMs?: number;
  /** How long a new TCP listener may take to accept a probe connection. */
  probeTimeoutMs?: number;
}

/** What apply journals: the file as it was, so undo can put it back from any process. */
export interface NginxUndo {
  streamFile: string;
  /** Previous text; null when there was no file. */
  previous: string | null;
}

/** Paths the provider works with, resolved once from settings and the main config. */
export interface NginxPaths {
  binary: string;
  prefix?: string;
  config: string;
  streamFile: string;
  pidFile: string;
  errorLog: string;
}

/** First top-level directive `name` of the main config, resolved against the prefix. */
function topLevelPath(configText: string, name: string, prefix: string | undefined): string | undefined {
  try {
    const d = parseDirectives(configText).find((x) => x.name === name && !x.block);
    const v = d?.args[0];
    if (!v || v === "stderr" || v.startsWith("syslog:") || v === "off") return undefined;
    return isAbsolute(v) ? v : resolve(prefix ?? "/usr/share/nginx", v);
  } catch {
    return undefined;
  }
}

export function resolveNginxPaths(settings: ResolvedSettings["nginx"], opts: NginxProviderOptions = {}): NginxPaths {
  const prefix = settings.prefix ? resolve(settings.prefix) : undefined;
  const config = resolve(settings.config ?? (prefix ? join(prefix, "nginx.conf") : "/etc/nginx/nginx.conf"));
  const streamFile = resolve(settings.streamFile ?? join(dirname(config), "hecate-streams.conf"));
  let text = "";
  try {
    text = readFileSync(config, "utf8");
  } catch {
    // checked when it matters (apply); read() works on the stream file alone
  }
  const pidFile = opts.pidFile ?? topLevelPath(text, "pid", prefix) ?? (prefix ? join(prefix, "logs", "nginx.pid") : "/run/nginx.pid");
  const errorLog = opts.errorLog ?? topLevelPath(text, "error_log", prefix) ?? (prefix ? join(prefix, "logs", "error.log") : "/var/log/nginx/error.log");
  const out: NginxPaths = { binary: settings.binary || "nginx", config, streamFile, pidFile, errorLog };
  if (prefix) out.prefix = prefix;
  return out;
}

/** Read the owned file; a file without Hecate's header is refused (an empty file may be adopted). */
export function readOwned(streamFile: string): NginxActual {
  if (!existsSync(streamFile)) {
    return { path: streamFile, exists: false, text: "", streams: [], intact: false, problems: [] };
  }
  const text = readFileSync(streamFile, "utf8");
  if (text.trim() === "") return { path: streamFile, exists: true, text, streams: [], intact: false, problems: [] };
  const parsed = parseOwnedFile(text);
  if (!parsed.owned) {
    throw new HecateError(
      "nginx-not-owned",
      `${streamFile} is not Hecate's: its first line is not "${HEADER_LINE}". Hecate will not touch it; move it away or set settings.nginx.streamFile to another file.`,
      { status: 409 },
    );
  }
  return { path: streamFile, exists: true, text, streams: parsed.streams, intact: parsed.intact, problems: parsed.problems };
}

/** Write a file atomically: temp file in the same directory, then rename over. */
function writeAtomic(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.hecate-${process.pid}-${Date.now()}`);
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function readFrom(path: string, offset: number): string {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return "";
  }
  try {
    const size = statSync(path).size;
    const start = size < offset ? 0 : offset; // rotated: read it all
    const buf = Buffer.alloc(size - start);
    readSync(fd, buf, 0, buf.length, start);
    return buf.toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/** Host to dial for a listen string: wildcard listens are probed on loopback. */
export function probeTarget(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(":");
  if (i < 0) return { host: "127.0.0.1", port: Number(listen) };
  let host = listen.slice(0, i);
  const port = Number(listen.slice(i + 1));
  if (host.startsWith("[")) host = host.slice(1, -1);
  if (host === "::") host = "::1";
  return { host, port };
}

async function accepts(host: string, port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect({ host, port });
      const t = setTimeout(() => { s.destroy(); r(false); }, 1000);
      s.once("connect", () => { clearTimeout(t); s.destroy(); r(true); });
      s.once("error", () => { clearTimeout(t); r(false); });
    });
    if (ok || Date.now() > deadline) return ok;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** TCP listens among these streams that do not accept a connection. */
async function deadListeners(streams: NginxStream[], timeoutMs: number): Promise<string[]> {
  const dead: string[] = [];
  await Promise.all(
    streams
      .filter((s) => s.protocol === "tcp")
      .map(async (s) => {
        const t = probeTarget(s.listen);
        if (!(await accepts(t.host, t.port, timeoutMs))) dead.push(`Stream/${s.name} (tcp ${s.listen})`);
      }),
  );
  return dead.sort();
}

const FAILURE_RE = /\[(emerg|alert|crit)\]/;

/** Lines nginx logged at emerg/alert/crit, stripped of timestamp and pid. */
function failureLines(log: string): string[] {
  return log
    .split("\n")
    .filter((l) => FAILURE_RE.test(l))
    .map((l) => l.replace(/^\S+ \S+ (\[\w+\]) \d+#\d+: (\*\d+ )?/, "$1 "));
}

export interface NginxProvider extends Provider<NginxOwned, NginxActual> {
  readonly paths: NginxPaths;
  /**
   * `import nginx --adopt`: the streams of `files` (stream config the running nginx reads) move
   * into the owned file as `desired` has them, and each file keeps its original only as comments,
   * in one `nginx -t`-checked swap and reload; on any failure every file is put back.
   */
  adopt(desired: NginxOwned, files: readonly { path: string; text: string }[]): Promise<void>;
}

/** What an adopted stream file holds afterwards: where its streams went, and its original as comments. */
export function adoptedStub(original: string, streamFile: string): string {
  return [
    `# Adopted by Hecate: the streams of this file are served from ${streamFile}, which Hecate owns.`,
    "# Change them with hecate (hecate list streams). The original, as it was, kept as comments:",
    ...original.replace(/\n$/, "").split("\n").map((l) => `# ${l}`.trimEnd()),
    "",
  ].join("\n");
}

export function createNginxProvider(settings: ResolvedSettings["nginx"], opts: NginxProviderOptions = {}): NginxProvider {
  const paths = resolveNginxPaths(settings, opts);
  const reloadTimeoutMs = opts.reloadTimeoutMs ?? 10_000;
  const probeTimeoutMs = opts.probeTimeoutMs ?? 3000;
  const pArgs = () => [...(paths.prefix ? ["-p", paths.prefix] : []), "-c", paths.config];

  /** Main config text with the include of the owned file pointed at another file. */
  function configIncluding(target: string): string {
    let text: string;
    try {
      text = readFileSync(paths.config, "utf8");
    } catch (e) {
      throw new HecateError("nginx-config", `cannot read the nginx config ${paths.config}: ${(e as Error).message}`);
    }
    const confDir = dirname(paths.config);
    let found = 0;
    const out = text.replace(/(^|[\s;{}])include(\s+)(["']?)([^;"'\s]+)\3(\s*;)/g, (m, pre: string, sp: string, q: string, arg: string, end: string) => {
      if (resolve(confDir, arg) !== paths.streamFile) return m;
      found++;
      return `${pre}include${sp}"${target}"${end}`;
    });
    if (found === 0) {
      throw new HecateError(
        "nginx-config",
        `${paths.config} does not include ${paths.streamFile}; add "include ${paths.streamFile};" inside its stream { } block`,
      );
    }
    return out;
  }

  /** `nginx -t` of the main config with `candidate` in place of the owned file; live files untouched. */
  async function testWith(candidate: string): Promise<void> {
    const confDir = dirname(paths.config);
    const staging = `${paths.streamFile}.hecate-staging`;
    const testConf = join(confDir, `.hecate-test-${basename(paths.config)}`);
    writeFileSync(staging, candidate);
    try {
      writeFileSync(testConf, configIncluding(staging));
      const r = await runNginx(paths.binary, ["-t", "-q", ...(paths.prefix ? ["-p", paths.prefix] : []), "-c", testConf]);
      if (r.code !== 0) {
        const msg = (r.stderr || r.stdout).trim().replaceAll(staging, paths.streamFile).replaceAll(testConf, paths.config);
        throw new HecateError("nginx-rejected", `nginx -t rejected the stream config: ${msg}`);
      }
    } finally {
      rmSync(staging, { force: true });
      rmSync(testConf, { force: true });
    }
  }

  /**
   * Signal a reload and wait until the master runs new workers. With `strict`, any
   * [emerg]/[alert]/[crit] line logged after the signal is a failure: a bind() error leaves
   * `nginx -s reload` at exit 0 and the old config running.
   */
  async function reload(strict: boolean): Promise<{ ok: true; workers: number[] } | { ok: false; message: string }> {
    const master = readMasterPid(paths.pidFile);
    if (master === undefined) {
      return { ok: false, message: `nginx is not running (no live master in ${paths.pidFile})` };
    }
    const before = new Set(workerPids(master));
    const offset = fileSize(paths.errorLog);
    const r = await runNginx(paths.binary, [...pArgs(), "-s", "reload"]);
    if (r.code !== 0) return { ok: false, message: (r.stderr || r.stdout).trim() || `nginx -s reload exited ${r.code}` };
    const deadline = Date.now() + reloadTimeoutMs;
    for (;;) {
      if (strict) {
        const bad = failureLines(readFrom(paths.errorLog, offset));
        if (bad.length > 0) return { ok: false, message: bad.join("; ") };
      }
      const now = workerPids(master);
      // Done when new workers run and every old one stopped accepting (gone or shutting down).
      if (now.some((p) => !before.has(p)) && [...before].every((p) => !workerStillServing(p))) {
        if (strict) {
          const bad = failureLines(readFrom(paths.errorLog, offset));
          if (bad.length > 0) return { ok: false, message: bad.join("; ") };
        }
        return { ok: true, workers: now.filter((p) => !before.has(p)) };
      }
      if (Date.now() > deadline) {
        return { ok: false, message: `nginx did not start new workers within ${reloadTimeoutMs} ms after reload (see ${paths.errorLog})` };
      }
      await new Promise((res) => setTimeout(res, 25));
    }
  }

  /** Put `previous` back (or an empty owned file) and reload; never throws, returns a problem. */
  async function restore(previous: string | null): Promise<string | undefined> {
    try {
      writeAtomic(paths.streamFile, previous ?? renderFile([]));
    } catch (e) {
      return `could not restore ${paths.streamFile}: ${(e as Error).message}`;
    }
    const r = await reload(false);
    return r.ok ? undefined : `reload after restoring ${paths.streamFile} failed: ${r.message}`;
  }

  const provider: NginxProvider = {
    system: "nginx",
    paths,

    async adopt(desired, files) {
      const owned = readOwned(paths.streamFile);
      for (const f of files) {
        if (readFileSync(f.path, "utf8") !== f.text) throw new HecateError("nginx-conflict", `${f.path} changed since it was imported; import again`, { status: 409 });
      }
      if (readMasterPid(paths.pidFile) === undefined) throw new HecateError("nginx-not-running", `nginx is not running (no live master in ${paths.pidFile}): adopt takes over the streams a running nginx serves`, { status: 503 });
      const previous = [{ path: paths.streamFile, text: owned.exists ? owned.text : null }, ...files];
      const putBack = () => previous.forEach((f) => (f.text === null ? rmSync(f.path, { force: true }) : writeAtomic(f.path, f.text)));
      // The running nginx reads nothing until the reload: the files are swapped, checked with
      // -t as a whole config (the imported files are included by globs Hecate cannot stage), and
      // put back before any reload if nginx refuses them.
      writeAtomic(paths.streamFile, desired.file);
      for (const f of files) writeAtomic(f.path, adoptedStub(f.text, paths.streamFile));
      const t = await runNginx(paths.binary, ["-t", "-q", ...pArgs()]);
      let failure: string | undefined;
      let problem: string | undefined;
      if (t.code !== 0) {
        failure = `nginx -t refused the adopted config: ${(t.stderr || t.stdout).trim()}`;
        putBack();
      } else {
        const r = await reload(true);
        if (!r.ok) failure = r.message;
        else {
          const dead = await deadListeners(desired.streams, probeTimeoutMs);
          if (dead.length) failure = `listeners do not accept connections after the reload: ${dead.join(", ")}`;
        }
        if (failure !== undefined) {
          putBack();
          const back = await reload(false);
          if (!back.ok) problem = back.message;
        }
      }
      if (failure !== undefined) {
        throw new HecateError("nginx-rejected", `not adopted: ${failure}; every file was put back${problem ? ` (but the reload after: ${problem})` : ""}`);
      }
    },

    compile(state) {
      const { config, diagnostics } = compileNginx(state);
      return { desired: config, diagnostics };
    },

    async read(_ctx: ProviderContext) {
      return readOwned(paths.streamFile);
    },

    diff(desired, actual) {
      return diffNginx(desired, actual);
    },

    describe: (a) => [
      `${a.path}: ${a.exists ? `${a.streams.length} stream(s)${a.intact || !a.streams.length ? "" : ", edited by hand since Hecate wrote it"}` : "not written yet"}`,
      ...a.problems,
    ],

    // The file swap and reload is one change: reported once nginx runs it and its listeners answer.
    async apply({ desired, actual, changes }, ctx) {
      const now = readOwned(paths.streamFile);
      if (now.exists !== actual.exists || now.text !== actual.text) {
        throw new HecateError(
          "nginx-conflict",
          `${paths.streamFile} changed since the plan was made; plan again`,
          { status: 409 },
        );
      }
      const undo: NginxUndo = { streamFile: paths.streamFile, previous: now.exists ? now.text : null };
      if (now.exists && now.text === desired.file) return;

      if (readMasterPid(paths.pidFile) === undefined) {
        throw new HecateError("nginx-not-running", `nginx is not running (no live master in ${paths.pidFile}); start it, then apply again`, { status: 503 });
      }
      await testWith(desired.file);
      ctx.log?.(`nginx -t accepted ${desired.streams.length} stream(s); replacing ${paths.streamFile}`);
      writeAtomic(paths.streamFile, desired.file);

      const r = await reload(true);
      let failure: string | undefined;
      if (!r.ok) failure = r.message;
      else {
        const dead = await deadListeners(desired.streams, probeTimeoutMs);
        if (dead.length > 0) failure = `new listeners do not accept connections: ${dead.join(", ")}`;
      }
      if (failure !== undefined) {
        const restoreProblem = await restore(undo.previous);
        throw new HecateError(
          "nginx-rejected",
          `nginx did not take the new stream config: ${failure}; the previous config was restored` +
            (restoreProblem ? ` (but: ${restoreProblem})` : ""),
        );
      }
      const action = !now.exists ? "create" : changes.every((c) => c.action === "delete") ? "delete" : "update";
      await ctx.report({
        change: { system: "nginx", action, kind: "file", id: paths.streamFile },
        undo,
        detail: { streams: desired.streams.length, workers: r.ok ? r.workers : [] },
      });
    },

    async undo(record) {
      const u = record.undo as NginxUndo;
      if (!u || typeof u !== "object" || !("previous" in u)) {
        throw new HecateError("nginx-undo", "the journaled nginx step has no previous file to restore");
      }
      const want = u.previous ?? renderFile([]);
      let current: string | undefined;
      try {
        current = readFileSync(paths.streamFile, "utf8");
      } catch {
        current = undefined;
      }
      if (current === want) return; // already restored: undo twice is harmless
      if (current !== undefined && current.trim() !== "" && !current.startsWith(HEADER_LINE)) {
        throw new HecateError("nginx-not-owned", `${paths.streamFile} is not Hecate's any more; not restoring over it`, { status: 409 });
      }
      const problem = await restore(u.previous);
      if (problem) throw new HecateError("nginx-undo", problem);
    },

    async verify(desired, _records) {
      const diags: Diagnostic[] = [];
      let actual: NginxActual;
      try {
        actual = readOwned(paths.streamFile);
      } catch (e) {
        return [{ severity: "error", code: "nginx-not-owned", message: (e as Error).message }];
      }
      if (actual.text !== desired.file) {
        const changes = diffNginx(desired, actual);
        for (const c of changes) {
          diags.push({
            severity: "error",
            code: "nginx-drift",
            message: `${c.kind} ${c.id} does not match after apply (${c.action} pending)`,
            ...(c.resource ? { address: c.resource } : {}),
          });
        }
        if (changes.length === 0) diags.push({ severity: "error", code: "nginx-drift", message: `${paths.streamFile} differs from the compiled file` });
      }
      for (const d of await deadListeners(desired.streams, probeTimeoutMs)) {
        diags.push({ severity: "error", code: "nginx-listen-down", message: `${d} does not accept connections` });
      }
      return diags;
    },
  };
  return provider;
}
