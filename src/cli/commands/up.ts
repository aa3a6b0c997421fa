// `hecate up`, `hecate down`, `hecate status`: the whole stack on this machine (Caddy, nginx,
// the authentik and Hetzner sandboxes, demo apps, the embedded store) on loopback ports. The
// work lives in src/local/, loaded when one of these runs.
import { resolve } from "node:path";
import { UsageError } from "../../diag.js";
import type { CommandDef, Opts } from "../core/define.js";
import type { ExternalSystems, LocalPorts } from "../../local/stack.js";

const DIR_FLAG = { flags: "--dir <dir>", description: "where the stack keeps its state (default .hecate-local, or $HECATE_LOCAL_DIR)" };

function dirOf(ctx: { io: { env: Record<string, string | undefined> } }, opts: Opts): string {
  return resolve(typeof opts.dir === "string" ? opts.dir : (ctx.io.env.HECATE_LOCAL_DIR ?? ".hecate-local"));
}

function portList(defaults: LocalPorts, roles: Record<keyof LocalPorts, string>): string {
  return (Object.keys(defaults) as (keyof LocalPorts)[]).map((n) => `  ${n.padEnd(11)} ${roles[n]} (default ${defaults[n]})`).join("\n");
}

/** --port NAME=PORT (repeatable) over HECATE_LOCAL_PORT_<NAME> over the defaults. */
async function portsOf(env: Record<string, string | undefined>, opts: Opts): Promise<Partial<LocalPorts>> {
  const { DEFAULT_PORTS, PORT_ROLES } = await import("../../local/stack.js");
  const names = Object.keys(DEFAULT_PORTS) as (keyof LocalPorts)[];
  const byUpper = new Map(names.map((n) => [n.toUpperCase(), n]));
  const out: Partial<LocalPorts> = {};
  const set = (name: keyof LocalPorts, value: string, from: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new UsageError(`${from}: ${JSON.stringify(value)} is not a port number (1-65535)`);
    out[name] = n;
  };
  for (const [k, v] of Object.entries(env)) {
    const m = /^HECATE_LOCAL_PORT_(.+)$/.exec(k);
    if (!m || v === undefined || v === "") continue;
    const name = byUpper.get(m[1]!);
    if (!name) throw new UsageError(`${k}: no such port; the stack's ports are ${names.map((n) => n.toUpperCase()).join(", ")}`);
    set(name, v, k);
  }
  for (const spec of (opts.port as string[] | undefined) ?? []) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(spec);
    const name = m ? names.find((n) => n.toLowerCase() === m[1]!.toLowerCase()) : undefined;
    if (!m || !name) throw new UsageError(`--port ${spec}: expected NAME=PORT with NAME one of:\n${portList(DEFAULT_PORTS, PORT_ROLES)}`);
    set(name, m[2]!, `--port ${spec}`);
  }
  return out;
}

/** The real systems named by flags, each in place of one stand-in; pairs are checked here. */
function externalOf(opts: Opts): ExternalSystems {
  const str = (k: string) => (typeof opts[k] === "string" ? (opts[k] as string) : undefined);
  const out: ExternalSystems = {};
  const ak = str("authentik"), akToken = str("authentikTokenFile");
  if (ak || akToken) {
    if (!ak || !akToken) throw new UsageError("--authentik URL and --authentik-token-file FILE go together: Hecate needs both to provision your authentik");
    if (!/^https?:\/\//.test(ak)) throw new UsageError(`--authentik ${ak}: expected the URL authentik answers on, e.g. https://auth.example.com`);
    out.authentik = { url: ak.replace(/\/+$/, ""), tokenFile: resolve(akToken) };
  }
  const hz = str("hetznerTokenFile"), zone = str("zone");
  if (hz || zone) {
    if (!hz || !zone) throw new UsageError("--hetzner-token-file FILE and --zone ZONE go together: the starter's DNS records go in a zone of your account");
    out.hetzner = { tokenFile: resolve(hz), zone: zone.replace(/\.$/, "").toLowerCase(), ...(ctxEndpoint() ? { endpoint: ctxEndpoint()! } : {}) };
  }
  const caddy = str("caddyAdmin");
  if (caddy) out.caddyAdmin = caddy;
  return out;
}

/** HECATE_HETZNER_ENDPOINT: another API base than Hetzner's own (a sandbox elsewhere, a proxy). */
function ctxEndpoint(): string | undefined {
  return process.env.HECATE_HETZNER_ENDPOINT || undefined;
}

export const up: CommandDef = {
  name: "up",
  local: "starts the local stack (Caddy, nginx, the stand-ins) on this machine",
  summary: "run the whole stack on this machine: Caddy, nginx, the authentik and Hetzner sandboxes, the Hecate server, demo apps (until Ctrl-C, or --detach)",
  flags: [
    DIR_FLAG,
    { flags: "--detach", description: "run in the background and return once the stack is up (stop it with `hecate down`)" },
    { flags: "--once", description: "stop again after the checks (a smoke test)" },
    { flags: "--port <name=port>", description: "move one of the stack's ports, e.g. --port http=8081 (repeatable; `--port help` lists them)", repeatable: true },
    { flags: "--authentik <url>", description: "use your authentik instead of the sandbox (with --authentik-token-file)" },
    { flags: "--authentik-token-file <file>", description: "a file holding an authentik API token" },
    { flags: "--hetzner-token-file <file>", description: "use your Hetzner DNS account instead of the sandbox (with --zone)" },
    { flags: "--zone <zone>", description: "the zone of yours the starter's DNS records go in (with --hetzner-token-file)" },
    { flags: "--caddy-admin <endpoint>", description: "use a Caddy already running here (admin on loopback or unix:/path) instead of starting one" },
  ],
  examples: ["hecate up --detach", "hecate up --port http=8081 --port stream=9001", "hecate up --once --dir /tmp/stack"],
  async run(ctx, _args, opts) {
    if ((opts.port as string[] | undefined)?.includes("help")) {
      const { DEFAULT_PORTS, PORT_ROLES } = await import("../../local/stack.js");
      ctx.out(`The stack's ports (move one with --port NAME=PORT, or HECATE_LOCAL_PORT_NAME=PORT):\n${portList(DEFAULT_PORTS, PORT_ROLES)}\nCaddy's HTTPS listener is the HTTP port + 363.`);
      return 0;
    }
    if (opts.detach && opts.once) throw new UsageError("--detach and --once do not go together: --once stops the stack after the checks");
    const ports = await portsOf(ctx.io.env, opts);
    const dir = dirOf(ctx, opts);
    const external = externalOf(opts);
    const local = await import("../../local/up.js");
    const log = (line: string) => ctx.say(line);
    if (opts.detach) {
      const rec = await local.upDetached({ dir, ports, external, once: false, color: false, log });
      ctx.out(local.summary(rec, local.readPassword(dir)));
      return 0;
    }
    return local.upForeground({ dir, ports, external, once: Boolean(opts.once), color: ctx.paint.enabled, log });
  },
};

export const down: CommandDef = {
  name: "down",
  local: "stops the local stack on this machine",
  summary: "stop the stack `hecate up` runs (its state stays for the next `up`)",
  flags: [DIR_FLAG],
  examples: ["hecate down", "hecate down --dir /tmp/stack"],
  async run(ctx, _args, opts) {
    const { down: stop } = await import("../../local/up.js");
    await stop(dirOf(ctx, opts), (l) => ctx.say(l));
  },
};

export const status: CommandDef = {
  name: "status",
  local: "reports on the local stack of this machine",
  summary: "what of the stack `hecate up` runs is up, checked live",
  flags: [DIR_FLAG],
  examples: ["hecate status", "hecate status -o json"],
  async run(ctx, _args, opts) {
    const dir = dirOf(ctx, opts);
    const { status: check, cliCommand, dirFlag } = await import("../../local/up.js");
    const found = await check(dir);
    if (!found) {
      ctx.out(`no stack runs from ${dir}: start one with \`${cliCommand()} up --detach${dirFlag(dir)}\``);
      return 3;
    }
    ctx.records(found.components, [
      { header: "COMPONENT", get: (c) => c.component },
      { header: "STATE", get: (c) => c.state },
      { header: "ADDRESS", get: (c) => c.address },
    ], "");
    const down = found.components.filter((c) => c.state === "down");
    if (down.length && ctx.format("table") === "table") ctx.say(`\n${down.length} part(s) down: \`${cliCommand()} down${dirFlag(dir)} && ${cliCommand()} up --detach${dirFlag(dir)}\` restarts the stack`);
    return down.length ? 1 : 0;
  },
};
