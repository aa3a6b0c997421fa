// `eos-hecate <verb> hecate <noun> ...`: the eos framework's word order (seeds 000/001), mapped
// onto `hecate <verb> <noun> ...` so both front doors run exactly the same commands.
import { UsageError } from "../diag.js";
import { DNS_TYPES } from "../model/dns-types.js";
import { EOS_NAME } from "./core/define.js";
import { reportError } from "./core/errors.js";
import { processIo, type Io } from "./core/io.js";
import { isEntry } from "./main.js";
import { run } from "./run.js";

/** Global flags that take a value, so the verb can be found after them. */
const VALUED = new Set(["--store", "-o", "--output", "--author"]);

/** eos phrases that are not `<verb> hecate <noun>` in hecate's own grammar. */
const PHRASES: { eos: string[]; hecate: string[] }[] = [
  { eos: ["update", "reconcile"], hecate: ["reconcile"] },
  { eos: ["read", "history"], hecate: ["history"] },
  { eos: ["read", "drift"], hecate: ["drift"] },
  { eos: ["read", "plan"], hecate: ["plan"] },
  { eos: ["read", "schema"], hecate: ["schema"] },
  { eos: ["list", "presets"], hecate: ["presets"] },
  { eos: ["validate", "config"], hecate: ["validate"] },
  { eos: ["apply", "config"], hecate: ["apply"] },
  { eos: ["test", "dns"], hecate: ["check", "dns"] },
];

const RECORD_TYPES: ReadonlySet<string> = new Set(DNS_TYPES);

export const EOS_USAGE = `usage: eos-hecate <verb> hecate [<noun>] [args] [flags]
  e.g. eos-hecate create hecate route app --host app.example.com --upstream 10.0.0.5:8080 --public
       eos-hecate list hecate routes
       eos-hecate update hecate reconcile
       eos-hecate backup hecate --out hecate.bak
It runs the same command as \`hecate <verb> [<noun>] ...\` (see \`hecate --help\`).`;

/** Translate eos argv to hecate argv; throws UsageError when the `hecate` word is missing. */
export function eosToHecate(argv: string[]): string[] {
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
  if (word !== "hecate") {
    throw new UsageError(`expected "eos-hecate ${verb} hecate ${word ?? "<noun>"} ...": the second word must be "hecate"\n${EOS_USAGE}`);
  }
  // `--from FILE` is eos's spelling of restore's FILE argument; hecate accepts it as --from too.
  // `create hecate dns A api.example.com --value ...`: the type before the name (seed 000).
  if (verb === "create" && tail[0] === "dns" && tail[1] && RECORD_TYPES.has(tail[1].toUpperCase()) && tail[2] && !tail[2].startsWith("-")) {
    return [...globals, "create", "dns", tail[2], "--record", tail[2], "--type", tail[1].toUpperCase(), ...tail.slice(3)];
  }
  // `create hecate -c config.yaml`: eos builds the whole setup from its apps file; here that is the import.
  if (verb === "create" && (tail[0] === "-c" || tail[0] === "--config" || tail[0]?.startsWith("--config="))) return [...globals, "import", "eos", ...tail];
  for (const p of PHRASES) {
    if (p.eos[0] === verb && p.eos[1] === tail[0]) return [...globals, ...p.hecate, ...tail.slice(1)];
  }
  return [...globals, verb, ...tail];
}

export async function runEos(argv: string[], io: Partial<Io> = {}): Promise<number> {
  let translated: string[];
  try {
    translated = eosToHecate(argv);
  } catch (err) {
    const full = { ...processIo(), ...io };
    return reportError(err, full, { json: false, color: false });
  }
  return run(translated, io, EOS_NAME);
}

if (isEntry(import.meta.url, "eos-hecate")) {
  process.exitCode = await runEos(process.argv.slice(2));
}
