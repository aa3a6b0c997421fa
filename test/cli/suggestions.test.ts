// Every `hecate ...` command that a message, a help text or the docs tell people to run must
// exist: each subcommand and each flag is looked up in the real commander program.
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Command, Option } from "commander";
import { buildProgram } from "../../src/cli/program.js";
import { NOUNS } from "../../src/cli/nouns/index.js";
import { eosToHecate } from "../../src/cli/eos.js";

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p, ext) : ext.test(n) ? [p] : [];
  });
}

/** Command lines suggested in a file: `hecate ...` code spans, help examples, and shell lines of fenced blocks in Markdown. */
function suggestions(file: string): { where: string; line: string }[] {
  const out: { where: string; line: string }[] = [];
  const text = readFileSync(file, "utf8");
  text.split("\n").forEach((raw, i) => {
    const where = `${file}:${i + 1}`;
    // Template parts of messages, made concrete: every noun, and a word for anything else.
    const variants = raw.includes("${noun.") ? NOUNS.map((n) => raw.replaceAll("${noun.noun}", n.noun).replaceAll("${noun.plural}", n.plural)) : [raw];
    for (const v of variants) {
      const line = v.replace(/\$\{[^}]*\}/g, "X").replace(/\\`/g, "`");
      for (const m of line.matchAll(/`((?:eos-)?hecate [^`]+)`/g)) out.push({ where, line: m[1]! });
      // Help examples: a string literal that is a command line, or pipes into one.
      if (file.endsWith(".ts")) for (const m of line.matchAll(/(?:"|\| )((?:eos-)?hecate [^"`]*)"/g)) out.push({ where, line: m[1]! });
    }
  });
  if (file.endsWith(".md")) {
    let fenced = false;
    text.split("\n").forEach((l, i) => {
      if (l.startsWith("```")) fenced = !fenced;
      else if (fenced) for (const seg of l.split(/\s(?:\|\||&&|\||;)\s/)) if (/^\s*(eos-)?hecate /.test(seg)) out.push({ where: `${file}:${i + 1}`, line: seg.trim() });
    });
  }
  return out;
}

/** Placeholders in usage text ("<noun>", "NAME", "[PATHS...]", "X") stand for what the reader fills in. */
const placeholder = (w: string) => /[<[{.]|^[A-Z][A-Z0-9_-]*$|^X$/.test(w);

function words(cmdline: string): string[] {
  const first = cmdline.replace(/\s+#\s.*$/, "").split(/\s(?:\|\||&&|\||;|>)\s|\s\|\s*$/)[0]!;
  return [...first.matchAll(/'[^']*'|"[^"]*"|\S+/g)].map((m) => m[0].replace(/^['"]|['"]$/g, ""));
}

function findOption(cmd: Command, flag: string): Option | undefined {
  for (let c: Command | null = cmd; c; c = c.parent) {
    const o = c.options.find((x) => x.long === flag || x.short === flag);
    if (o) return o;
  }
  return undefined;
}

/** Why `hecate <args>` would not parse (unknown command or flag), or undefined when it would. */
function problem(program: Command, args: string[]): string | undefined {
  let cmd = program;
  let i = 0;
  const flag = (): string | undefined => {
    const name = args[i]!.split("=")[0]!;
    const o = name === "--help" || name === "-h" || name === "-" ? undefined : findOption(cmd, name);
    if (!o && name !== "--help" && name !== "-h" && name !== "-") return `${cmd.name()} has no flag ${name}`;
    i += o && (o.required || o.optional) && !args[i]!.includes("=") ? 2 : 1;
    return undefined;
  };
  while (i < args.length) {
    const w = args[i]!;
    if (w.startsWith("-")) {
      const p = flag();
      if (p) return p;
      continue;
    }
    const sub = cmd.commands.find((c) => c.name() === w || c.aliases().includes(w));
    if (sub) {
      cmd = sub;
      i++;
      continue;
    }
    if (cmd.commands.length && !placeholder(w)) return `${cmd === program ? "hecate" : cmd.name()} has no command ${w}`;
    i++;
  }
  return undefined;
}

test("every `hecate ...` suggested in src/ messages, help texts and the docs names commands and flags that exist", async () => {
  const quiet = { write: () => true };
  const program = await buildProgram({ io: { stdout: quiet, stderr: quiet, stdin: process.stdin, isTTY: false, env: {} }, exitCode: 0 });
  const sources = [...files("src", /(?<!\.test)\.ts$/), "README.md", ...files("docs", /\.md$/)];
  const found = sources.flatMap(suggestions);
  assert.ok(found.length > 100, `only ${found.length} suggestions found: the extractor is broken`);
  const bad: string[] = [];
  for (const s of found) {
    let args = words(s.line);
    if (args[0] === "eos-hecate") {
      try {
        args = ["hecate", ...eosToHecate(args.slice(1))];
      } catch {
        continue; // a usage line of eos-hecate itself ("eos-hecate <verb> hecate ...")
      }
    }
    const p = problem(program, args.slice(1));
    if (p) bad.push(`${s.where}: \`${s.line}\`: ${p}`);
  }
  assert.deepEqual(bad, []);
});
