// Hostile and mangled YAML through the loader and the model: every input ends as diagnostics with
// a position, never an exception, and quickly. Cases come from a seeded PRNG so a failure
// reproduces: the message names the seed and case; rerun with HECATE_FUZZ_SEED=<seed>. The cases
// run in a worker thread, so a case that never returns is stopped and named instead of hanging.
import { test } from "node:test";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseYamlText, resolveState } from "../../src/model/index.js";
import { formatDiagnostic } from "../../src/diag.js";
import { prng } from "../helpers/prng.js";

const SEED = Number(process.env.HECATE_FUZZ_SEED ?? 20261201);
const MUTATED_CASES = 400;
/** Longest one case may take: a parser that goes quadratic on some input counts as a hang. */
const CASE_BUDGET_MS = 2000;
/** A case still running after this long is stuck: the worker is stopped. */
const CASE_HANG_MS = 10_000;


function yamlFiles(d: string): string[] {
  return readdirSync(d).flatMap((n) => {
    const p = join(d, n);
    return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(n) ? [p] : [];
  });
}

/** Tokens that make YAML interesting: anchors, aliases, merges, tags, flow, directives, odd bytes. */
const TOKENS = ["&a ", "*a", "*b", "&b [*a, *a, *a]", "<<: *a", "!!binary ", "!!map ", "!custom ", "{", "}", "[", "]", "- ", ": ", "? ", "---\n", "...\n", "%YAML 1.1\n", "\t", "\u0000", "\uFEFF", "'", '"', "|\n", ">-\n", "#", "\r", "\u2028", "0x", "1e999", "~", "null", "@"];

function mutate(text: string, rnd: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const at = () => Math.floor(rnd() * (text.length + 1));
  const rounds = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < rounds; i++) {
    const p = at();
    switch (Math.floor(rnd() * 6)) {
      case 0: text = text.slice(0, p) + pick(TOKENS) + text.slice(p); break;
      case 1: text = text.slice(0, p) + text.slice(p + 1 + Math.floor(rnd() * 40)); break;
      case 2: { const q = at(); const [a, b] = p < q ? [p, q] : [q, p]; text = text.slice(0, b) + text.slice(a, b) + text.slice(b); break; }
      case 3: text = text.slice(0, p) + String.fromCharCode(Math.floor(rnd() * 256)) + text.slice(p + 1); break;
      case 4: { const lines = text.split("\n"); const l = Math.floor(rnd() * lines.length); lines[l] = " ".repeat(Math.floor(rnd() * 5)) + lines[l]; text = lines.join("\n"); break; }
      default: { const lines = text.split("\n"); const x = Math.floor(rnd() * lines.length), y = Math.floor(rnd() * lines.length); [lines[x], lines[y]] = [lines[y]!, lines[x]!]; text = lines.join("\n"); }
    }
  }
  return text;
}

function bomb(depth: number, fanout: number): string {
  const lines = ["l0: &l0 [lol, lol, lol]"];
  for (let i = 1; i <= depth; i++) lines.push(`l${i}: &l${i} [${Array(fanout).fill(`*l${i - 1}`).join(", ")}]`);
  return lines.join("\n") + "\n";
}

const HEADER = "apiVersion: hecate.io/v1\nkind: Route\nmetadata:\n  name: fuzz\nspec:\n";

function hostile(rnd: () => number): [string, string][] {
  const junk = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256))).toString("latin1");
  return [
    ["alias bomb", bomb(9, 9)],
    ["alias bomb inside a resource", HEADER + "  hosts: &h [a.example.com, b.example.com]\n  upstreams: " + bomb(6, 10).split("\n").map((l) => "  " + l).join("\n")],
    ["unresolved alias", HEADER + "  hosts: *nowhere\n"],
    ["self-referencing anchor", "a: &a [*a]\n"],
    ["merge of an alias", HEADER + "  base: &b {public: true}\n  <<: *b\n"],
    ["deep flow sequence", HEADER + "  hosts: " + "[".repeat(20_000) + "]".repeat(20_000) + "\n"],
    ["deep flow mapping", HEADER + "  headers: " + "{a: ".repeat(5_000) + "1" + "}".repeat(5_000) + "\n"],
    ["deep block nesting", Array.from({ length: 3_000 }, (_, i) => " ".repeat(i) + "a:").join("\n")],
    ["deep but parseable", HEADER + "  headers: " + "{a: ".repeat(600) + "1" + "}".repeat(600) + "\n"],
    ["huge scalar", HEADER.replace("name: fuzz", `name: ${"a".repeat(2_000_000)}`)],
    ["huge key", `${"k".repeat(200_000)}: 1\n`],
    ["many documents", "---\n{}\n".repeat(5_000)],
    ["binary junk", junk(4_096)],
    ["binary after a header", HEADER + junk(1_024)],
    ["NUL bytes", HEADER + "  hosts: [\u0000\u0000]\n"],
  ];
}

/** Why the case fails (an exception, no position, too slow), or undefined. */
function check(name: string, text: string): string | undefined {
  const started = Date.now();
  try {
    const loaded = parseYamlText(text, "fuzz.yaml");
    for (const d of loaded.diagnostics) {
      if (!(d.pos && d.pos.file === "fuzz.yaml" && d.pos.line >= 1 && d.pos.col >= 1)) return `${name}: no position for ${formatDiagnostic(d)}`;
    }
    resolveState(loaded.docs).diagnostics.map(formatDiagnostic);
  } catch (err) {
    return `${name} threw ${(err as Error).stack ?? err}\ninput: ${JSON.stringify(text.slice(0, 400))}`;
  }
  const took = Date.now() - started;
  return took < CASE_BUDGET_MS ? undefined : `${name} took ${took} ms`;
}

type Suite = "hostile" | "mutated";

/** The cases of one suite, generated from the seed. */
function* cases(suite: Suite): Generator<[string, string]> {
  const rnd = prng(SEED);
  if (suite === "hostile") return yield* hostile(rnd);
  const files = yamlFiles("examples").sort().map((f) => [f, readFileSync(f, "utf8")] as const);
  for (let i = 0; i < MUTATED_CASES; i++) {
    const [file, text] = files[i % files.length]!;
    yield [`case ${i} (${file})`, mutate(text, rnd)];
  }
}

type Report = { started: string } | { failure: string } | { done: true };

/** Runs a suite in a worker; resolves with every failure, a stuck case included. */
function runSuite(suite: Suite): Promise<string[]> {
  // The worker loads this file again through tsx, which a plain worker would not know.
  const boot = `(async () => { const { register } = await import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}); register(); await import(${JSON.stringify(import.meta.url)}); })()`;
  const worker = new Worker(boot, { eval: true, workerData: { suite } });
  const failures: string[] = [];
  return new Promise((resolve, reject) => {
    let current = "(starting)";
    let timer: NodeJS.Timeout | undefined;
    const watch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        failures.push(`${current} (HECATE_FUZZ_SEED=${SEED}) did not finish within ${CASE_HANG_MS} ms`);
        void worker.terminate().then(() => resolve(failures));
      }, CASE_HANG_MS);
    };
    watch();
    worker.on("message", (m: Report) => {
      if ("started" in m) (current = m.started), watch();
      else if ("failure" in m) failures.push(`${m.failure} (HECATE_FUZZ_SEED=${SEED})`);
      else {
        clearTimeout(timer);
        void worker.terminate().then(() => resolve(failures));
      }
    });
    worker.on("error", (e) => (clearTimeout(timer), reject(e)));
  });
}

if (!isMainThread) {
  for (const [name, text] of cases((workerData as { suite: Suite }).suite)) {
    parentPort!.postMessage({ started: name } satisfies Report);
    const failure = check(name, text);
    if (failure) parentPort!.postMessage({ failure } satisfies Report);
  }
  parentPort!.postMessage({ done: true } satisfies Report);
} else {
  test("hostile YAML (alias bombs, unresolved aliases, deep nesting, huge scalars, binary) gives diagnostics", { timeout: 60_000 }, async () => {
    assert.deepEqual(await runSuite("hostile"), []);
  });

  test("alias and nesting problems are reported where they are, with a message that says what is wrong", () => {
    const b = parseYamlText(bomb(9, 9), "b.yaml").diagnostics.map(formatDiagnostic);
    assert.deepEqual(b, ["b.yaml:2:10: error: YAML: aliases expand to more than 100 copies (an alias bomb?); write the values out or use fewer aliases"]);
    const u = parseYamlText(HEADER + "  hosts: *nowhere\n", "u.yaml").diagnostics.map(formatDiagnostic);
    assert.deepEqual(u, ["u.yaml:6:10: error: YAML: alias *nowhere has no anchor &nowhere before it"]);
    const deep = parseYamlText("a: " + "[".repeat(20_000) + "]".repeat(20_000), "d.yaml").diagnostics.map(formatDiagnostic);
    assert.match(deep[0] ?? "", /^d\.yaml:1:\d+: error: YAML: nested too deeply to read; flatten the structure$/);
  });

  test(`${MUTATED_CASES} random mutations of examples/ give diagnostics, never an exception`, { timeout: 60_000 }, async () => {
    assert.deepEqual(await runSuite("mutated"), []);
  });
}
