// The flags every command takes (`hecate --store FILE apply ...`), as data: program.ts registers
// them with commander, direct.ts reads them without it, Context takes what they parse to.
import type { Flag } from "./define.js";

export const GLOBAL_FLAGS: readonly Flag[] = [
  { flags: "--store <path>", description: "store file or etcd://host:port[,host:port...] (env HECATE_STORE; default ~/.local/state/hecate/hecate.db)" },
  { flags: "--endpoint <url>", description: "talk to this `hecate serve` instead of the store (env HECATE_API_ENDPOINT; token from HECATE_API_TOKEN)" },
  { flags: "-o, --output <format>", description: "output format", choices: ["table", "json", "yaml"] },
  { flags: "--no-color", description: "no ANSI colors (also when NO_COLOR is set or output is not a terminal)" },
  { flags: "-q, --quiet", description: "print only results and errors" },
  { flags: "-v, --verbose", description: "plans list every object and field, not one line per resource" },
  { flags: "--author <name>", description: "author recorded on revisions (default $USER)" },
];
