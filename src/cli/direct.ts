// Simple command lines of the commands without a noun (`hecate apply DIR --yes`), parsed without
// commander: loading commander and building its tree took ≈ 25 of the ≈ 90 ms a remote
// `apply DIR` spent beyond Node's own start (docs/benchmarks.md, `apply DIR` through hecate serve).
//
// Only what reads one way is taken: known flags spelled out (`--max-deletes 5`, `-y`), values as
// the next word, positional arguments. Anything else (help, --version, `--flag=value`, `-yq`,
// `--`, an unknown flag, a missing or refused value, a missing or extra argument, a flag given
// twice) returns undefined, and commander parses the line, with its errors and help, as before.
// direct.test.ts checks, for every flag of every command here, that both parse to the same.
import type { GlobalFlags } from "./core/context.js";
import type { CommandDef, Opts } from "./core/define.js";
import { flagSpec, type FlagSpec } from "./core/flag-spec.js";
import { GLOBAL_FLAGS } from "./core/globals.js";
import { pick, TOP_LEVEL } from "./top-level.js";

/** The global flags by spelling, and the keys they parse to: the same for every command line. */
const GLOBALS = specsOf(GLOBAL_FLAGS) ?? internal("a global flag in core/globals.ts has syntax only commander reads ([value] or <value...>)");
const GLOBAL_ATTRS = new Set([...GLOBALS.values()].map((s) => s.attr));

export interface DirectCommand {
  def: CommandDef;
  args: unknown[];
  opts: Opts;
  globals: GlobalFlags;
}

/** The command argv names and its parsed line, or undefined when commander should parse it. */
export async function directCommand(argv: readonly string[]): Promise<DirectCommand | undefined> {
  // The verb: the first word that is not a global flag or its value.
  let at = 0;
  while (at < argv.length && argv[at]!.startsWith("-")) {
    const spec = GLOBALS.get(argv[at]!);
    if (!spec) return undefined;
    at += spec.takesValue ? 2 : 1;
  }
  const verb = argv[at];
  const entry = verb !== undefined ? TOP_LEVEL.find((t) => t.names.includes(verb)) : undefined;
  if (!entry) return undefined;
  const def = pick(await entry.load(), entry.names, entry.names.join("/"))[entry.names.indexOf(verb!)]!;
  return parseLine(def, argv, at);
}

/** argv parsed for `def`, whose name is argv[verbAt]; undefined as directCommand says. */
export function parseLine(def: CommandDef, argv: readonly string[], verbAt: number): DirectCommand | undefined {
  if (def.subcommands?.length) return undefined;
  const globals = GLOBALS;
  const own = specsOf(def.flags ?? []);
  const params = (def.args ?? []).map(argSpec);
  if (!own || params.some((p) => !p)) return undefined;
  // A command flag that shares a global's name or key: commander decides which one it is.
  if ([...own.keys()].some((k) => globals.has(k)) || [...own.values()].some((s) => GLOBAL_ATTRS.has(s.attr))) return undefined;

  const opts = defaults(own);
  const given = defaults(globals);
  const seen = new Set<FlagSpec>();
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (i === verbAt) continue;
    const a = argv[i]!;
    if (a === "-" || !a.startsWith("-")) {
      if (i < verbAt) return undefined;
      words.push(a);
      continue;
    }
    const spec = (i > verbAt ? own.get(a) : undefined) ?? globals.get(a);
    if (!spec || (seen.has(spec) && !spec.repeatable)) return undefined;
    seen.add(spec);
    const into = own.get(a) === spec ? opts : given;
    if (!spec.takesValue) {
      into[spec.attr] = !spec.negate;
      continue;
    }
    const value = argv[++i];
    if (value === undefined || value.startsWith("-") || (spec.choices && !spec.choices.includes(value))) return undefined;
    into[spec.attr] = spec.repeatable ? [...((into[spec.attr] as string[] | undefined) ?? []), value] : value;
  }
  const args: unknown[] = [];
  for (const p of params) {
    if (p!.variadic) {
      if (p!.required && !words.length) return undefined;
      args.push(words.splice(0));
    } else if (words.length) args.push(words.shift());
    else if (p!.required) return undefined;
    else args.push(undefined);
  }
  if (words.length) return undefined;
  return { def, args, opts, globals: given as GlobalFlags };
}

/** Flag specs by spelling (long and short); undefined if one has syntax only commander reads. */
function specsOf(flags: readonly { flags: string; description: string }[]): Map<string, FlagSpec> | undefined {
  const out = new Map<string, FlagSpec>();
  for (const f of flags) {
    const spec = flagSpec(f);
    if (!spec) return undefined;
    out.set(spec.long, spec);
    if (spec.short) out.set(spec.short, spec);
  }
  return out;
}

/** What commander starts a command's options from: the defaults, and true for each `--no-x`. */
function defaults(specs: Map<string, FlagSpec>): Opts {
  const out: Opts = {};
  for (const s of new Set(specs.values())) {
    if (s.default !== undefined) out[s.attr] = s.default;
    else if (s.negate) out[s.attr] = true;
  }
  return out;
}

function internal(message: string): never {
  throw new Error(`internal: ${message}`);
}

/** `<name>`, `[name]`, `[paths...]`: required, variadic; undefined for anything else. */
function argSpec(a: string): { required: boolean; variadic: boolean } | undefined {
  const m = /^(?:<([\w-]+)(\.\.\.)?>|\[([\w-]+)(\.\.\.)?\])$/.exec(a);
  if (!m) return undefined;
  return { required: m[1] !== undefined, variadic: Boolean(m[2] ?? m[4]) };
}
