// The CLI builds only the command argv names (start-up, issue 17). What a user sees must not
// depend on that: every command's --help, an unknown word's suggestion and --version read exactly
// as with the whole tree built.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Command } from "commander";
import { buildProgram } from "../../src/cli/program.js";
import { run } from "../../src/cli/run.js";
import type { Io } from "../../src/cli/run.js";

function capture(): { io: Partial<Io>; text: () => string } {
  let out = "";
  const w = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
  return { io: { stdout: w, stderr: w, isTTY: false, env: {} } as Partial<Io>, text: () => out };
}

/** What argv prints with every command defined (the old behaviour), without the lazy path. */
async function whole(argv: string[]): Promise<string> {
  const c = capture();
  const program = await buildProgram({ io: c.io as Io, exitCode: 0 });
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch {
    // commander's exit after help or an unknown word; the text is what counts here
  }
  return c.text();
}

async function lazy(argv: string[]): Promise<string> {
  const c = capture();
  await run(argv, c.io);
  return c.text();
}

function paths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => [[...prefix, c.name()], ...paths(c, [...prefix, c.name()])]);
}

test("every command's --help, suggestions and --version read the same when only the named command is built", async () => {
  const all = paths(await buildProgram({ io: capture().io as Io, exitCode: 0 }));
  assert.ok(all.length > 100, `only ${all.length} commands found`);
  const cases = [["--help"], ["--version"], ["lst"], ["list", "rutes"], ["-o", "json", "list", "--help"], ["--store", "x.db", "cert", "--help"], ...all.map((p) => [...p, "--help"])];
  for (const argv of cases) {
    const want = await whole(argv);
    const got = await lazy(argv);
    // run() adds its own error line after commander's message; the message itself must be the same.
    assert.ok(got === want || got.startsWith(want.trimEnd()), `hecate ${argv.join(" ")}:\n--- lazy\n${got}\n--- whole\n${want}`);
  }
});
