// API errors as values, and the one place that turns them into authentik's JSON answers.

import type { Context } from "hono";

/** Field errors in Django REST framework's shape: `{field: ["msg"], non_field_errors: ["msg"]}`. */
export type FieldErrors = Record<string, string[]>;

export class ApiError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 405 | 415 | 500,
    readonly body: Record<string, unknown>,
  ) {
    super(typeof body.detail === "string" ? body.detail : JSON.stringify(body));
  }
}

export const notFound = (): ApiError => new ApiError(404, { detail: "Not found." });
export const badRequest = (errors: FieldErrors): ApiError => new ApiError(400, errors);
export const forbidden = (detail: string): ApiError => new ApiError(403, { detail });

/** Adds `msg` under `field`, keeping earlier messages. */
export function addError(errors: FieldErrors, field: string, msg: string): void {
  (errors[field] ??= []).push(msg);
}

/** Throws a 400 when any field has an error. */
export function throwIfAny(errors: FieldErrors): void {
  if (Object.keys(errors).length > 0) throw badRequest(errors);
}

/** Hono's onError: ApiError → its status and body; anything else → 500 without internals. */
export function handleError(err: Error, c: Context): Response {
  if (err instanceof ApiError) return c.json(err.body, err.status);
  console.error("authentik sandbox: internal error:", err);
  return c.json({ detail: "A server error occurred." }, 500);
}
