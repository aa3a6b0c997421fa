// The command tree: global flags, verb-first commands, and the nouns under create/list/read/update/delete.
import { Command } from "./core/commander.js";
import { addExamples, addFlag, EOS_NAME, eosCommandUsage, register, type CommandDef, type RunState } from "./core/define.js";
import { valueFlags } from "./core/flag-spec.js";
import { GLOBAL_FLAGS } from "./core/globals.js";
import { pick, TOP_LEVEL, type Load } from "./top-level.js";
import type { NounDef } from "./nouns/index.js";

// The command table. Each entry names its command(s) and loads the module that defines them only
// when argv asks for that command (start-up, issue 17): `hecate list routes` loads the list verb
// and the nouns, not the engine, the server or the sandboxes. The commands without a noun are in
// top-level.ts, which run.ts also reads without loading commander.
const VERBS: { name: string; summary: string; make: () => Promise<(n: NounDef) => CommandDef>; example: string }[] = [
  { name: "create", summary: "add a resource to the desired state (a new revision)", make: async () => (await import("./commands/create.js")).createCommand, example: "hecate create route app --host app.example.com --upstream 10.0.0.5:8080 --public" },
  { name: "list", summary: "list resources of one kind", make: async () => (await import("./commands/list.js")).listCommand, example: "hecate list routes --selector env=prod" },
  { name: "read", summary: "show one resource as stored", make: async () => (await import("./commands/read.js")).readCommand, example: "hecate read route app -o yaml" },
  { name: "update", summary: "change a resource (a new revision)", make: async () => (await import("./commands/update.js")).updateCommand, example: "hecate update route app --add-middleware rate-limit" },
  { name: "delete", summary: "remove a resource (a new revision)", make: async () => (await import("./commands/delete.js")).deleteCommand, example: "hecate delete upstream backend-api --cascade --dry-run" },
];

/** Verbs whose object is a system rather than a resource: `hecate check dns HOST`, `hecate import dns ...`. */
const GROUPS: { name: string; summary: string; load: Load; example: string }[] = [
  { name: "check", summary: "check that what Hecate applied is live", load: async () => [(await import("./commands/dns.js")).checkDns], example: "hecate check dns app.example.com --wait 2m" },
  {
    name: "export",
    summary: "what a system holds, in its own format",
    load: async () => [(await import("./commands/dns.js")).exportDns, (await import("./commands/import.js")).exportTraefikTags],
    example: "hecate export dns --zone example.com > example.com.zone",
  },
  {
    name: "import",
    summary: "adopt what already exists in a system",
    load: async () => [(await import("./commands/dns.js")).importDns, ...(await import("./commands/import.js")).IMPORTS],
    example: "hecate import caddy --caddyfile /etc/caddy/Caddyfile --out imported/",
  },
  {
    name: "debug",
    summary: "find what is broken in a live chain",
    load: async () => [(await import("./commands/debug.js")).debugAuth, (await import("./commands/health.js")).debugSystem],
    example: "hecate debug auth app --user alice",
  },
  {
    name: "sandbox",
    summary: "run an offline stand-in for a system Hecate drives",
    load: async () => {
      const m = await import("./commands/sandbox.js");
      return [m.sandboxHetzner, m.sandboxAuthentik];
    },
    example: "hecate sandbox authentik",
  },
  {
    name: "cert",
    summary: "certificates Hecate obtains or imports: renew, revoke, import PEM files, validate a chain",
    load: async () => [...(await import("./commands/cert.js")).CERT_COMMANDS, (await import("./commands/cert-revoke.js")).certRevoke, (await import("./commands/cert-validate.js")).certValidate],
    example: "hecate cert renew wildcard",
  },
  {
    name: "secret",
    summary: "rotate a secret with a grace window, check that every secret resolves, or give the store a new encryption key",
    load: async () => (await import("./commands/secret.js")).SECRET_COMMANDS,
    example: "hecate secret rotate ops-hash --value-from-stdin --grace 10m",
  },
  {
    name: "webhook",
    summary: "webhooks of `hecate serve` (registered through its API): a new signing secret with a grace window",
    load: async () => (await import("./commands/webhook.js")).WEBHOOK_COMMANDS,
    example: "hecate webhook rotate-secret wh_3f2a9c01b7de --grace 24h",
  },
  {
    name: "token",
    summary: "API tokens for `hecate serve` (read, write, admin)",
    load: async () => {
      const m = await import("./commands/token.js");
      return [m.tokenCreate, m.tokenList, m.tokenRotate, m.tokenRevoke];
    },
    example: "hecate token create --scope write --name ci --expires 30d",
  },
];

/** Global flags that take a value: their value is not the verb. */
const VALUE_FLAGS = valueFlags(GLOBAL_FLAGS);

/**
 * The verb argv asks for, "" when argv names none but asks for the version only (nothing to
 * register), or undefined when every command is needed (help, an unknown word, completion).
 */
function wantedVerb(argv: readonly string[] | undefined): string | undefined {
  if (!argv) return undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") return undefined;
    if (VALUE_FLAGS.has(a)) i++;
    else if (!a.startsWith("-")) return a === "completion" ? undefined : a;
  }
  return argv.includes("-V") || argv.includes("--version") ? "" : undefined;
}

/**
 * The command tree. Given argv, only the command it names is loaded and built: loading every
 * command's module is most of the CLI's start-up after Node itself (issue 17), and one command
 * needs none of the others. Without argv, or when argv names no known command, all of it.
 */
export async function buildProgram(state: RunState, name = "hecate", argv?: readonly string[]): Promise<Command> {
  const verb = wantedVerb(argv);
  const known = verb === undefined || verb === "" || [...VERBS, ...GROUPS].some((c) => c.name === verb) || TOP_LEVEL.some((t) => t.names.includes(verb));
  const wanted = (n: string) => !known || verb === undefined || n === verb;
  const program = new Command(name);
  program.description("Hecate: one declarative control plane for Caddy, authentik, DNS and nginx streams");
  for (const f of GLOBAL_FLAGS) addFlag(program, f);
  program
    .version("0.1.0", "-V, --version")
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => state.io.stdout.write(s),
      writeErr: (s) => state.io.stderr.write(s),
      outputError: (s, write) => write(s.replace(/^error: /, "error: ")),
    })
    .addHelpCommand(false);
  if (name === EOS_NAME) {
    // Set before the commands are added: commander copies help settings to each subcommand.
    program.usage("<verb> hecate [<noun>] [args] [options]").configureHelp({ commandUsage: eosCommandUsage });
    program.addHelpText("after", "\nEvery command here is also `hecate <verb> [<noun>] ...`; `eos-hecate <verb> hecate <noun>` runs exactly that.\n");
  }
  addExamples(program, [
    "hecate create route app --host app.example.com --upstream 10.0.0.5:8080 --auth-policy staff",
    "hecate validate config/ && hecate plan config/ && hecate apply config/",
    "hecate history && hecate diff 3 4",
  ]);

  const verbs = VERBS.filter((v) => wanted(v.name));
  const groups = GROUPS.filter((g) => wanted(g.name));
  const tops = TOP_LEVEL.filter((t) => t.names.some(wanted));
  // Loaded together: the modules of one command line are few, of help all of them.
  const [nouns, makers, groupDefs, topDefs] = await Promise.all([
    verbs.length ? import("./nouns/index.js").then((m) => m.NOUNS) : [],
    Promise.all(verbs.map((v) => v.make())),
    Promise.all(groups.map((g) => g.load())),
    Promise.all(tops.map(async (t) => pick(await t.load(), t.names, t.names.join("/")))),
  ]);
  verbs.forEach((verb, i) => {
    const group = program.command(verb.name).description(verb.summary);
    addExamples(group, [verb.example]);
    for (const noun of nouns) register(group, makers[i]!(noun), state);
  });
  groups.forEach((g, i) => {
    const group = program.command(g.name).description(g.summary);
    addExamples(group, [g.example]);
    for (const def of groupDefs[i]!) register(group, def, state);
  });
  for (const def of topDefs.flat().filter((d) => wanted(d.name))) register(program, def, state);
  if (wanted("completion")) {
    const { completion } = await import("./commands/completion.js");
    register(program, completion(() => program), state);
  }
  return program;
}
