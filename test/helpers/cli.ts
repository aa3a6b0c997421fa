// The real CLI as a child process, asynchronously (a server in the test's own process keeps
// answering meanwhile), on a store of its own.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";

/** The environment of a CLI with its own store, a fresh secret key and XDG dirs under `dir`, run from the sources. */
export function cliEnv(dir: string, key = randomBytes(32)): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HECATE_STORE: `${dir}/hecate.db`,
    HECATE_SECRET_KEY: key.toString("base64"),
    XDG_CONFIG_HOME: `${dir}/config`,
    XDG_STATE_HOME: `${dir}/state`,
    USER: "ops",
    HECATE_FROM_SOURCE: "1",
  };
}

const exec = promisify(execFile);

/** Run `node BIN ARGS` (bin/hecate.js unless told) and collect its exit code and output. */
export async function runCli(env: NodeJS.ProcessEnv, args: string[], bin = "bin/hecate.js"): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec("node", [bin, ...args], { env, encoding: "utf8" });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}
