// The command tree: global flags, verb-first commands, and the nouns under create/list/read/update/delete.
import { Command, Option } from "commander";
import { addExamples, EOS_NAME, eosCommandUsage, register, type CommandDef, type RunState } from "./core/define.js";
import { createCommand } from "./commands/create.js";
import { deleteCommand } from "./commands/delete.js";
import { diff } from "./commands/diff.js";
import { audit } from "./commands/audit.js";
import { history } from "./commands/history.js";
import { unlock } from "./commands/unlock.js";
import { listCommand } from "./commands/list.js";
import { presets } from "./commands/presets.js";
import { readCommand } from "./commands/read.js";
import { render } from "./commands/render.js";
import { schema } from "./commands/schema.js";
import { show } from "./commands/show.js";
import { updateCommand } from "./commands/update.js";
import { validate } from "./commands/validate.js";
import { OPERATIONS } from "./commands/operations.js";
import { completion } from "./commands/completion.js";
import { checkDns, exportDns, importDns } from "./commands/dns.js";
import { exportTraefikTags, IMPORTS } from "./commands/import.js";
import { sandboxAuthentik, sandboxHetzner } from "./commands/sandbox.js";
import { debugAuth } from "./commands/debug.js";
import { debugSystem, health, metrics } from "./commands/health.js";
import { down, status, up } from "./commands/up.js";
import { serve } from "./commands/serve.js";
import { migrateStore } from "./commands/migrate-store.js";
import { tokenCreate, tokenList, tokenRevoke, tokenRotate } from "./commands/token.js";
import { NOUNS, type NounDef } from "./nouns/index.js";
import { CERT_COMMANDS } from "./commands/cert.js";
import { certRevoke } from "./commands/cert-revoke.js";
import { certValidate } from "./commands/cert-validate.js";
import { DELIVERY_COMMANDS } from "./commands/delivery.js";
import { SECRET_COMMANDS } from "./commands/secret.js";
import { WEBHOOK_COMMANDS } from "./commands/webhook.js";

const VERBS: { name: string; summary: string; make: (n: NounDef) => CommandDef; example: string }[] = [
  { name: "create", summary: "add a resource to the desired state (a new revision)", make: createCommand, example: "hecate create route app --host app.example.com --upstream 10.0.0.5:8080 --public" },
  { name: "list", summary: "list resources of one kind", make: listCommand, example: "hecate list routes --selector env=prod" },
  { name: "read", summary: "show one resource as stored", make: readCommand, example: "hecate read route app -o yaml" },
  { name: "update", summary: "change a resource (a new revision)", make: updateCommand, example: "hecate update route app --add-middleware rate-limit" },
  { name: "delete", summary: "remove a resource (a new revision)", make: deleteCommand, example: "hecate delete upstream backend-api --cascade --dry-run" },
];

/** Verbs whose object is a system rather than a resource: `hecate check dns HOST`, `hecate import dns ...`. */
const GROUPS: { name: string; summary: string; commands: CommandDef[]; example: string }[] = [
  { name: "check", summary: "check that what Hecate applied is live", commands: [checkDns], example: "hecate check dns app.example.com --wait 2m" },
  { name: "export", summary: "what a system holds, in its own format", commands: [exportDns, exportTraefikTags], example: "hecate export dns --zone example.com > example.com.zone" },
  { name: "import", summary: "adopt what already exists in a system", commands: [importDns, ...IMPORTS], example: "hecate import caddy --caddyfile /etc/caddy/Caddyfile --out imported/" },
  { name: "debug", summary: "find what is broken in a live chain", commands: [debugAuth, debugSystem], example: "hecate debug auth app --user alice" },
  { name: "sandbox", summary: "run an offline stand-in for a system Hecate drives", commands: [sandboxHetzner, sandboxAuthentik], example: "hecate sandbox authentik" },
  { name: "cert", summary: "certificates Hecate obtains or imports: renew, revoke, import PEM files, validate a chain", commands: [...CERT_COMMANDS, certRevoke, certValidate], example: "hecate cert renew wildcard" },
  { name: "secret", summary: "rotate a secret with a grace window, check that every secret resolves, or give the store a new encryption key", commands: SECRET_COMMANDS, example: "hecate secret rotate ops-hash --value-from-stdin --grace 10m" },
  { name: "webhook", summary: "webhooks of `hecate serve` (registered through its API): a new signing secret with a grace window", commands: WEBHOOK_COMMANDS, example: "hecate webhook rotate-secret wh_3f2a9c01b7de --grace 24h" },
  { name: "token", summary: "API tokens for `hecate serve` (read, write, admin)", commands: [tokenCreate, tokenList, tokenRotate, tokenRevoke], example: "hecate token create --scope write --name ci --expires 30d" },
];

export const TOP_LEVEL: CommandDef[] = [validate, schema, presets, history, show, diff, render, ...OPERATIONS, ...DELIVERY_COMMANDS, health, metrics, migrateStore, audit, unlock, serve, up, down, status];

/** Global flags that take a value: their value is not the verb. */
const VALUE_FLAGS = new Set(["--store", "--endpoint", "-o", "--output", "--author"]);

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
 * The command tree. Given argv, only the command it names is built: defining every flag of every
 * command with commander is most of the CLI's start-up after Node itself (issue 17), and one
 * command needs none of the others. Without argv, or when argv names no known command, all of it.
 */
export function buildProgram(state: RunState, name = "hecate", argv?: readonly string[]): Command {
  const verb = wantedVerb(argv);
  const known = verb === undefined || verb === "" || [...VERBS, ...GROUPS, ...TOP_LEVEL].some((c) => c.name === verb || ("aliases" in c && c.aliases?.includes(verb)));
  const wanted = (n: string, aliases?: string[]) => !known || verb === undefined || n === verb || !!aliases?.includes(verb);
  const program = new Command(name);
  program
    .description("Hecate: one declarative control plane for Caddy, authentik, DNS and nginx streams")
    .addOption(new Option("--store <path>", "store file or etcd://host:port[,host:port...] (env HECATE_STORE; default ~/.local/state/hecate/hecate.db)"))
    .addOption(new Option("--endpoint <url>", "talk to this `hecate serve` instead of the store (env HECATE_API_ENDPOINT; token from HECATE_API_TOKEN)"))
    .addOption(new Option("-o, --output <format>", "output format").choices(["table", "json", "yaml"]))
    .option("--no-color", "no ANSI colors (also when NO_COLOR is set or output is not a terminal)")
    .option("-q, --quiet", "print only results and errors")
    .option("-v, --verbose", "plans list every object and field, not one line per resource")
    .option("--author <name>", "author recorded on revisions (default $USER)")
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

  for (const verb of VERBS.filter((v) => wanted(v.name))) {
    const group = program.command(verb.name).description(verb.summary);
    addExamples(group, [verb.example]);
    for (const noun of NOUNS) register(group, verb.make(noun), state);
  }
  for (const g of GROUPS.filter((x) => wanted(x.name))) {
    const group = program.command(g.name).description(g.summary);
    addExamples(group, [g.example]);
    for (const def of g.commands) register(group, def, state);
  }
  for (const def of TOP_LEVEL.filter((d) => wanted(d.name, d.aliases))) register(program, def, state);
  if (wanted("completion")) register(program, completion(() => program), state);
  return program;
}
