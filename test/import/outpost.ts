// A stand-in for authentik's outpost endpoint, for the import tests' forward auth.
import { createServer, type Server } from "node:http";
import { freePort } from "../helpers/proc.js";

/** authentik's outpost as Caddy meets it: 302 to a login page without a session, 200 + identity with one. */
export async function startOutpost(): Promise<{ address: string; close: () => Promise<void> }> {
  const port = await freePort();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (path === "/outpost.goauthentik.io/auth/caddy") {
      if ((req.headers.cookie ?? "").includes("session=alice")) return void res.writeHead(200, { "X-Authentik-Username": "alice", "X-Authentik-Groups": "staff" }).end();
      return void res.writeHead(302, { Location: `http://auth.test/login?rd=${encodeURIComponent(`http://${req.headers["x-forwarded-host"]}${req.headers["x-forwarded-uri"]}`)}` }).end();
    }
    res.writeHead(200, { "content-type": "text/plain" }).end(`outpost ${req.url}`);
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return { address: `127.0.0.1:${port}`, close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))) };
}

