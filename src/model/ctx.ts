// What the semantic checks share: a checked document with its source positions, and a collector
// of diagnostics that fills in position and address.
import type { Diagnostic, Severity, SourcePos } from "../diag.js";
import type { Where } from "./check.js";
import type { PathSeg } from "./load.js";
import type { Resource } from "./schema.js";

export interface Entry<R extends Resource = Resource> {
  resource: R;
  where: Where;
  /** "Route/app" */
  address: string;
}

export class Reporter {
  readonly diagnostics: Diagnostic[] = [];

  report(severity: Severity, code: string, message: string, entry?: Entry, path: PathSeg[] = [], opts: { key?: boolean } = {}): void {
    const d: Diagnostic = { severity, code, message };
    const pos = entry ? posOf(entry, path, opts.key) : undefined;
    if (pos) d.pos = pos;
    if (entry) d.address = entry.address;
    this.diagnostics.push(d);
  }
  error(code: string, message: string, entry?: Entry, path: PathSeg[] = [], opts: { key?: boolean } = {}): void {
    this.report("error", code, message, entry, path, opts);
  }
  warn(code: string, message: string, entry?: Entry, path: PathSeg[] = [], opts: { key?: boolean } = {}): void {
    this.report("warning", code, message, entry, path, opts);
  }
}

export function posOf(entry: Entry, path: PathSeg[], key = false): SourcePos | undefined {
  return key ? (entry.where.keyPos?.(path) ?? entry.where.pos?.(path)) : entry.where.pos?.(path);
}

/** "file:line:col" of a field, or the resource address when it has no source. */
export function where(entry: Entry, path: PathSeg[]): string {
  const p = posOf(entry, path);
  return p ? `${p.file}:${p.line}:${p.col}` : entry.address;
}
