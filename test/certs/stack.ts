// What every certificate test starts: the Hetzner sandbox (its nameserver answers for the zone),
// pebble resolving names there, an upstream, and a real Caddy (local CA without installing trust)
// on free loopback ports.
import { startHetznerSandbox, type HetznerSandbox, type HetznerSandboxOptions } from "../../src/sandbox/hetzner/index.js";
import { startCaddy, type Caddy } from "../caddy-provider/caddy.js";
import { startPebble, type Pebble } from "../helpers/pebble.js";
import { freePorts } from "../helpers/proc.js";
import { startUpstream, type Upstream } from "../helpers/servers.js";

export interface CertStack {
  hz: HetznerSandbox;
  pebble: Pebble;
  up: Upstream;
  caddy: Caddy;
  httpsPort: number;
  httpPort: number;
  /** Stop the Hetzner sandbox now (its API and nameserver unreachable); stop() then leaves it. */
  closeHetzner(): Promise<void>;
  stop(): Promise<void>;
}

export async function startCertStack(o: {
  token: string;
  zones: HetznerSandboxOptions["zones"];
  /** The upstream's name (its answers carry it). */
  backend: string;
  /** Where pebble's VA connects for http-01 and tls-alpn-01, given Caddy's ports (default: ports where nothing listens). */
  validation?: (ports: { httpsPort: number; httpPort: number }) => { httpPort?: number; tlsPort?: number };
}): Promise<CertStack> {
  const hz = await startHetznerSandbox({ token: o.token, actionDelayMs: 5, zones: o.zones });
  const [httpsPort, httpPort] = (await freePorts(2)) as [number, number];
  const pebble = await startPebble({ dnsServer: `${hz.dns.host}:${hz.dns.port}`, ...(o.validation?.({ httpsPort, httpPort }) ?? {}) });
  const up = await startUpstream(o.backend);
  const caddy = await startCaddy({ config: { apps: { pki: { certificate_authorities: { local: { install_trust: false } } } } } });
  let hzOpen = true;
  const closeHetzner = async () => {
    if (!hzOpen) return;
    hzOpen = false;
    await hz.close();
  };
  return {
    hz,
    pebble,
    up,
    caddy,
    httpsPort,
    httpPort,
    closeHetzner,
    stop: async () => {
      await caddy.stop();
      await pebble.stop();
      await closeHetzner();
      await up.close();
    },
  };
}
