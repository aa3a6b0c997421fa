// Real Caddy + real nginx for engine tests: started on free loopback ports in temp dirs, with the
// Settings resource that points Hecate at them.
import { join } from "node:path";
import type { Resource } from "../../src/model/schema.js";
import { initNginxPrefix, startNginx, type RunningNginx } from "../../src/providers/nginx/index.js";
import { startCaddy, type Caddy, type StartCaddyOptions } from "../caddy-provider/caddy.js";
import { freePort, tempDir } from "../helpers/proc.js";

export interface RealSystems {
  caddy: Caddy;
  nginx: RunningNginx;
  httpPort: number;
  settings: Resource;
  stop(): Promise<void>;
}

export async function startRealSystems(opts: { caddy?: StartCaddyOptions } = {}): Promise<RealSystems> {
  const dir = tempDir("hecate-engine-nginx-");
  const caddy = await startCaddy(opts.caddy);
  let nginx: RunningNginx | undefined;
  try {
    const files = initNginxPrefix(join(dir.path, "nginx"));
    nginx = await startNginx(files.prefix);
    const httpPort = await freePort();
    const httpsPort = await freePort();
    const settings = {
      apiVersion: "hecate.io/v1",
      kind: "Settings",
      metadata: { name: "settings" },
      spec: {
        caddy: { admin: [caddy.admin], listen: [`127.0.0.1:${httpsPort}`], httpPort, httpsPort },
        nginx: { binary: "nginx", prefix: files.prefix, config: files.config, streamFile: files.streamFile },
      },
    } as Resource;
    const n = nginx;
    return {
      caddy,
      nginx: n,
      httpPort,
      settings,
      stop: async () => {
        await n.stop();
        await caddy.stop();
        dir.cleanup();
      },
    };
  } catch (e) {
    await nginx?.stop();
    await caddy.stop();
    dir.cleanup();
    throw e;
  }
}
