// A flag's commander syntax ("-m, --message <text>", "--no-color") read as data, for the code
// that handles command lines without commander (direct.ts, the verb finders).
import type { Flag } from "./define.js";

export interface FlagSpec {
  short?: string;
  long: string;
  /** The key commander gives its value under (`--max-deletes` → maxDeletes, `--no-color` → color). */
  attr: string;
  takesValue: boolean;
  /** `--no-x`: false when given, true by default. */
  negate: boolean;
  repeatable: boolean;
  choices?: readonly string[];
  default?: string | boolean;
}

/**
 * The spec, or undefined for syntax only commander handles: an optional value (`--x [v]`), a
 * variadic one (`<v...>`).
 */
export function flagSpec(f: Flag): FlagSpec | undefined {
  const m = /^(?:-([A-Za-z]), )?--([a-z][a-z0-9-]*)(?: <([^<>[\].]+)>)?$/.exec(f.flags);
  if (!m) return undefined;
  const negate = m[2]!.startsWith("no-") && !m[3];
  const name = negate ? m[2]!.slice(3) : m[2]!;
  return {
    ...(m[1] ? { short: `-${m[1]}` } : {}),
    long: `--${m[2]}`,
    attr: name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()),
    takesValue: m[3] !== undefined,
    negate,
    repeatable: Boolean(f.repeatable),
    ...(f.choices ? { choices: f.choices } : {}),
    ...(f.default !== undefined ? { default: f.default } : {}),
  };
}

/** The spellings of flags that take a value: what follows one is its value, not a word of the command. */
export function valueFlags(flags: readonly Flag[]): Set<string> {
  const out = new Set<string>();
  for (const f of flags) {
    const s = flagSpec(f);
    if (!s?.takesValue) continue;
    out.add(s.long);
    if (s.short) out.add(s.short);
  }
  return out;
}
