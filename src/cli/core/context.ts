// What every command gets injected: io, output settings, the author, and lazily opened store,
// model and engine (opened on first use so `--help` and `validate` never touch the store).
import { userInfo } from "node:os";
import { HecateError } from "../../diag.js";
import type { Store } from "../../store/store.js";
import type { Resource } from "../../model/schema.js";
import { remoteFrom, type RemoteApi } from "./remote.js";
import { askYesNo, type Io } from "./io.js";
import { createRequire } from "node:module";
import { makePaint, renderTable, toJson, type Column, type Format, type Paint } from "./output.js";

export type Model = typeof import("../../model/index.js");
export type Engine = import("../../engine/index.js").Engine;

/** The global flags (`hecate --help` lists them). */
export interface GlobalFlags {
  store?: string;
  output?: Format;
  color?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  author?: string;
  endpoint?: string;
}

export class Context {
  readonly io: Io;
  readonly paint: Paint;
  readonly quiet: boolean;
  /** -v: every object of a plan, not one line per resource. */
  readonly verbose: boolean;
  readonly author: string;
  readonly storePath: string | undefined;
  /** Explicit -o, if given; commands pick their own default otherwise. */
  readonly output: Format | undefined;
  /** --timeout: per admin API request and per engine step; set before the engine opens. */
  timeoutMs: number | undefined;
  private storeP: Promise<Store> | undefined;
  /** Remote mode (--endpoint / HECATE_API_ENDPOINT): the server the commands talk to. */
  readonly remote: RemoteApi | undefined;
  private engineP: Promise<Engine> | undefined;

  constructor(io: Io, flags: GlobalFlags) {
    this.io = io;
    const noColor = io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== "";
    this.paint = makePaint(flags.color !== false && !noColor && io.isTTY && io.env.TERM !== "dumb");
    this.quiet = Boolean(flags.quiet);
    this.verbose = Boolean(flags.verbose);
    this.author = flags.author || io.env.HECATE_AUTHOR || io.env.USER || io.env.USERNAME || osUser();
    this.storePath = flags.store || io.env.HECATE_STORE || undefined;
    this.output = flags.output;
    this.remote = remoteFrom(flags.endpoint, io.env);
  }

  /** The head revision's resources, from the server in remote mode. */
  async headResources(): Promise<{ resources: Resource[] }> {
    if (this.remote) return { resources: (await this.remote.head())?.resources ?? [] };
    const head = await (await this.store()).head();
    return { resources: head?.resources ?? [] };
  }

  format(fallback: Format): Format {
    return this.output ?? fallback;
  }

  /** Write a result line (always, even with --quiet). */
  out(text: string): void {
    this.io.stdout.write(text.endsWith("\n") || text === "" ? text : text + "\n");
  }

  /** Write a progress or confirmation message (suppressed by --quiet). */
  say(text: string): void {
    if (!this.quiet) this.out(text);
  }

  warn(text: string): void {
    this.io.stderr.write(`${this.paint("yellow", "warning:")} ${text}\n`);
  }

  json(value: unknown): void {
    this.out(toJson(value));
  }

  /** A list of records as the chosen format asks: JSON, YAML, or a table (`empty` when none). */
  records<T>(rows: readonly T[], columns: readonly Column<T>[], empty: string): void {
    const format = this.format("table");
    if (format === "json") this.json(rows);
    else if (format === "yaml") this.out(rows.length ? stringifyYaml(rows) : "");
    else if (!rows.length) this.say(empty);
    else this.out(renderTable(rows, columns));
  }

  async model(): Promise<Model> {
    return importPart(() => import("../../model/index.js"), "model (src/model/index.ts)");
  }

  /** The store; in remote mode the server's, as its API offers it (core/remote-store.ts). */
  store(): Promise<Store> {
    if (this.remote) {
      const remote = this.remote;
      this.storeP ??= import("./remote-store.js").then((m) => m.remoteStore(remote));
      return this.storeP;
    }
    this.storeP ??= importPart(() => import("../../store/index.js"), "store (src/store/index.ts)").then((m) =>
      m.openStore({ ...(this.storePath ? { path: this.storePath } : {}), env: this.io.env as NodeJS.ProcessEnv }).catch((e: unknown) => {
        throw dependencyError(e) ?? e;
      }),
    );
    return this.storeP;
  }

  /** The engine module (plan rendering, plan files, sources). */
  engineModule(): Promise<typeof import("../../engine/index.js")> {
    return importPart(() => import("../../engine/index.js"), "engine (src/engine/index.ts)");
  }

  /** The engine on the store (or on another store, e.g. a scratch copy for dry runs). */
  async engineOn(store: Store): Promise<Engine> {
    const m = await this.engineModule();
    if (typeof m.createEngine !== "function") throw notBuilt("the engine (createEngine)");
    const t = this.timeoutMs;
    if (t === undefined) return m.createEngine({ store, actor: this.author });
    // The flag outranks Settings: the providers get it as if spec.caddy.timeout said so.
    const { providersFor } = await importPart(() => import("../../providers/index.js"), "providers (src/providers/index.ts)");
    return m.createEngine({
      store,
      actor: this.author,
      stepTimeoutMs: t,
      providers: (state, o) => providersFor({ ...state, settings: { ...state.settings, caddy: { ...state.settings.caddy, timeoutMs: t } } }, o),
    });
  }

  /** The engine; in remote mode the part of it the API offers (the server runs it). */
  engine(): Promise<Engine> {
    const remote = this.remote;
    if (remote) this.engineP ??= import("./remote-store.js").then((m) => m.remoteEngine(remote));
    this.engineP ??= this.store().then((s) => this.engineOn(s));
    return this.engineP;
  }

  /** Yes on --yes; a question on a TTY; refusal without one (never hang in CI). */
  async confirm(question: string, opts: { yes?: boolean; refusal: string }): Promise<boolean> {
    if (opts.yes) return true;
    if (!this.io.isTTY) throw new HecateError("confirmation-required", opts.refusal);
    return askYesNo(this.io, question);
  }

  async close(): Promise<void> {
    const store = await this.storeP?.catch(() => undefined);
    await store?.close();
  }
}

export function notBuilt(what: string): HecateError {
  return new HecateError("not-built", `${what} is not built yet`);
}

async function importPart<T>(load: () => Promise<T>, what: string): Promise<T> {
  try {
    return await load();
  } catch (e) {
    const dep = dependencyError(e);
    if (dep) throw dep;
    // One of Hecate's own files that does not exist (yet): say so instead of crashing.
    if ((e as { code?: string }).code === "ERR_MODULE_NOT_FOUND") {
      throw new HecateError("not-built", `the ${what} is not built yet (${(e as Error).message.split("\n")[0]})`);
    }
    throw e;
  }
}

/**
 * An npm package that is not installed, or a native addon (better-sqlite3) that does not load
 * (built for another Node.js, never built): what failed, the error, and the command that fixes it.
 */
export function dependencyError(e: unknown): HecateError | undefined {
  type Err = Error & { code?: string; cause?: unknown };
  const chain: Err[] = [];
  for (let cur = e as Err | undefined; cur && typeof cur === "object" && chain.length < 5; cur = cur.cause as Err | undefined) chain.push(cur);
  // The innermost error is the addon's own; outer ones (the store's "cannot open") only wrap it.
  for (const cur of chain.reverse()) {
    const message = String(cur.message ?? "");
    const first = message.split("\n")[0]!;
    const pkg = /Cannot find package '([^']+)'/.exec(message)?.[1];
    if (cur.code === "ERR_MODULE_NOT_FOUND" && pkg) {
      return new HecateError("dependency-missing", `the npm package ${pkg} is not installed (${first}); install the dependencies with \`npm ci\``, { status: 500 });
    }
    if (cur.code === "ERR_DLOPEN_FAILED" || /Could not locate the bindings file|NODE_MODULE_VERSION|invalid ELF header/.test(message)) {
      const name = /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)[\\/]/.exec(message)?.[1]?.replace(/\\/g, "/");
      const detail = message.replace(/\s*\n\s*/g, " ").trim().replace(/\.$/, "");
      return new HecateError(
        "native-module",
        `the native module ${name ?? "of a dependency"} failed to load: ${detail}; rebuild it for this Node.js (${process.version}) with \`npm rebuild${name ? ` ${name}` : ""}\`, or reinstall with \`npm ci\``,
        { status: 500 },
      );
    }
  }
  return undefined;
}

/** The login name when $USER is not set (services, containers); never fails. */
function osUser(): string {
  try {
    return userInfo().username || "unknown";
  } catch {
    return "unknown";
  }
}

/** yaml's stringify, loaded on first use: most commands never print YAML, and start-up counts (docs/benchmarks.md). */
function stringifyYaml(value: unknown): string {
  return (createRequire(import.meta.url)("yaml") as typeof import("yaml")).stringify(value);
}
