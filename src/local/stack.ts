// The local stack: a private Caddy and nginx on loopback, the authentik and Hetzner sandboxes,
// demo backends, the embedded store, and a starter desired state applied through the engine,
// then proven with real traffic (a public route, a protected one, a stream, a DNS answer).
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createSocket } from "node:dgram";
import { request } from "node:https";
import { connect, createServer } from "node:net";
import { userInfo } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { HecateError } from "../diag.js";
import { createEngine, renderPlan } from "../engine/index.js";
import { proxyGet } from "../providers/caddy/probe.js";
import { startCaddy, type RunningCaddy } from "../providers/caddy/run.js";
import { initNginxPrefix, startNginx, type RunningNginx } from "../providers/nginx/run.js";
import { canonicalJson } from "../model/canonical-json.js";
import { openStore } from "../store/index.js";
import type { Store } from "../store/store.js";
import { startHttpDemo, startTcpEcho, type DemoServer } from "./demo.js";

export interface LocalPorts {
  http: number; // Caddy's plain-HTTP listener (HTTPS on http + 363)
  caddyAdmin: number; // Caddy's admin API, loopback TCP
  stream: number; // nginx TCP stream listener
  demoA: number;
  demoB: number;
  whoami: number; // the demo app that echoes request headers (behind the protected route)
  echo: number;
  authentik: number; // the authentik sandbox: API, outpost and login page
  hetzner: number; // the Hetzner DNS API sandbox
  dns: number; // the Hetzner sandbox's nameserver (UDP and TCP)
  api: number; // the Hecate server (REST API)
}

export const DEFAULT_PORTS: LocalPorts = { http: 8080, caddyAdmin: 19019, stream: 9000, demoA: 18081, demoB: 18082, whoami: 18083, echo: 19001, authentik: 19000, hetzner: 19002, dns: 19053, api: 7380 };

/** What each port is for, as a message names it. */
export const PORT_ROLES: Record<keyof LocalPorts, string> = {
  http: "Caddy HTTP",
  caddyAdmin: "Caddy admin API",
  stream: "nginx TCP stream",
  demoA: "demo app demo-a",
  demoB: "demo app demo-b",
  whoami: "demo app whoami",
  echo: "TCP echo backend",
  authentik: "authentik sandbox",
  hetzner: "Hetzner DNS API sandbox",
  dns: "sandbox nameserver",
  api: "Hecate API server",
};

/**
 * The demo zone: the Hetzner sandbox holds it, the starter's DNS records live in it. A name
 * reserved for examples (RFC 2606) under a public suffix, as Hetzner requires of a zone.
 */
export const DEMO_ZONE = "example.com";

export interface LocalStack {
  dir: string;
  storePath: string;
  desiredDir: string;
  ports: LocalPorts;
  /** The demo user of the authentik sandbox (group staff), for the protected route. */
  login: { username: string; password: string };
  /** Caddy's admin endpoint (loopback TCP). */
  caddyAdmin: string;
  /** The Hecate server's URL, and the file holding an admin token for it (0600). */
  api: { url: string; tokenFile: string };
  /** The processes the stack started, by pid (Caddy, nginx), so a later run can find leftovers. */
  children: { name: string; pid: number }[];
  stop: () => Promise<void>;
}

/** Editors validate the generated files against the schema shipped with this checkout. */
const SCHEMA = fileURLToPath(new URL("../../schema/hecate.schema.json", import.meta.url));
const HEADER = `# yaml-language-server: $schema=${SCHEMA}\n`;

/** Settings depend on where the stack runs, so they are rewritten every start. */
function settingsYaml(caddyAdmin: string, nginxPrefix: string, ports: LocalPorts, authentik: { url: string; tokenFile: string }, hetzner: { url?: string; tokenFile: string; nameserver?: string }, accessLog?: string): string {
  return `${HEADER}apiVersion: hecate.io/v1
kind: Settings
metadata:
  name: local
spec:
  caddy:
    admin: ["${caddyAdmin}"]
    server: hecate
    listen: ["127.0.0.1:${ports.http + 363}"]
    httpPort: ${ports.http}
    httpsPort: ${ports.http + 363}
${accessLog ? `    accessLog: ${accessLog}\n` : ""}  nginx:
    prefix: ${nginxPrefix}
  authentik:
    url: ${authentik.url}
    token: file:${authentik.tokenFile}
    outpost: ${new URL(authentik.url).host}
  hetzner:
${hetzner.url ? `    endpoint: ${hetzner.url}\n` : ""}    token: file:${hetzner.tokenFile}
${hetzner.nameserver ? `  dns:\n    nameservers: ["${hetzner.nameserver}"]\n` : ""}`;
}

/** The starter state: written once; edit it and run `hecate apply` to change the stack. */
function starterYaml(ports: LocalPorts, zone: string): string {
  return `${HEADER}apiVersion: hecate.io/v1
kind: Upstream
metadata:
  name: demo
spec:
  upstreams:
    - address: 127.0.0.1:${ports.demoA}
      weight: 3
    - address: 127.0.0.1:${ports.demoB}
      weight: 1
  healthCheck:
    active:
      path: /health
      interval: 5s
---
apiVersion: hecate.io/v1
kind: Route
metadata:
  name: app
  labels:
    env: local
spec:
  hosts: [app.localhost]
  upstream: demo
  public: true
  tls:
    mode: "off"
  headers:
    request:
      set:
        X-Hecate-Route: app
    response:
      remove: [Server]
---
apiVersion: hecate.io/v1
kind: Route
metadata:
  name: secure
spec:
  hosts: [secure.localhost]
  upstream: demo
  public: true
  tls:
    mode: internal
---
apiVersion: hecate.io/v1
kind: AuthPolicy
metadata:
  name: staff
spec:
  groups: [staff]
---
apiVersion: hecate.io/v1
kind: Route
metadata:
  name: admin
spec:
  hosts: [admin.localhost]
  upstreams:
    - address: 127.0.0.1:${ports.whoami}
  authPolicy: staff
  tls:
    mode: "off"
---
apiVersion: hecate.io/v1
kind: Stream
metadata:
  name: echo
spec:
  protocol: tcp
  listen: 127.0.0.1:${ports.stream}
  upstreams:
    - address: 127.0.0.1:${ports.echo}
---
apiVersion: hecate.io/v1
kind: DnsRecord
metadata:
  name: app-dns
spec:
  name: app.${zone}
  type: A
  values: [127.0.0.1]
  ttl: 300
---
apiVersion: hecate.io/v1
kind: DnsRecord
metadata:
  name: www-dns
spec:
  name: www.${zone}
  type: CNAME
  values: [app.${zone}.]
`;
}

/**
 * GET https://HOST:PORT/ on loopback trusting only `caFile`; retried until `ms` (Caddy gets the
 * certificate from its CA in the background after a load).
 */
async function httpsWithCa(port: number, host: string, caFile: string, ms: number): Promise<{ status: number }> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const ca = readFileSync(caFile);
      return await new Promise((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, servername: host, headers: { host: `${host}:${port}` }, ca, timeout: 5000 }, (res) => {
          res.resume();
          res.on("end", () => (res.statusCode === 200 ? resolve({ status: 200 }) : reject(new Error(`answered ${res.statusCode}`))));
        });
        req.on("timeout", () => req.destroy(new Error("no answer in 5 s")));
        req.on("error", reject);
        req.end();
      });
    } catch (e) {
      if (Date.now() > deadline) throw new HecateError("local-probe", `GET https://${host}:${port}/ with Caddy's local CA failed: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Every port the stack will listen on that something else holds, named with its role. */
export async function busyPorts(ports: LocalPorts): Promise<string[]> {
  const tcpFree = (port: number) =>
    new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once("error", () => resolve(false));
      srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
    });
  const udpFree = (port: number) =>
    new Promise<boolean>((resolve) => {
      const sock = createSocket("udp4");
      sock.once("error", () => resolve(false));
      sock.bind(port, "127.0.0.1", () => sock.close(() => resolve(true)));
    });
  const all: [string, number][] = [...(Object.keys(ports) as (keyof LocalPorts)[]).map((k) => [k, ports[k]] as [string, number]), ["https", ports.http + 363]];
  const busy: string[] = [];
  for (const [key, port] of all) {
    const role = key === "https" ? "Caddy HTTPS (the HTTP port + 363)" : PORT_ROLES[key as keyof LocalPorts];
    if (!(await tcpFree(port)) || (key === "dns" && !(await udpFree(port)))) busy.push(`${port} (${role}${key === "https" ? "" : `; --port ${key}=N`})`);
  }
  return busy;
}

/** Send `text` to 127.0.0.1:port and read as many bytes back (the stream probe). */
export function tcpEcho(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port }, () => s.write(text));
    let got = "";
    s.setTimeout(5000, () => s.destroy(new Error("timeout")));
    s.on("data", (b) => {
      got += b.toString();
      if (got.length >= text.length) {
        s.end();
        resolve(got);
      }
    });
    s.on("error", reject);
  });
}

/**
 * Real systems in place of the stack's own: each one replaces one stand-in (its sandbox or its
 * Caddy), the rest of the stack stays as it is.
 */
export interface ExternalSystems {
  /** A real authentik: its URL and a file holding an API token (the embedded outpost serves on that URL). */
  authentik?: { url: string; tokenFile: string };
  /** A real Hetzner DNS account: a file holding its API token, the zone the starter's records go in. */
  hetzner?: { tokenFile: string; zone: string; endpoint?: string };
  /** A Caddy already running on this machine: its admin endpoint (loopback TCP or unix socket). */
  caddyAdmin?: string;
}

export async function upLocalStack(opts: { dir: string; ports?: Partial<LocalPorts>; log?: (line: string) => void; color?: boolean; external?: ExternalSystems }): Promise<LocalStack> {
  const external = opts.external ?? {};
  const log = opts.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const ports = { ...DEFAULT_PORTS, ...opts.ports };
  const dir = opts.dir;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const desiredDir = join(dir, "desired");
  mkdirSync(desiredDir, { recursive: true });
  const storePath = join(dir, "hecate.db");

  const started: { stop: () => Promise<void> }[] = [];
  let store: Store | undefined;
  const stop = async () => {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
    started.length = 0;
    await store?.close().catch(() => undefined);
  };
  try {
    const busy = await busyPorts(ports);
    if (busy.length) {
      throw new HecateError("port-busy", `port${busy.length > 1 ? "s" : ""} in use on 127.0.0.1: ${busy.join(", ")}. Stop what holds ${busy.length > 1 ? "them" : "it"} (\`ss -ltnup\` shows who), or move the stack: hecate up --port NAME=PORT`);
    }
    const demos: DemoServer[] = [
      await startHttpDemo("demo-a", ports.demoA),
      await startHttpDemo("demo-b", ports.demoB),
      await startHttpDemo("whoami", ports.whoami, { echoHeaders: true }),
      await startTcpEcho("echo", ports.echo),
    ];
    for (const d of demos) started.push({ stop: d.close });
    log(`backends: ${demos.map((d) => `${d.name} ${d.address}`).join(", ")}`);

    // authentik: the sandbox (in memory, so every start is a fresh authentik that the apply fills again).
    const secret = (file: string, make: () => string) => {
      const path = join(dir, file);
      if (!existsSync(path)) writeFileSync(path, make() + "\n", { mode: 0o600 });
      return { path, value: readFileSync(path, "utf8").trim() };
    };
    const password = secret("demo-password", () => randomBytes(9).toString("base64url")).value;
    const login = { username: "demo", password };
    let authentik: { url: string; tokenFile: string };
    if (external.authentik) {
      authentik = external.authentik;
      log(`authentik: yours at ${authentik.url} (no sandbox started; sign in with your own users)`);
    } else {
      const token = secret("authentik.token", () => randomBytes(24).toString("base64url"));
      const { startAuthentikSandbox } = await import("../sandbox/authentik/index.js");
      const ak = await startAuthentikSandbox({
        token: token.value,
        port: ports.authentik,
        seed: { groups: [{ name: "staff", parents: [], is_superuser: false }], users: [{ ...login, groups: ["staff"] }] },
      }).catch((e: Error) => {
        throw new HecateError("port-busy", `authentik sandbox: cannot listen on 127.0.0.1:${ports.authentik}: ${e.message}`);
      });
      started.push({ stop: () => ak.close() });
      authentik = { url: ak.url, tokenFile: token.path };
      log(`authentik: sandbox ${ak.url} (demo user ${login.username})`);
    }

    let hetzner: { url?: string; tokenFile: string; nameserver?: string };
    const zone = external.hetzner?.zone ?? DEMO_ZONE;
    if (external.hetzner) {
      hetzner = { tokenFile: external.hetzner.tokenFile, ...(external.hetzner.endpoint ? { url: external.hetzner.endpoint } : {}) };
      log(`hetzner: your account${external.hetzner.endpoint ? ` at ${external.hetzner.endpoint}` : ""} (no sandbox started; zone ${zone})`);
    } else {
      const hetznerToken = secret("hetzner.token", () => randomBytes(24).toString("base64url"));
      const { startHetznerSandbox } = await import("../sandbox/hetzner/index.js");
      const hz = await startHetznerSandbox({ token: hetznerToken.value, port: ports.hetzner, dnsPort: ports.dns, zones: [{ name: DEMO_ZONE }] }).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== "EADDRINUSE") throw e;
        throw new HecateError("port-busy", `Hetzner sandbox: cannot listen on 127.0.0.1:${ports.hetzner} (API) or ${ports.dns} (DNS): ${e.message}`);
      });
      started.push({ stop: () => hz.close() });
      hetzner = { url: hz.url, tokenFile: hetznerToken.path, nameserver: `127.0.0.1:${ports.dns}` };
      log(`hetzner: sandbox API ${hz.url}, nameserver 127.0.0.1:${ports.dns} (zone ${DEMO_ZONE})`);
    }

    let caddy: Pick<RunningCaddy, "admin"> & { pid?: number };
    if (external.caddyAdmin) {
      caddy = { admin: external.caddyAdmin };
      log(`caddy: yours, admin ${external.caddyAdmin} (not started here)`);
    } else {
      const running: RunningCaddy = await startCaddy(join(dir, "caddy"), { adminListen: `127.0.0.1:${ports.caddyAdmin}` });
      started.push(running);
      caddy = running;
      log(`caddy: pid ${running.pid}, admin ${running.admin}`);
    }
    const nginxPrefix = join(dir, "nginx");
    if (!existsSync(join(nginxPrefix, "conf", "nginx.conf")) && !existsSync(join(nginxPrefix, "nginx.conf"))) initNginxPrefix(nginxPrefix);
    const nginx: RunningNginx = await startNginx(nginxPrefix);
    started.push(nginx);
    log(`nginx: pid ${nginx.pid}, prefix ${nginxPrefix}`);

    writeFileSync(join(desiredDir, "settings.yaml"), settingsYaml(caddy.admin, nginxPrefix, ports, authentik, hetzner, external.caddyAdmin ? undefined : resolve(dir, "caddy", "access.log")));
    const starter = join(desiredDir, "stack.yaml");
    if (!existsSync(starter)) writeFileSync(starter, starterYaml(ports, zone));

    store = await openStore({ path: storePath });
    const engine = createEngine({ store, actor: process.env.USER || userInfo().username || "local" });
    // The first start records the desired files; after that the store is the one source of truth
    // (routes made with the CLI stay), and only Settings (where this start's processes run) are refreshed.
    const head = await store.head();
    let revision;
    if (!head) {
      revision = (await engine.commitFromSource({ type: "dir", paths: [desiredDir] }, { message: "local stack: first start" })).revision;
    } else {
      const settings = (await engine.load({ type: "dir", paths: [join(desiredDir, "settings.yaml")] })).resources.find((r) => r.kind === "Settings")!;
      const same = canonicalJson(head.resources.find((r) => r.kind === "Settings")) === canonicalJson(settings);
      revision = same ? head : (await engine.commit([...head.resources.filter((r) => r.kind !== "Settings"), settings], { message: "local stack: settings of this start" })).revision;
      log(`desired state: the store's head revision #${revision.seq} (the files in ${desiredDir} were recorded on the first start; apply them again with \`hecate apply ${desiredDir}\`)`);
    }
    const plan = await engine.plan({ revision: revision.hash });
    log(renderPlan(plan, { color: opts.color ?? false }).trimEnd());
    const result = await engine.apply(plan, { maxDeletes: 1000 });
    if (result.status !== "succeeded" && result.status !== "no-op") {
      throw new HecateError("local-apply", `apply ${result.status}: ${result.steps.map((s) => `${s.system} ${s.status}${s.error ? ` (${s.error})` : ""}`).join(", ")}`);
    }
    log(`apply: ${result.status} (revision ${revision.hash.slice(0, 12)})`);

    const http = await proxyGet(ports.http, "app.localhost");
    if (http.status !== 200) throw new HecateError("local-probe", `GET http://app.localhost:${ports.http}/ through Caddy answered ${http.status}: ${http.body.trim()}`);
    log(`probe http: GET app.localhost:${ports.http} -> ${http.status} ${http.body.trim()}`);
    const gate = await proxyGet(ports.http, `admin.localhost:${ports.http}`);
    if (gate.status !== 302 || !/outpost\.goauthentik\.io\/start/.test(String(gate.headers["location"] ?? ""))) {
      throw new HecateError("local-probe", `GET http://admin.localhost:${ports.http}/ through Caddy answered ${gate.status}, not authentik's sign-in redirect`);
    }
    log(`probe auth: GET admin.localhost:${ports.http} -> 302 to authentik's sign-in`);
    const echoed = await tcpEcho(ports.stream, "hello through nginx\n");
    if (echoed.trim() !== "hello through nginx") throw new HecateError("local-probe", `TCP echo through nginx on ${ports.stream} returned ${JSON.stringify(echoed)}`);
    log(`probe tcp: 127.0.0.1:${ports.stream} echoed ${JSON.stringify(echoed.trim())}`);

    // Internal TLS: Caddy's own CA signed secure.localhost; trusted here through that CA's root only.
    if (external.caddyAdmin) log("probe tls: skipped (your Caddy's local CA is not in this stack's directory)");
    else {
      const caRoot = join(dir, "caddy", "data", "caddy", "pki", "authorities", "local", "root.crt");
      const secure = await httpsWithCa(ports.http + 363, "secure.localhost", caRoot, 15_000);
      log(`probe tls: GET https://secure.localhost:${ports.http + 363} -> ${secure.status}, certificate from Caddy's local CA (${caRoot})`);
    }

    if (hetzner.nameserver) {
      const { query } = await import("../providers/dns/query.js");
      const answer = await query({ host: "127.0.0.1", port: ports.dns }, `app.${zone}`, "A");
      if (answer.values.join(",") !== "127.0.0.1") {
        throw new HecateError("local-probe", `the sandbox nameserver answered app.${zone} A with ${answer.rcode} ${answer.values.join(", ") || "(nothing)"}, not 127.0.0.1`);
      }
      log(`probe dns: app.${zone} A -> ${answer.values.join(", ")} (from the sandbox nameserver ${hetzner.nameserver})`);
    } else {
      log(`probe dns: skipped (your zone's nameservers answer once Hetzner has published it: \`hecate check dns app.${zone} --wait 2m\`)`);
    }

    // The Hecate server over the same store, its JSON log in a file; an admin token for the
    // demo, made once and kept while the store knows it.
    const { startServer, jsonLogger, parseListen } = await import("../server/serve.js");
    const { authenticate, createToken } = await import("../server/tokens.js");
    const tokenFile = join(dir, "api.token");
    const known = existsSync(tokenFile) && (await authenticate(store, readFileSync(tokenFile, "utf8").trim())).ok;
    if (!known) {
      const { token: apiToken } = await createToken(store, { name: `local-stack-${Date.now()}`, scope: "admin", createdBy: "hecate up" });
      writeFileSync(tokenFile, apiToken + "\n", { mode: 0o600 });
    }
    const apiLog = createWriteStream(join(dir, "api.log"), { flags: "a", mode: 0o600 });
    const server = await startServer({ store, listen: parseListen(`127.0.0.1:${ports.api}`), logger: jsonLogger((line) => apiLog.write(line)) });
    started.push({
      stop: async () => {
        await server.close();
        await new Promise<void>((r) => apiLog.end(() => r()));
      },
    });
    const health = await fetch(`${server.url}/v1/routes`, { headers: { authorization: `Bearer ${readFileSync(tokenFile, "utf8").trim()}` } });
    if (health.status !== 200) throw new HecateError("local-probe", `GET ${server.url}/v1/routes with the stack's token answered ${health.status}`);
    log(`api: ${server.url} (an admin token in ${tokenFile}; JSON log in ${join(dir, "api.log")})`);

    const again = await engine.plan();
    const pending = again.summary.create + again.summary.update + again.summary.delete;
    if (pending !== 0) throw new HecateError("local-probe", `a second plan still shows ${pending} change(s) right after apply`);
    log("plan after apply: no changes");
    const children = [...(caddy.pid !== undefined ? [{ name: "caddy", pid: caddy.pid }] : []), { name: "nginx", pid: nginx.pid }];
    return { dir, storePath, desiredDir, ports, login, caddyAdmin: caddy.admin, api: { url: server.url, tokenFile }, children, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
