// Where desired state comes from: YAML files and directories, or a git repository (local path or
// remote URL, read with the `git` CLI). Produces resources plus the revision source to record.
import { execFile } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve as resolvePath } from "node:path";
import { promisify } from "node:util";
import { HecateError, type Diagnostic } from "../diag.js";
import type { DocumentCache } from "../model/doc-cache.js";
import { loadPaths, parseFiles, type LoadResult, type Located } from "../model/load.js";
import type { Resource } from "../model/schema.js";
import type { RevisionSource } from "../store/store.js";
import type { SourceSpec } from "../engine/types.js";

const run = promisify(execFile);

export interface LoadedSource {
  docs: Located[];
  resources: Resource[];
  diagnostics: Diagnostic[];
  source: RevisionSource;
  /** Rewrite diagnostics' file paths (a temp checkout) to what the operator named. */
  relabel: (diags: Diagnostic[]) => Diagnostic[];
}

async function git(args: string[], cwd?: string): Promise<string> {
  try {
    const { stdout } = await run("git", args, { cwd, maxBuffer: 16 << 20, env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } });
    return stdout.trim();
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === "ENOENT") throw new HecateError("source", "the git program is not installed (needed for git sources)");
    const why = (err.stderr ?? err.message).trim().split("\n").filter(Boolean).pop() ?? err.message;
    throw new HecateError("source", `git ${args[0] === "-C" ? args[2] : args[0]} failed: ${why}`);
  }
}

function isLocalRepo(url: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !/^[^/]+@[^:]+:/.test(url) && existsSync(url) && statSync(url).isDirectory();
}

/** Replace a temp checkout prefix in diagnostics with something an operator recognizes. */
export function relabel(diags: Diagnostic[], from: string, to: string): Diagnostic[] {
  return diags.map((d) => ({
    ...d,
    message: d.message.split(from).join(to),
    ...(d.pos ? { pos: { ...d.pos, file: d.pos.file.startsWith(from) ? to + d.pos.file.slice(from.length) : d.pos.file } } : {}),
  }));
}

/** `documents`: reuse documents read before (a server sent the same files again). */
export async function loadSource(spec: SourceSpec, opts: { documents?: DocumentCache } = {}): Promise<LoadedSource> {
  if (spec.type === "files") return loadFiles(spec, opts.documents);
  if (spec.type === "dir") {
    const r = await loadPaths(spec.paths);
    return {
      docs: r.docs,
      resources: r.docs.map((d) => d.resource),
      diagnostics: r.diagnostics,
      source: { type: "file", location: spec.paths.map((p) => resolvePath(p)).join(",") },
      relabel: (d) => d,
    };
  }
  const sub = spec.path ?? ".";
  if (isLocalRepo(spec.url) && !spec.ref) {
    // The working tree as it is, with the commit it sits on.
    const top = await git(["-C", spec.url, "rev-parse", "--show-toplevel"]);
    const commit = await git(["-C", spec.url, "rev-parse", "HEAD"]);
    const r = await loadPaths([join(spec.url, sub)]);
    return {
      docs: r.docs,
      resources: r.docs.map((d) => d.resource),
      diagnostics: r.diagnostics,
      source: { type: "git", location: resolvePath(top), commit },
      relabel: (d) => d,
    };
  }
  const dir = await mkdtemp(join(tmpdir(), "hecate-git-"));
  try {
    const url = isLocalRepo(spec.url) ? `file://${resolvePath(spec.url)}` : spec.url;
    await git(["clone", "--quiet", "--depth", "1", ...(spec.ref ? ["--branch", spec.ref] : []), "--", url, dir]);
    const commit = await git(["-C", dir, "rev-parse", "HEAD"]);
    const r = await loadPaths([join(dir, sub)]);
    const label = `${spec.url}${spec.ref ? `@${spec.ref}` : ""}`;
    return {
      docs: r.docs,
      resources: r.docs.map((d) => d.resource),
      diagnostics: relabel(r.diagnostics, dir, label),
      source: { type: "git", location: spec.url, ...(spec.ref ? { ref: spec.ref } : {}), commit },
      relabel: (d) => relabel(d, dir, label),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function loadFiles(spec: Extract<SourceSpec, { type: "files" }>, documents?: DocumentCache): LoadedSource {
  documents?.begin();
  let r: LoadResult;
  try {
    r = parseFiles(spec.files, documents ? (content, file) => documents.parse(content, file) : undefined);
  } finally {
    documents?.end();
  }
  const empty: Diagnostic[] = spec.files.length ? [] : [{ severity: "warning", code: "empty", message: `${spec.location}: no *.yaml or *.yml files found` }];
  return { docs: r.docs, resources: r.docs.map((d) => d.resource), diagnostics: [...empty, ...r.diagnostics], source: { type: "file", location: spec.location }, relabel: (d) => d };
}
