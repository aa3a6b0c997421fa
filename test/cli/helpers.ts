// Runs the CLI in-process against a throwaway store, capturing what a user would see.
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { mkdirSync, writeFileSync } from "node:fs";
import { freePorts, tempDir } from "../helpers/proc.js";
import { run } from "../../src/cli/run.js";
import { runEos } from "../../src/cli/eos.js";

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Sandbox {
  dir: string;
  store: string;
  env: Record<string, string | undefined>;
  hecate(args: string[], opts?: { stdin?: string; isTTY?: boolean; env?: Record<string, string | undefined> }): Promise<Result>;
  eos(args: string[], opts?: { stdin?: string }): Promise<Result>;
  cleanup(): void;
}

/** A temp dir with its own store, secret key and XDG dirs (set in process.env: the store reads them). */
export function sandbox(): Sandbox {
  const t = tempDir("hecate-cli-");
  process.env.HECATE_SECRET_KEY = randomBytes(32).toString("base64");
  process.env.XDG_CONFIG_HOME = `${t.path}/config`;
  process.env.XDG_STATE_HOME = `${t.path}/state`;
  delete process.env.HECATE_STORE;
  delete process.env.HECATE_STORE_URL;
  const store = `${t.path}/hecate.db`;
  const env = { ...process.env, USER: "alice", HECATE_STORE: store, NO_COLOR: undefined };
  const io = (opts: { stdin?: string; isTTY?: boolean; env?: Record<string, string | undefined> } = {}) => {
    let stdout = "", stderr = "";
    return {
      io: {
        stdout: { write: (s: string) => (stdout += s) },
        stderr: { write: (s: string) => (stderr += s) },
        stdin: Readable.from(opts.stdin === undefined ? [] : [Buffer.from(opts.stdin)]),
        isTTY: opts.isTTY ?? false,
        env: { ...env, ...opts.env },
      },
      out: () => ({ stdout, stderr }),
    };
  };
  return {
    dir: t.path,
    store,
    env,
    async hecate(args, opts) {
      const x = io(opts);
      const code = await run(args, x.io);
      return { code, ...x.out() };
    },
    async eos(args, opts) {
      const x = io(opts);
      const code = await runEos(args, x.io);
      return { code, ...x.out() };
    },
    cleanup: t.cleanup,
  };
}

/** A Settings document pointing Hecate at one Caddy admin endpoint on free loopback ports. */
export function caddySettingsYaml(admin: string, ports: { httpPort: number; httpsPort: number }, extra = ""): string {
  return `apiVersion: hecate.io/v1
kind: Settings
metadata:
  name: settings
spec:
  caddy:
    admin: ["${admin}"]
    listen: ["127.0.0.1:${ports.httpsPort}"]
    httpPort: ${ports.httpPort}
    httpsPort: ${ports.httpsPort}
${extra}`;
}

/** A desired-state directory `dir` holding Settings that point Hecate at one Caddy; returns its HTTP port. */
export async function caddyConf(dir: string, admin: string): Promise<number> {
  const [httpPort, httpsPort] = (await freePorts(2)) as [number, number];
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/settings.yaml`, caddySettingsYaml(admin, { httpPort, httpsPort }));
  return httpPort;
}

/** A public plain-HTTP route `name` serving `name`.test from `upstream`. */
export function publicRoute(name: string, upstream: string): string {
  return `apiVersion: hecate.io/v1
kind: Route
metadata:
  name: ${name}
spec:
  hosts: [${name}.test]
  upstreams:
    - address: ${upstream}
  public: true
  tls:
    mode: "off"
`;
}
