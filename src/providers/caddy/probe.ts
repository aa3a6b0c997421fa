// Post-apply HTTP probes: one request through the proxy per changed plain-HTTP route, proving the
// route answers and its upstream is reachable (a 502/504 or no answer fails the apply).
import { request } from "node:http";
import type { Diagnostic } from "../../diag.js";
import type { ResolvedState } from "../../model/resolved.js";
import type { Change } from "../provider.js";

/** One GET through the proxy on loopback with the given Host; resolves status and body. */
export function proxyGet(port: number, host: string, path = "/", timeoutMs = 5000): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: "GET", headers: { host }, timeout: timeoutMs, agent: false }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/** Probes the plain-HTTP routes these (Caddy) changes created or updated. */
export async function probeRoutes(state: ResolvedState, changes: readonly Change[], timeoutMs: number): Promise<Diagnostic[]> {
  const changed = new Set(changes.filter((c) => c.action !== "delete" && c.resource?.startsWith("Route/")).map((c) => c.resource!.slice(6)));
  const diags: Diagnostic[] = [];
  const port = state.settings.caddy.httpPort;
  await Promise.all(
    state.routes
      .filter((r) => changed.has(r.name) && r.tls.mode === "off" && !r.maintenance)
      .map(async (r) => {
        const host = r.hosts.find((h) => !h.startsWith("*.")) ?? r.hosts[0]!.replace(/^\*\./, "probe.");
        const path = r.paths[0] ?? "/";
        try {
          const { status } = await proxyGet(port, host, path, Math.min(timeoutMs, 10_000));
          if (status === 502 || status === 504) {
            diags.push({ severity: "error", code: "probe", address: `Route/${r.name}`, message: `probe of http://${host}${path} answered ${status}: the upstream is not reachable` });
          }
        } catch (e) {
          diags.push({ severity: "error", code: "probe", address: `Route/${r.name}`, message: `probe of http://${host}${path} failed: ${(e as Error).message}` });
        }
      }),
  );
  return diags;
}
