// Fault injection for tests and demos: fail the next request, or request number k, with a chosen status and code.
import { ApiError } from "./errors.js";

export interface Fault {
  status: number;
  code: string;
  message?: string;
}

const DEFAULT_CODES: Record<number, string> = { 500: "server_error", 502: "server_error", 503: "unavailable", 504: "timeout" };

export class Faults {
  private readonly queue: Fault[] = [];
  private readonly byNumber = new Map<number, Fault>();

  /** The next /v1 request (after auth and rate limiting) fails with this error. */
  failNext(fault: Partial<Fault> & { status: number }): void {
    this.queue.push(this.complete(fault));
  }

  /** Request number `n` (1-based, counting every /v1 request the sandbox has seen) fails with this error. */
  failRequest(n: number, fault: Partial<Fault> & { status: number }): void {
    this.byNumber.set(n, this.complete(fault));
  }

  /** Throw the fault due for request number `n`, if any. */
  check(n: number): void {
    const f = this.byNumber.get(n) ?? this.queue.shift();
    this.byNumber.delete(n);
    if (f) throw new ApiError(f.status, f.code, f.message ?? `injected failure (${f.code})`);
  }

  clear(): void {
    this.queue.length = 0;
    this.byNumber.clear();
  }

  private complete(f: Partial<Fault> & { status: number }): Fault {
    return { status: f.status, code: f.code ?? DEFAULT_CODES[f.status] ?? "server_error", ...(f.message ? { message: f.message } : {}) };
  }
}
