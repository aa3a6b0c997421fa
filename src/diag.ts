// Diagnostics and errors as values: every layer reports problems this way, surfaces decide how to show them.

export type Severity = "error" | "warning";

/** A position in a source file, 1-based like editors show it. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

export interface Diagnostic {
  severity: Severity;
  /** Stable machine code, e.g. "schema", "dangling-ref", "duplicate-host". */
  code: string;
  message: string;
  /** Where in the YAML, when known. */
  pos?: SourcePos;
  /** Resource address, e.g. "Route/app". */
  address?: string;
  /** The offending field inside the resource, e.g. "spec.hosts[0]" (schema errors). */
  field?: string;
  /** The node of a fleet it is about (a Caddy admin endpoint as Settings name it). */
  node?: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.pos ? `${d.pos.file}:${d.pos.line}:${d.pos.col}: ` : d.address ? `${d.address}: ` : "";
  return `${where}${d.severity}: ${d.message}`;
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === "error");
}

/** The error of a state that does not validate, carrying every diagnostic (what `plan DIR` prints, locally and remotely). */
export function invalidState(diagnostics: Diagnostic[], what = "the desired state"): HecateError {
  return new HecateError("invalid", `${what} has errors (${diagnostics.filter((d) => d.severity === "error").length})`, { diagnostics });
}

/** Sort by file, line, col so output is stable and reads top to bottom. */
export function sortDiagnostics(diags: Diagnostic[]): Diagnostic[] {
  return [...diags].sort((a, b) => {
    const fa = a.pos?.file ?? "", fb = b.pos?.file ?? "";
    if (fa !== fb) return fa < fb ? -1 : 1;
    return (a.pos?.line ?? 0) - (b.pos?.line ?? 0) || (a.pos?.col ?? 0) - (b.pos?.col ?? 0);
  });
}

/**
 * An error meant for a person: a code, an actionable message, optional diagnostics.
 * The CLI maps it to exit 1 (2 for usage), the API to an HTTP status; neither prints a stack.
 */
export class HecateError extends Error {
  readonly code: string;
  readonly diagnostics: Diagnostic[];
  /** HTTP status the API should use for this error. */
  readonly status: number;
  constructor(code: string, message: string, opts: { diagnostics?: Diagnostic[]; status?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "HecateError";
    this.code = code;
    this.diagnostics = opts.diagnostics ?? [];
    this.status = opts.status ?? 400;
  }
}

export class UsageError extends HecateError {
  constructor(message: string) {
    super("usage", message, { status: 400 });
    this.name = "UsageError";
  }
}
