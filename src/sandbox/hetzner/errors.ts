// API errors as values: one class carries status, code, message and details; api.ts turns it into the JSON body.

export interface FieldError {
  name: string;
  messages: string[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }

  toBody(): { error: { code: string; message: string; details: Record<string, unknown> } } {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

/** 422 invalid_input naming every bad field at once, like the real API. */
export function invalidInput(fields: FieldError[]): ApiError {
  const first = fields[0];
  const message = first ? `invalid input in field '${first.name}': ${first.messages.join(", ")}` : "invalid input";
  return new ApiError(422, "invalid_input", message, { fields });
}

export function invalidField(name: string, message: string): ApiError {
  return invalidInput([{ name, messages: [message] }]);
}

export const notFound = (what: string): ApiError => new ApiError(404, "not_found", `${what} not found`);

/** Collects field errors while a body is checked, so a client sees them all in one response. */
export class FieldErrors {
  private readonly fields = new Map<string, string[]>();
  add(name: string, message: string): void {
    const list = this.fields.get(name) ?? [];
    list.push(message);
    this.fields.set(name, list);
  }
  get empty(): boolean {
    return this.fields.size === 0;
  }
  throwIfAny(): void {
    if (!this.empty) throw invalidInput([...this.fields].map(([name, messages]) => ({ name, messages })));
  }
}
