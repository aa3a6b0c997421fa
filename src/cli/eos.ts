// `eos-hecate <verb> hecate <noun> ...`: the eos framework's word order (seeds 000/001), mapped
// onto `hecate <verb> <noun> ...` so both front doors run exactly the same commands.
import { Readable } from "node:stream";
import { HecateError, UsageError } from "../diag.js";
import { DNS_TYPES } from "../model/dns-types.js";
import { EOS_NAME } from "./core/define.js";
import { valueFlags } from "./core/flag-spec.js";
import { GLOBAL_FLAGS } from "./core/globals.js";
import { reportError } from "./core/errors.js";
import { processIo, type Io } from "./core/io.js";
import { isEntry } from "./main.js";
import { run } from "./run.js";

/** Global flags that take a value, so the verb can be found after them. */
const VALUED = valueFlags(GLOBAL_FLAGS);

/** eos phrases that are not `<verb> hecate <noun>` in hecate's own grammar. */
const PHRASES: { eos: string[]; hecate: string[] }[] = [
  { eos: ["update", "reconcile"], hecate: ["reconcile"] },
  { eos: ["read", "history"], hecate: ["history"] },
  { eos: ["read", "drift"], hecate: ["drift"] },
  { eos: ["read", "plan"], hecate: ["plan"] },
  { eos: ["read", "schema"], hecate: ["schema"] },
  { eos: ["read", "health"], hecate: ["health"] },
  { eos: ["read", "metrics"], hecate: ["metrics"] },
  { eos: ["list", "presets"], hecate: ["presets"] },
  { eos: ["validate", "config"], hecate: ["validate"] },
  { eos: ["apply", "config"], hecate: ["apply"] },
  { eos: ["test", "dns"], hecate: ["check", "dns"] },
  { eos: ["disable", "route"], hecate: ["disable"] },
  { eos: ["enable", "route"], hecate: ["enable"] },
  { eos: ["update", "rotate-secret"], hecate: ["secret", "rotate"] },
  { eos: ["renew", "cert"], hecate: ["cert", "renew"] },
  { eos: ["import", "cert"], hecate: ["cert", "import"] },
  { eos: ["revoke", "cert"], hecate: ["cert", "revoke"] },
  { eos: ["validate", "cert"], hecate: ["cert", "validate"] },
];

/**
 * Flags of the seeds' secret lines in hecate's words: `--grace-period` is `--grace`, `--immediate`
 * a grace of 0, `--strategy dual-secret` what a grace window is anyway.
 */
function secretFlags(tail: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < tail.length; i++) {
    const a = tail[i]!;
    const [flag, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = () => inline ?? tail[++i];
    if (flag === "--grace-period") out.push("--grace", value()!);
    else if (flag === "--immediate") out.push("--grace", "0");
    else if (flag === "--strategy") {
      const v = value();
      if (v !== "dual-secret") throw new UsageError(`--strategy ${v}: Hecate rotates with a grace window in which the old and new value both work (dual-secret); use --grace 0 to drop the old one at once`);
    } else out.push(a);
  }
  return out;
}

const RECORD_TYPES: ReadonlySet<string> = new Set(DNS_TYPES);

export const EOS_USAGE = `usage: eos-hecate <verb> hecate [<noun>] [args] [flags]
  e.g. eos-hecate create hecate route app --host app.example.com --upstream 10.0.0.5:8080 --public
       eos-hecate list hecate routes
       eos-hecate update hecate reconcile
       eos-hecate backup hecate --out hecate.bak
It runs the same command as \`hecate <verb> [<noun>] ...\` (see \`hecate --help\`).`;

/** Translate eos argv to hecate argv; throws UsageError when the `hecate` word is missing. */
export function eosToHecate(argv: string[]): string[] {
  return translate(argv).argv;
}

/** An eos line as a hecate command, and what the adapter does around it. */
interface Translation {
  argv: string[];
  /** `secret store NAME --value V`: V is given to the command on stdin (and a warning printed). */
  value?: { name: string; value: string };
  /** `secret delete NAME` without --confirm: run as a dry run, then refused with this name. */
  unconfirmed?: string;
}

/**
 * `eos secret hecate list|store|rotate|delete|validate|rekey ...` (seed 000): the noun-verb order
 * of eos's secret commands as hecate's. `inject` and `sync` are not built; they say so.
 */
function secretLine(verb: string | undefined, tail: string[]): Translation {
  switch (verb) {
    case "rotate":
    case "rekey":
    case "validate":
      return { argv: ["secret", verb, ...secretFlags(tail)] };
    case "list":
      return { argv: ["list", "secrets", ...tail] };
    case "store": {
      const value = takeFlag(tail, ["--value"]);
      // The store always seals values (--encrypt is what it does anyway).
      const rest = takeFlag(value.rest, ["--encrypt"], false).rest;
      if (!value.present) return { argv: ["create", "secret", ...rest] };
      if (rest.some((a) => a === "--value-from-stdin" || a === "--from" || a.startsWith("--value-from") || a.startsWith("--from="))) {
        throw new UsageError("--value excludes --value-from, --value-from-stdin and --from: give the value one way");
      }
      return { argv: ["create", "secret", ...rest, "--value-from-stdin"], value: { name: rest.find((a) => !a.startsWith("-")) ?? "NAME", value: value.value! } };
    }
    case "delete": {
      const confirm = takeFlag(tail, ["--confirm"], false);
      const name = confirm.rest.find((a) => !a.startsWith("-"));
      if (confirm.present) return { argv: ["delete", "secret", ...confirm.rest] };
      return { argv: ["delete", "secret", ...confirm.rest, "--dry-run"], ...(name ? { unconfirmed: name } : {}) };
    }
    case "inject":
      throw new HecateError("not-built", "eos secret hecate inject is not built: Hecate never hands a secret's value to a shell or an environment; systems get values when Hecate applies (Secrets come from env:, file: or the encrypted store)");
    case "sync":
      throw new HecateError("not-built", "eos secret hecate sync is not built: Hecate has no Vault or Consul secret backend to sync with; a Secret takes its value from env:VAR, file:/path or Hecate's encrypted store (give a Vault-rendered file as file:/path)");
    default:
      throw new UsageError(`eos secret hecate ${verb ?? ""}: expected list, store, rotate, delete or validate (or rekey)`);
  }
}

function translate(argv: string[]): Translation {
  const t = route(argv);
  return Array.isArray(t) ? { argv: t } : t;
}

function route(argv: string[]): string[] | Translation {
  const globals: string[] = [];
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith("-")) {
    const a = argv[i]!;
    globals.push(a);
    if (VALUED.has(a) && i + 1 < argv.length) globals.push(argv[++i]!);
    i++;
  }
  const rest = argv.slice(i);
  if (rest.length === 0) {
    if (globals.some((g) => g === "--help" || g === "-h")) return ["--help"];
    if (globals.some((g) => g === "--version" || g === "-V")) return ["--version"];
    throw new UsageError(EOS_USAGE);
  }
  const [verb, word, ...tail] = rest as [string, string | undefined, ...string[]];
  // The tool eos users have today spells two commands with the noun glued to "hecate".
  if (verb === "list" && word === "hecate-routes") return [...globals, "list", "routes", ...tail];
  if (verb === "delete" && word === "hecate-route") return [...globals, "delete", "route", ...tail];
  if (word !== "hecate") {
    throw new UsageError(`expected "eos-hecate ${verb} hecate ${word ?? "<noun>"} ...": the second word must be "hecate"\n${EOS_USAGE}`);
  }
  // `--from FILE` is eos's spelling of restore's FILE argument; hecate accepts it as --from too.
  // `create hecate dns A api.example.com --value ...`: the type before the name (seed 000).
  if (verb === "create" && tail[0] === "dns" && tail[1] && RECORD_TYPES.has(tail[1].toUpperCase()) && tail[2] && !tail[2].startsWith("-")) {
    return [...globals, "create", "dns", tail[2], "--record", tail[2], "--type", tail[1].toUpperCase(), ...tail.slice(3)];
  }
  if (verb === "update" && tail[0]?.startsWith("--")) {
    const legacy = legacyUpdate(tail);
    if (legacy) return [...globals, ...legacy];
  }
  // `debug hecate --caddy|--authentik`: one system read now (hecate debug system NAME).
  if (verb === "debug" && tail[0]?.startsWith("--") && /^--[a-z]+$/.test(tail[0]) && tail[0] !== "--help") return [...globals, "debug", "system", tail[0].slice(2), ...tail.slice(1)];
  if (verb === "update" && tail[0] === "reconcile" && tail.includes("--component")) return [...globals, ...reconcileComponent(tail.slice(1))];
  // `create hecate -c config.yaml`: eos builds the whole setup from its apps file; here that is the import.
  if (verb === "create" && (tail[0] === "-c" || tail[0] === "--config" || tail[0]?.startsWith("--config="))) return [...globals, "import", "eos", ...tail];
  if (verb === "emergency") return [...globals, ...emergency(tail)];
  if (verb === "canary") return [...globals, ...canary(tail)];
  if (verb === "update" && tail[0] === "route" && tail[1]) {
    const delivery = routeDelivery(tail[1], tail.slice(2));
    if (delivery) return [...globals, ...delivery];
  }
  // `eos secret hecate rotate NAME ...`: the noun-verb order of seed 000.
  if (verb === "secret") {
    const t = secretLine(tail[0], tail.slice(1));
    return { ...t, argv: [...globals, ...t.argv] };
  }
  // `apply|validate hecate config --file production.yaml` (seed 000): the file is hecate's PATHS.
  if ((verb === "apply" || verb === "validate") && tail[0] === "config") {
    const file = takeFlag(tail.slice(1), ["--file", "-f"]);
    if (file.present) return [...globals, verb, file.value!, ...file.rest];
  }
  for (const p of PHRASES) {
    if (p.eos[0] === verb && p.eos[1] === tail[0]) return [...globals, ...p.hecate, ...(p.hecate[0] === "secret" ? secretFlags(tail.slice(1)) : tail.slice(1))];
  }
  return [...globals, verb, ...tail];
}

/** Value of a flag in an argv tail (--flag V, --flag=V, or a short alias), and the tail without it. */
function takeFlag(tail: string[], names: string[], valued = true): { value?: string; present: boolean; rest: string[] } {
  const rest: string[] = [];
  let value: string | undefined;
  let present = false;
  for (let i = 0; i < tail.length; i++) {
    const a = tail[i]!;
    const eq = names.find((n) => a.startsWith(`${n}=`));
    if (eq) (present = true), (value = a.slice(eq.length + 1));
    else if (names.includes(a)) {
      present = true;
      if (valued) {
        if (i + 1 >= tail.length || tail[i + 1]!.startsWith("-")) throw new UsageError(`${a} needs a value`);
        value = tail[++i];
      }
    } else rest.push(a);
  }
  return { ...(value !== undefined ? { value } : {}), present, rest };
}

/**
 * `eos update hecate --add APP --dns HOST --upstream ADDR [--sso [--sso-provider authentik]
 * [--admin-group G]] [--dry-run]`, `--remove APP`, `--refresh`, `--export`: the flag forms of the
 * tool eos users run today, as the hecate commands that do the same.
 */
function legacyUpdate(tail: string[]): string[] | undefined {
  const add = takeFlag(tail, ["--add"]);
  if (add.present) {
    const dns = takeFlag(add.rest, ["--dns", "-d"]);
    const up = takeFlag(dns.rest, ["--upstream", "-u"]);
    const sso = takeFlag(up.rest, ["--sso"], false);
    const provider = takeFlag(sso.rest, ["--sso-provider"]);
    const group = takeFlag(provider.rest, ["--admin-group"]);
    if (!dns.value || !up.value) throw new UsageError("eos update hecate --add APP needs --dns HOST and --upstream ADDR[:PORT]");
    if (provider.value !== undefined && provider.value !== "authentik") throw new UsageError(`--sso-provider ${provider.value}: Hecate signs in with authentik only`);
    if (group.value !== undefined && !sso.present) throw new UsageError("--admin-group needs --sso");
    // Sign-in goes through the AuthPolicy named after the admin group (or "sso", as `import eos` names it).
    const auth = sso.present ? ["--auth-policy", group.value ?? "sso"] : ["--public"];
    return ["create", "route", add.value!, "--host", dns.value, "--upstream", up.value, ...auth, ...group.rest];
  }
  const remove = takeFlag(tail, ["--remove"]);
  if (remove.present) return ["delete", "route", remove.value!, ...remove.rest];
  const refresh = takeFlag(tail, ["--refresh"], false);
  if (refresh.present) return ["apply", ...refresh.rest];
  const exp = takeFlag(tail, ["--export"], false);
  if (exp.present) return ["render", "caddy", ...exp.rest];
  return undefined;
}

/** `update hecate reconcile --component routes|auth|upstreams|all [--source git --git URL]` → apply of those systems. */
function reconcileComponent(tail: string[]): string[] {
  const comp = takeFlag(tail, ["--component"]);
  const source = takeFlag(comp.rest, ["--source"]);
  const systems: Record<string, string | undefined> = { routes: "caddy", upstreams: "caddy", auth: "authentik", all: undefined };
  if (!(comp.value! in systems)) throw new UsageError(`--component ${comp.value}: expected routes, auth, upstreams or all`);
  if (source.value !== undefined && source.value !== "git") throw new UsageError(`--source ${source.value}: expected git (with --git URL)`);
  if (source.value === "git" && !source.rest.some((a) => a === "--git" || a.startsWith("--git="))) throw new UsageError("--source git needs the repository: --git URL [--ref REF] [--git-path DIR]");
  const system = systems[comp.value!];
  return ["apply", ...(system ? ["--system", system] : []), ...source.rest];
}

/** `--duration D` (eos) is `--for D` (hecate). */
function durationAsFor(tail: string[]): string[] {
  const d = takeFlag(tail, ["--duration"]);
  return d.present ? [...d.rest, "--for", d.value!] : tail;
}

/** `eos emergency hecate disable-route|block-ip|bypass-auth|rollback ...` (seeds 000, 001). */
function emergency(tail: string[]): string[] {
  const [what, ...rest] = tail;
  switch (what) {
    case "disable-route":
      return ["disable", ...rest];
    case "enable-route":
      return ["enable", ...rest];
    case "block-ip":
      return ["block", ...durationAsFor(rest)];
    case "unblock-ip":
      return ["unblock", ...rest];
    case "bypass-auth":
      return ["bypass-auth", ...durationAsFor(rest)];
    case "rollback": {
      const good = takeFlag(rest, ["--to-last-known-good", "--last-good"], false);
      return ["rollback", ...(good.present ? ["--last-good"] : []), ...good.rest];
    }
    default:
      throw new UsageError(`eos emergency hecate ${what ?? ""}: expected disable-route, enable-route, block-ip, unblock-ip, bypass-auth or rollback`);
  }
}

/** "5%" / "5" → "5". */
const pct = (v: string | undefined, flag: string) => {
  if (v === undefined || !/^\d+(\.\d+)?%?$/.test(v)) throw new UsageError(`${flag} expects a percentage such as 10%`);
  return v.replace(/%$/, "");
};

/**
 * `eos canary hecate create POOL --route ROUTE --traffic 5%`, `status|promote|finalize|rollback
 * POOL ...`: the eos canary is named by its pool; hecate's canary commands take a route or the
 * pool of a running canary.
 */
function canary(tail: string[]): string[] {
  const [what, name, ...rest] = tail;
  if (what === "create") {
    const route = takeFlag(rest, ["--route"]);
    const traffic = takeFlag(route.rest, ["--traffic", "--percent"]);
    if (!route.value || !name) throw new UsageError("eos canary hecate create POOL --route ROUTE --traffic 5%");
    return ["canary", "start", route.value, "--to", name, ...(traffic.present ? ["--weight", pct(traffic.value, "--traffic")] : []), ...traffic.rest];
  }
  if (what === "status") return ["canary", "status", ...(name ? [name] : []), ...takeFlag(rest, ["--show-metrics"], false).rest];
  if (what === "finalize") return ["canary", "promote", ...(name ? [name] : []), ...takeFlag(rest, ["--traffic"]).rest];
  if (what === "promote") {
    const auto = takeFlag(rest, ["--auto-rollback-on-error"], false); // always on: every canary is judged
    if (takeFlag(auto.rest, ["--wait"]).present) throw new UsageError("--wait: a canary steps by itself; start it with --step N --every DURATION (hecate canary start --help)");
    const to = takeFlag(auto.rest, ["--to"]);
    return ["canary", "promote", ...(name ? [name] : []), ...(to.present ? ["--to", pct(to.value, "--to")] : []), ...to.rest];
  }
  return ["canary", ...tail];
}

/**
 * `eos update hecate route R --canary-upstream ADDR --canary-percentage N`, `--canary-percentage N`,
 * `--promote-canary`, `--rollback-canary`, `--switch-to TARGET` (seed 001).
 */
function routeDelivery(route: string, tail: string[]): string[] | undefined {
  const up = takeFlag(tail, ["--canary-upstream"]);
  const share = takeFlag(up.rest, ["--canary-percentage"]);
  if (up.present) return ["canary", "start", route, "--upstream", up.value!, ...(share.present ? ["--weight", pct(share.value, "--canary-percentage")] : []), ...share.rest];
  if (share.present) return ["canary", "promote", route, "--to", pct(share.value, "--canary-percentage"), ...share.rest];
  const promote = takeFlag(tail, ["--promote-canary"], false);
  if (promote.present) return ["canary", "promote", route, ...promote.rest];
  const back = takeFlag(tail, ["--rollback-canary"], false);
  if (back.present) return ["canary", "abort", route, ...back.rest];
  const sw = takeFlag(tail, ["--switch-to"]);
  if (sw.present) return ["switch", route, "--to", sw.value!, ...sw.rest];
  return undefined;
}

export async function runEos(argv: string[], io: Partial<Io> = {}): Promise<number> {
  let t: Translation;
  try {
    t = translate(argv);
  } catch (err) {
    const full = { ...processIo(), ...io };
    return reportError(err, full, { json: false, color: false });
  }
  const stderr = io.stderr ?? process.stderr;
  if (t.value !== undefined) {
    // Stored as asked (the value is in the shell's history already; refusing would not take it
    // back), with the way that keeps it out next time.
    stderr.write(
      "warning: --value puts the secret on the command line, where the shell's history and the process list keep it: remove it from the history, " +
        `and next time pipe it in (\`printf %s "$VALUE" | eos-hecate secret hecate store ${t.value.name} --value-from-stdin\`) or read it from a file (--value-from file:/path)\n`,
    );
    io = { ...io, stdin: Readable.from([t.value.value]) };
  }
  const code = await run(t.argv, io, EOS_NAME);
  if (t.unconfirmed !== undefined && code === 0) {
    stderr.write(`nothing deleted: that was a dry run. To delete Secret/${t.unconfirmed}: eos-hecate secret hecate delete ${t.unconfirmed} --confirm\n`);
    return 1;
  }
  return code;
}

if (isEntry(import.meta.url, "eos-hecate")) {
  process.exitCode = await runEos(process.argv.slice(2));
}
