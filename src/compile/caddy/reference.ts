// The naive per-site layout authentik's docs lead to (their Caddyfile snippet, adapted): one
// route per host, each with its own outpost route, full forward_auth and proxy. Benchmark
// baseline only — Hecate never deploys it.
import { forwardAuthOf, type ResolvedState } from "../../model/resolved.js";
import { forwardAuth, OUTPOST_PATH, outpostProxy } from "./auth.js";
import { reverseProxy } from "./proxy.js";
import { DEFAULT_CADDY_VERSION, type CaddyOwned, type CaddyRoute, type CaddyServer } from "./types.js";
import { canonical } from "./util.js";

export function compilePerSiteReference(state: ResolvedState): CaddyOwned {
  const s = state.settings.caddy;
  const version = s.version ?? DEFAULT_CADDY_VERSION;
  const servers: Record<string, CaddyServer> = {};
  const serverFor = (off: boolean): CaddyServer => {
    const name = off ? `${s.server}-http` : s.server;
    const listen = off ? [...new Set(s.listen.map((a) => `${a.slice(0, a.lastIndexOf(":"))}:${s.httpPort}`))] : [...s.listen];
    return (servers[name] ??= { listen, routes: [], automatic_https: off ? { disable: true } : { disable_redirects: true } });
  };
  for (const r of state.routes) {
    const srv = serverFor(r.tls.mode === "off");
    if (!r.pool) continue; // served by verbatim caddyRoutes only: not part of this baseline
    for (const host of r.hosts) {
      const inner: CaddyRoute[] = [];
      const auth = forwardAuthOf(r);
      if (auth) {
        inner.push({ match: [{ path: [OUTPOST_PATH] }], handle: [outpostProxy(auth.outpost)] });
        inner.push({ handle: [forwardAuth(auth.outpost, state.settings.trustedProxies)] });
      }
      inner.push({ handle: [reverseProxy(r.pool, { version, websockets: r.websockets, diag: () => {} })] });
      srv.routes.push({ match: [{ host: [host] }], handle: [{ handler: "subroute", routes: inner }], terminal: true });
    }
  }
  return canonical({ apps: { http: { servers } } });
}
