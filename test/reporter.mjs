// A compact reporter for node:test (node --test --test-reporter=./test/reporter.mjs):
// one line per test file (ok/FAIL, counts, time); every failure in full (test path, error, stack,
// the test's diagnostics, the file's stdout/stderr); a closing "N passed, N failed" line.
// The exit status stays node's own: any failure makes the run exit non-zero.
import { relative } from "node:path";
import { inspect } from "node:util";

const cwd = process.cwd();
const rel = (file) => (file ? relative(cwd, file) || file : "(no file)");
const secs = (ms) => `${(ms / 1000).toFixed(1)}s`;
const indent = (text, pad = "    ") => String(text).replace(/\n+$/, "").split("\n").map((l) => pad + l).join("\n");

/** Stack frames of node's own test machinery say nothing about the test: leave them out. */
const ownFrame = /^\s+at (?:.*\(node:|node:|new Promise \(<anonymous>\)|Array\.map \(<anonymous>\))/;

/** The error a person needs: node wraps test errors (ERR_TEST_FAILURE) around the real one. */
function describeError(err) {
  if (err === undefined || err === null) return "(no error given)";
  const real = err.code === "ERR_TEST_FAILURE" && err.cause !== undefined ? err.cause : err;
  const type = err.failureType && err.failureType !== "testCodeFailure" ? err.failureType : "";
  const kind = type ? ` (${type})` : "";
  if (typeof real === "string") return real + kind;
  if (real instanceof Error || (real && typeof real === "object" && "message" in real)) {
    const head = `${real.name ?? "Error"}${real.code ? ` [${real.code}]` : ""}: ${real.message}`;
    const stack = typeof real.stack === "string" && real.stack.includes(String(real.message)) ? real.stack : `${head}\n${real.stack ?? ""}`;
    const lines = stack.trimEnd().split("\n").filter((l) => !ownFrame.test(l));
    if (type) lines.push(`failure type: ${type}`);
    if (real.cause !== undefined && real !== err) lines.push(`cause: ${inspect(real.cause, { depth: 4 })}`);
    return lines.join("\n");
  }
  return inspect(real, { depth: 6 }) + kind;
}

/** A failed file's output, at most the last `max` lines. */
function tail(text, max = 400) {
  const lines = text.replace(/\n$/, "").split("\n");
  return lines.length <= max ? lines.join("\n") : [`(${lines.length - max} earlier lines left out)`, ...lines.slice(-max)].join("\n");
}

export default async function* compactReporter(source) {
  /** Per file: counts, failures, diagnostics by test position, raw output. */
  const files = new Map();
  const order = [];
  const total = { passed: 0, failed: 0, skipped: 0, todo: 0, files: 0, failedFiles: 0 };
  const failedNames = [];
  const started = Date.now();

  const fileOf = (file) => {
    const key = file ?? "";
    let f = files.get(key);
    if (!f) {
      f = { file: key, passed: 0, failed: 0, skipped: 0, todo: 0, failures: [], diags: new Map(), output: [], path: [], done: false, ended: false, reported: false, selfError: undefined, ms: 0 };
      files.set(key, f);
      order.push(key);
    }
    return f;
  };
  const where = (d) => `${d.file ?? ""}:${d.line ?? 0}:${d.column ?? 0}`;

  function finish(f) {
    if (f.done) return "";
    f.done = true;
    total.files++;
    // A file can fail without a failing test: a crash at import, a leaked handle, an exit code.
    if (f.selfError !== undefined && f.failed === 0) {
      f.failed++;
      f.failures.push({ name: "(the test file itself)", error: f.selfError, ms: f.ms, key: "" });
    }
    const bad = f.failed > 0;
    if (bad) total.failedFiles++;
    total.passed += f.passed;
    total.failed += f.failed;
    total.skipped += f.skipped;
    total.todo += f.todo;
    const counts = [`${f.passed} passed`, f.failed ? `${f.failed} failed` : "", f.skipped ? `${f.skipped} skipped` : "", f.todo ? `${f.todo} todo` : ""].filter(Boolean).join(", ");
    let out = `${bad ? "FAIL" : "ok  "}  ${rel(f.file).padEnd(48)} ${counts.padEnd(34)} ${secs(f.ms)}\n`;
    for (const x of f.failures) {
      const name = `${rel(f.file)} > ${x.name}`;
      failedNames.push(name);
      out += `\n--- FAIL ${name}${x.ms ? ` (${Math.round(x.ms)} ms)` : ""}\n${indent(describeError(x.error))}\n`;
      const diags = f.diags.get(x.key);
      if (diags?.length) out += `  diagnostics:\n${indent(diags.join("\n"))}\n`;
    }
    if (bad && f.output.length) out += `  output of ${rel(f.file)}:\n${indent(tail(f.output.join("")))}\n`;
    if (bad) out += "\n";
    return out;
  }

  // Node reports each file's tests in order, one file after another, but announces a file's own
  // end (test:complete named after the file) as soon as its process exits, often before its tests
  // are reported. So a file is printed once both happened: its end was announced, and the ordered
  // events moved on to another file (or the stream ended).
  let current;
  const ready = (f) => (f.ended && f.reported ? finish(f) : "");
  const ordered = (file) => {
    if (file === undefined || file === current) return "";
    const prev = current === undefined ? undefined : files.get(current);
    current = file;
    if (!prev) return "";
    prev.reported = true;
    return ready(prev);
  };

  for await (const { type, data } of source) {
    if (type === "test:stdout" || type === "test:stderr") {
      fileOf(data.file).output.push(data.message);
      continue;
    }
    if (type === "test:diagnostic") {
      if (!data.file) continue; // the runner's own closing totals: we print ours
      yield ordered(data.file);
      const f = fileOf(data.file);
      const k = where(data);
      if (!f.diags.has(k)) f.diags.set(k, []);
      f.diags.get(k).push(data.message);
      continue;
    }
    if (type === "test:complete" && data.name === data.file && data.nesting === 0) {
      const f = fileOf(data.file);
      f.ms = data.details?.duration_ms ?? 0;
      if (data.details?.passed === false && f.selfError === undefined) f.selfError = data.details.error;
      f.ended = true;
      yield ready(f);
      continue;
    }
    if (type === "test:plan" && data.file) {
      yield ordered(data.file);
      continue;
    }
    if (type === "test:start") {
      yield ordered(data.file);
      if (data.name === data.file) continue;
      const f = fileOf(data.file);
      f.path.length = data.nesting;
      f.path[data.nesting] = data.name;
      continue;
    }
    if (type !== "test:pass" && type !== "test:fail") continue;
    yield ordered(data.file);
    if (data.name === data.file) {
      // The file itself reported as a test (it crashed, or exited non-zero): why is in its output.
      const f = fileOf(data.file);
      if (type === "test:fail") f.selfError = data.details?.error;
      continue;
    }
    const f = fileOf(data.file);
    const isSuite = data.details?.type === "suite";
    const name = [...f.path.slice(0, data.nesting), data.name].filter(Boolean).join(" > ");
    if (type === "test:pass") {
      if (isSuite) continue;
      if (data.skip !== undefined && data.skip !== false) f.skipped++;
      else if (data.todo !== undefined && data.todo !== false) f.todo++;
      else f.passed++;
      continue;
    }
    // A suite failing only because its tests failed is not a failure of its own.
    const err = data.details?.error;
    if (isSuite && (err?.failureType === "subtestsFailed" || err?.cause?.failureType === "subtestsFailed" || /^\d+ subtests? failed$/.test(String(err?.message ?? "")))) continue;
    if (data.todo !== undefined && data.todo !== false) {
      f.todo++;
      continue;
    }
    f.failed++;
    f.failures.push({ name, error: err, ms: data.details?.duration_ms ?? 0, key: where(data) });
  }

  // Files node never closed (a runner error): report them too, so nothing is lost.
  for (const k of order) {
    const f = files.get(k);
    if (!f.done && (f.file || f.failures.length || f.passed)) yield finish(f);
  }
  if (failedNames.length) yield `failed:\n${failedNames.map((n) => `  ${n}`).join("\n")}\n`;
  const extra = [total.skipped ? `${total.skipped} skipped` : "", total.todo ? `${total.todo} todo` : ""].filter(Boolean);
  yield `${total.passed} passed, ${total.failed} failed${extra.length ? `, ${extra.join(", ")}` : ""} (${total.files} file${total.files === 1 ? "" : "s"}, ${secs(Date.now() - started)})\n`;
}
