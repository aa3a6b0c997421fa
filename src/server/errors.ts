// One function turns any error into the API's JSON answer: a HecateError keeps its code, message,
// diagnostics and status (the codes the CLI prints with -o json); anything else is a 500 with
// its first line only. Never a stack trace.
import { HTTPException } from "hono/http-exception";
import { ZodError } from "zod";
import { HecateError, type Diagnostic } from "../diag.js";
import { formatPath } from "../model/check.js";

export interface ErrorAnswer {
  status: number;
  body: { error: { code: string; message: string; diagnostics: Diagnostic[] } } & Record<string, unknown>;
}

export function errorAnswer(err: unknown): ErrorAnswer {
  if (err instanceof HecateError) {
    const extra = (err as HecateError & { extra?: Record<string, unknown> }).extra ?? {};
    return { status: err.status, body: { error: { code: err.code, message: err.message, diagnostics: err.diagnostics }, ...extra } };
  }
  if (err instanceof HTTPException) {
    const status = err.status;
    const code = status === 400 ? "bad-request" : status === 401 ? "unauthorized" : status === 404 ? "not-found" : "http";
    return { status, body: { error: { code, message: err.message || "bad request", diagnostics: [] } } };
  }
  if (err instanceof ZodError) return { status: 400, body: { error: zodError(err) } };
  const message = err instanceof Error ? (err.message.split("\n")[0] ?? "") : String(err);
  return { status: 500, body: { error: { code: "internal", message: `internal error: ${message}`, diagnostics: [] } } };
}

/** zod issues of a query, path or plain body as diagnostics that name the field. */
export function zodError(err: ZodError, where = "request"): { code: string; message: string; diagnostics: Diagnostic[] } {
  const diagnostics = err.issues.map((i): Diagnostic => {
    const path = i.path.filter((p): p is string | number => typeof p !== "symbol");
    const field = formatPath(path);
    return { severity: "error", code: "schema", message: field ? `${field}: ${i.message}` : i.message, ...(field ? { field } : {}) };
  });
  return { code: "invalid", message: `the ${where} is not valid (${diagnostics.length} error${diagnostics.length === 1 ? "" : "s"})`, diagnostics };
}

/** A HecateError that carries more fields for the JSON answer (e.g. the failed apply's result). */
export function withExtra(err: HecateError, extra: Record<string, unknown>): HecateError {
  return Object.assign(err, { extra });
}
