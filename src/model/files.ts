// Which YAML files a path names, for every reader of desired state (loadPaths here, the CLI's
// remote mode sending them to a server): kept apart from the parser so a client need not load it.
import { isUtf8 } from "node:buffer";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Diagnostic } from "../diag.js";

const YAML_EXT = /\.ya?ml$/i;

/**
 * One YAML file as read, or sent to a server: `name` is what diagnostics call it; its text, or
 * its bytes as a server received them (checked to be UTF-8, decoded only where needed).
 */
export type YamlFile = { name: string; text: string } | { name: string; bytes: Uint8Array };

/** A file's content as text: itself, or its bytes (UTF-8, checked) decoded, a leading BOM kept. */
export function textOf(content: string | Uint8Array): string {
  return typeof content === "string" ? content : Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString("utf8");
}

/** The file itself, or a directory's *.yaml / *.yml files, recursively, in sorted order. */
function yamlFiles(p: string): string[] {
  const st = statSync(p);
  if (!st.isDirectory()) return [p];
  const out: string[] = [];
  const entries = readdirSync(p, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith(".")) continue; // .git and editor droppings
    const full = join(p, e.name);
    if (e.isDirectory()) out.push(...yamlFiles(full));
    else if (YAML_EXT.test(e.name)) out.push(full);
  }
  return out;
}

/**
 * Every YAML file PATHS name, read: what `plan DIR` parses here. A path or file that cannot be
 * read is an error diagnostic, a path with no YAML file a warning. Read synchronously: a command
 * reads its files before anything else, and fs/promises read 1.7 MB as four thread-pool round
 * trips after starting the pool (≈ 10 ms of a remote `apply DIR`).
 */
export function readYamlFiles(paths: string[]): { files: { name: string; text: string }[]; diagnostics: Diagnostic[] } {
  return readEach(paths, (name) => ({ name, text: readUtf8(name).toString("utf8") }));
}

/** The same files as bytes, as remote mode sends them (the server decodes them). */
export function readYamlBytes(paths: string[]): { files: { name: string; bytes: Buffer }[]; diagnostics: Diagnostic[] } {
  return readEach(paths, (name) => ({ name, bytes: readUtf8(name) }));
}

/** A file's bytes, refused when they are not UTF-8 (read as UTF-8 anyway, "café" in Latin-1 would become "caf\uFFFD" unnoticed). */
function readUtf8(name: string): Buffer {
  const bytes = readFileSync(name);
  if (!isUtf8(bytes)) throw new Error("not UTF-8 text (save it as UTF-8)");
  return bytes;
}

function readEach<T>(paths: string[], read: (name: string) => T): { files: T[]; diagnostics: Diagnostic[] } {
  const files: T[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const p of paths) {
    let names: string[];
    try {
      names = yamlFiles(p);
    } catch (err) {
      diagnostics.push({ severity: "error", code: "read", message: `cannot read ${p}: ${readFailure(err)}` });
      continue;
    }
    if (names.length === 0) diagnostics.push({ severity: "warning", code: "empty", message: `${p}: no *.yaml or *.yml files found` });
    for (const name of names) {
      try {
        files.push(read(name));
      } catch (err) {
        diagnostics.push({ severity: "error", code: "read", message: `cannot read ${name}: ${readFailure(err)}` });
      }
    }
  }
  return { files, diagnostics };
}

/** Why a path could not be read, in an operator's words. */
export function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOENT" ? "no such file or directory" : code === "EACCES" ? "permission denied" : String((err as Error).message);
}
