// Real Caddy + real nginx for engine tests: started on free loopback ports in temp dirs, with the
// Settings resource that points Hecate at them.
import { join } from "node:path";
import type { Resource } from "../../src/model/schema.js";
import { initNginxPrefix, startNginx, type RunningNginx } from "../../src/providers/nginx/index.js";
import { startCaddy, type Caddy, type StartCaddyOptions } from "../caddy-provider/caddy.js";
import { freePorts, tempDir } from "../helpers/proc.js";

export interface RealSystems {
  caddy: Caddy;
  nginx: RunningNginx;
  httpPort: number;
  settings: Resource;
  stop(): Promise<void>;
}

export interface RealSetupHooks {
  /** Test seam: runs after each start step with what is started so far, so a test can make that step fail. */
  afterStep?: (step: "dir" | "caddy" | "nginx" | "ports", started: { dir: string; caddyPid?: number; nginxPid?: number }) => void | Promise<void>;
}

/** Start both; on any failure everything started so far is stopped and the temp dir removed. */
export async function startRealSystems(hooks: RealSetupHooks & { caddy?: StartCaddyOptions } = {}): Promise<RealSystems> {
  const dir = tempDir("hecate-engine-nginx-");
  let caddy: Caddy | undefined;
  let nginx: RunningNginx | undefined;
  try {
    const started = () => ({ dir: dir.path, caddyPid: caddy?.pid, nginxPid: nginx?.pid });
    await hooks.afterStep?.("dir", started());
    caddy = await startCaddy(hooks.caddy);
    await hooks.afterStep?.("caddy", started());
    const files = initNginxPrefix(join(dir.path, "nginx"));
    nginx = await startNginx(files.prefix);
    await hooks.afterStep?.("nginx", started());
    const [httpPort, httpsPort] = (await freePorts(2)) as [number, number];
    await hooks.afterStep?.("ports", started());
    const settings = {
      apiVersion: "hecate.io/v1",
      kind: "Settings",
      metadata: { name: "settings" },
      spec: {
        caddy: { admin: [caddy.admin], listen: [`127.0.0.1:${httpsPort}`], httpPort, httpsPort },
        nginx: { binary: "nginx", prefix: files.prefix, config: files.config, streamFile: files.streamFile },
      },
    } as Resource;
    const [c, n] = [caddy, nginx];
    return {
      caddy: c,
      nginx: n,
      httpPort,
      settings,
      stop: async () => {
        try {
          await n.stop();
        } finally {
          try {
            await c.stop();
          } finally {
            dir.cleanup();
          }
        }
      },
    };
  } catch (e) {
    await nginx?.stop().catch(() => undefined);
    await caddy?.stop().catch(() => undefined);
    dir.cleanup();
    throw e;
  }
}
