// Bring up the local stack (private Caddy + nginx on loopback, demo backends, embedded store),
// apply its desired state, prove it with traffic, then keep running until Ctrl-C.
//   node --import tsx scripts/local-stack.ts [--dir DIR] [--once]
import { resolve } from "node:path";
import { HecateError, formatDiagnostic } from "../src/diag.js";
import { DEFAULT_PORTS, upLocalStack, type LocalPorts } from "../src/local/stack.js";

const USAGE = `usage: bash scripts/up.sh [--once] [--dir DIR]
  --once     stop after the checks (default: keep running until Ctrl-C)
  --dir DIR  where the stack keeps its state (default .hecate-local, or $HECATE_LOCAL_DIR)
Ports: HECATE_LOCAL_PORT_HTTP, _STREAM, _DEMOA, _DEMOB, _ECHO, _AUTHENTIK.`;
const args = process.argv.slice(2);
let once = false;
let dirValue: string | undefined;
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === "--help" || a === "-h") {
    console.log(USAGE);
    process.exit(0);
  } else if (a === "--once") once = true;
  else if (a === "--dir" && args[i + 1] && !args[i + 1]!.startsWith("-")) dirValue = args[++i];
  else {
    console.error(`error: ${a === "--dir" ? "--dir needs a directory" : `unknown argument ${JSON.stringify(a)}`}\n${USAGE}`);
    process.exit(2);
  }
}
const dir = resolve(dirValue ?? process.env.HECATE_LOCAL_DIR ?? ".hecate-local");
const ports: Partial<LocalPorts> = {};
for (const key of Object.keys(DEFAULT_PORTS) as (keyof LocalPorts)[]) {
  const v = process.env[`HECATE_LOCAL_PORT_${key.toUpperCase()}`];
  if (v) ports[key] = Number(v);
}

try {
  const stack = await upLocalStack({ dir, ports, color: !process.env.NO_COLOR && process.stdout.isTTY });
  console.log(`
The local stack is up.
  desired state: ${stack.desiredDir}   (edit, then apply it)
  store:         ${stack.storePath}
  authentik:     a sandbox at http://127.0.0.1:${stack.ports.authentik} (sign in as ${stack.login.username} / ${stack.login.password})
  try:           curl -H 'Host: app.localhost' http://127.0.0.1:${stack.ports.http}/
                 open http://admin.localhost:${stack.ports.http}/ in a browser: authentik asks you to sign in first
                 export HECATE_STORE=${stack.storePath}
                 node bin/hecate.js plan ${stack.desiredDir}
                 node bin/hecate.js apply ${stack.desiredDir}
                 node bin/hecate.js history
  caddy admin:   ${stack.caddyAdmin.startsWith("unix:") ? `curl --unix-socket ${stack.caddyAdmin.slice(5)} -H 'Host;' http://localhost/config/` : `curl ${stack.caddyAdmin}/config/`}
                 (on its socket Caddy refuses any Host header but an empty one; \`hecate drift\` shows hand edits)`);
  if (once) {
    await stack.stop();
  } else {
    console.log("Press Ctrl-C to stop Caddy, nginx, the authentik sandbox and the demo backends.");
    const shutdown = async () => {
      await stack.stop();
      process.exit(0);
    };
    process.on("SIGINT", shutdown);
    process.on("SIGTERM", shutdown);
    setInterval(() => undefined, 1 << 30);
  }
} catch (e) {
  if (e instanceof HecateError) {
    console.error(`error: ${e.message}`);
    for (const d of e.diagnostics) console.error(formatDiagnostic(d));
  } else {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  }
  process.exit(1);
}
