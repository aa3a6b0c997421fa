// The sandbox's record of the requests it served, so tests and `hecate` can count reads and writes. No headers, so no tokens.

export interface LoggedRequest {
  /** 1-based, in arrival order. */
  n: number;
  method: string;
  path: string;
  /** The raw query string without "?", "" when none. */
  query: string;
  status: number;
  /** ISO time the request arrived. */
  time: string;
  /** Anything but GET/HEAD: what counts against "write only what changed". */
  write: boolean;
}

export class RequestLog {
  private readonly entries: LoggedRequest[] = [];
  private count = 0;

  /** Reserve the next request number (faults address requests by it). */
  next(): number {
    return ++this.count;
  }

  add(entry: LoggedRequest): void {
    this.entries.push(entry);
  }

  all(): LoggedRequest[] {
    return this.entries.map((e) => ({ ...e }));
  }

  clear(): void {
    this.entries.length = 0;
  }
}
