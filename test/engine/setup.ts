// Shared setup for engine tests: a real SQLite store in a temp dir, resources, and an engine wired
// to the file-backed test-double providers.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEngine, type Engine } from "../../src/engine/index.js";
import type { Resource } from "../../src/model/schema.js";
import { openSqliteStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/store.js";
import { tempDir } from "../helpers/proc.js";
import { createFileProvider, type FileProvider } from "./file-provider.js";

export const KEY = randomBytes(32);

export function route(name: string, upstream: string, extra: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): Resource {
  return {
    apiVersion: "hecate.io/v1",
    kind: "Route",
    metadata: { name, ...meta },
    spec: { hosts: [`${name}.example.com`], upstreams: [{ address: upstream }], public: true, tls: { mode: "off" }, ...extra },
  } as Resource;
}

export function stream(name: string, port: number, upstream: string): Resource {
  return { apiVersion: "hecate.io/v1", kind: "Stream", metadata: { name }, spec: { listen: port, upstreams: [{ address: upstream }] } } as Resource;
}

export interface Rig {
  dir: string;
  storePath: string;
  store: Store;
  caddy: FileProvider;
  nginx: FileProvider;
  engine: Engine;
  /** Another engine (another "process" in spirit) on the same store and providers. */
  other(actor?: string, opts?: { stepTimeoutMs?: number; lease?: { ttlMs?: number; renewEveryMs?: number } }): Engine;
  cleanup(): Promise<void>;
}

export async function rig(opts: { stepTimeoutMs?: number } = {}): Promise<Rig> {
  const tmp = tempDir("hecate-engine-");
  const storePath = join(tmp.path, "store.db");
  const store = await openSqliteStore({ path: storePath, secretKey: KEY });
  const caddy = createFileProvider("caddy", join(tmp.path, "caddy.json"));
  const nginx = createFileProvider("nginx", join(tmp.path, "nginx.json"));
  const make = (actor: string, o: { stepTimeoutMs?: number; lease?: { ttlMs?: number; renewEveryMs?: number } } = {}) =>
    createEngine({ store, actor, providers: () => [caddy, nginx], secrets: { resolve: async () => "" }, ...opts, ...o });
  return {
    dir: tmp.path,
    storePath,
    store,
    caddy,
    nginx,
    engine: make("alice"),
    other: (actor = "bob", o) => make(actor, o),
    cleanup: async () => {
      await store.close();
      tmp.cleanup();
    },
  };
}

/**
 * Run a child apply script (argv: its arguments) until it prints "AT <killAt>", then SIGKILL it
 * and wait until it is gone. Rejects if it never gets there.
 */
export async function runUntilKilled(script: URL, args: string[], killAt: string, timeoutMs = 30_000): Promise<void> {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(script), ...args], {
    env: { ...process.env, HECATE_TEST_KEY: KEY.toString("hex") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`child never reached ${killAt}: ${out}`)), timeoutMs);
      child.stdout.on("data", (b: Buffer) => ((out += b.toString()), out.includes(`AT ${killAt}`) && (clearTimeout(t), resolve())));
      child.stderr.on("data", (b: Buffer) => (out += b.toString()));
      child.once("exit", () => reject(new Error(`child exited early: ${out}`)));
    });
  } finally {
    child.kill("SIGKILL");
    await exited;
  }
}
