// Simple command lines of the commands without a noun run without commander (src/cli/direct.ts).
// What a command receives must not depend on that: for every flag of every such command, alone,
// all together, short and long, with global flags before and after the verb, the arguments,
// options and global flags must be exactly what commander gives the same command's action. Lines
// the direct parser does not take must be left to commander, which then reports them as before.
import assert from "node:assert/strict";
import { test } from "node:test";
import { flagSpec } from "../../src/cli/core/flag-spec.js";
import type { CommandDef, Opts } from "../../src/cli/core/define.js";
import { GLOBAL_FLAGS } from "../../src/cli/core/globals.js";
import { directCommand, parseLine } from "../../src/cli/direct.js";
import { buildProgram } from "../../src/cli/program.js";
import { run, type Io } from "../../src/cli/run.js";
import { pick, TOP_LEVEL } from "../../src/cli/top-level.js";

function capture(): { io: Io; text: () => string } {
  let out = "";
  const w = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
  return { io: { stdout: w, stderr: w, isTTY: false, env: {} } as unknown as Io, text: () => out };
}

interface Parsed {
  args: unknown[];
  opts: Opts;
  globals: Record<string, unknown>;
}

const GLOBAL_ATTRS = GLOBAL_FLAGS.map((f) => flagSpec(f)!.attr);

/** What commander hands the action of argv's command (its own action replaced, nothing run). */
async function viaCommander(argv: string[], name: string): Promise<Parsed> {
  const program = await buildProgram({ io: capture().io, exitCode: 0 }, "hecate", argv);
  const cmd = program.commands.find((c) => c.name() === name)!;
  let got: Parsed | undefined;
  cmd.action((...params: unknown[]) => {
    const all = cmd.optsWithGlobals() as Record<string, unknown>;
    got = { args: params.slice(0, -2), opts: { ...cmd.opts() }, globals: Object.fromEntries(GLOBAL_ATTRS.filter((k) => all[k] !== undefined).map((k) => [k, all[k]])) };
  });
  await program.parseAsync(argv, { from: "user" });
  assert.ok(got, `commander ran no action for ${argv.join(" ")}`);
  return got;
}

async function allDefs(): Promise<CommandDef[]> {
  return (await Promise.all(TOP_LEVEL.map(async (t) => pick(await t.load(), t.names, t.names.join("/"))))).flat();
}

/** Command lines for def: its arguments, then each flag alone, all flags, short spellings, globals around. */
function linesFor(def: CommandDef): string[][] {
  // The required arguments, then each optional one added in turn (a variadic one as two words).
  const words: string[] = [];
  const positional: string[][] = [];
  for (const p of def.args ?? []) {
    if (p.startsWith("[") && !positional.length) positional.push([...words]);
    words.push(...(p.endsWith("...>") || p.endsWith("...]") ? ["one", "two"] : [`v${words.length}`]));
    if (p.startsWith("[")) positional.push([...words]);
  }
  if (!positional.length) positional.push(words);
  const base = positional[positional.length - 1]!;
  const valueOf = (f: { choices?: readonly string[] }, i: number) => f.choices?.[f.choices.length - 1] ?? `x${i}`;
  const flagLines = (def.flags ?? []).flatMap((f, i) => {
    const s = flagSpec(f)!;
    const long = s.takesValue ? [s.long, valueOf(f, i)] : [s.long];
    return [long, ...(s.short ? [[s.short, ...long.slice(1)]] : []), ...(s.repeatable ? [[...long, ...long]] : [])];
  });
  const everyFlag = (def.flags ?? []).flatMap((f, i) => {
    const s = flagSpec(f)!;
    return s.takesValue ? [s.long, valueOf(f, i)] : [s.long];
  });
  const out: string[][] = positional.map((p) => [def.name, ...p]);
  for (const l of flagLines) out.push([def.name, ...base, ...l], [def.name, ...l, ...base]);
  out.push([def.name, ...base, ...everyFlag]);
  out.push(["-o", "json", "--store", "s.db", "--no-color", def.name, ...base]);
  out.push([def.name, ...base, "-q", "-v", "--author", "ann", "--output", "yaml", "--endpoint", "http://127.0.0.1:1"]);
  out.push(["--quiet", def.name, "--verbose", ...base, ...everyFlag]);
  return out;
}

test("every command without a noun gets from the direct parser exactly what commander gives it", async () => {
  const defs = await allDefs();
  let compared = 0;
  for (const def of defs) {
    if (def.subcommands?.length || (def.flags ?? []).some((f) => !flagSpec(f))) {
      assert.equal(parseLine(def, [def.name], 0), undefined, `${def.name}: left to commander`);
      continue;
    }
    for (const argv of linesFor(def)) {
      const direct = await directCommand(argv);
      assert.ok(direct, `hecate ${argv.join(" ")}: the direct parser did not take it`);
      assert.equal(direct.def, def);
      assert.deepEqual({ args: direct.args, opts: direct.opts, globals: direct.globals }, await viaCommander(argv, def.name), `hecate ${argv.join(" ")}`);
      compared++;
    }
  }
  // Most commands take the direct path; a change that sent them all to commander would pass the loop above.
  assert.ok(compared > 150, `only ${compared} command lines compared`);
});

test("lines the direct parser does not read one way are left to commander", async () => {
  const cases = [
    ["apply", "--help"],
    ["apply", "-h"],
    ["--version"],
    ["apply", "dir", "--max-deletes=5"],
    ["apply", "dir", "-yq"],
    ["apply", "--", "dir"],
    ["apply", "dir", "--colour"],
    ["apply", "dir", "--max-deletes"],
    ["apply", "dir", "--max-deletes", "--yes"],
    ["apply", "dir", "-o", "xml"],
    ["apply", "dir", "--yes", "--yes"],
    ["rollback", "1", "2", "3"],
    ["diff"],
    ["--store"],
    ["list", "routes"],
    ["nosuch"],
    ["apply", "dir", "--yes", "-m", "-x"],
  ];
  for (const argv of cases) assert.equal(await directCommand(argv), undefined, `hecate ${argv.join(" ")}`);
});

test("errors on lines left to commander read as they always did", async () => {
  const c = capture();
  assert.equal(await run(["apply", "dir", "--max-deletes"], c.io), 2);
  assert.match(c.text(), /option '--max-deletes <n>' argument missing/);
  const d = capture();
  assert.equal(await run(["apply", "dir", "-o", "xml"], d.io), 2);
  assert.match(d.text(), /argument 'xml' is invalid\. Allowed choices are table, json, yaml/);
});
