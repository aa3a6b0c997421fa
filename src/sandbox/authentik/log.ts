// The request log (method, path, status; never headers or bodies) and injected faults.

export interface LoggedRequest {
  /** 1-based position among all requests the sandbox answered. */
  seq: number;
  method: string;
  path: string;
  status: number;
  /** Body fields authentik ignores (not in the request schema), when there were any. */
  ignoredFields?: string[];
}

export interface FaultFilter {
  method?: string;
  /** Exact path, or a pattern tested against the path. */
  path?: string | RegExp;
}

export class RequestLog {
  private readonly entries: LoggedRequest[] = [];
  private seq = 0;
  private readonly failAt = new Set<number>();
  private readonly pending: { left: number; filter: FaultFilter }[] = [];

  /** Numbers the next request; true when it must answer 500. */
  begin(method: string, path: string): { seq: number; fail: boolean } {
    const seq = ++this.seq;
    if (this.failAt.delete(seq)) return { seq, fail: true };
    for (const p of this.pending) {
      const f = p.filter;
      const pathOk = f.path === undefined || (typeof f.path === "string" ? f.path === path : f.path.test(path));
      if (p.left > 0 && pathOk && (f.method === undefined || f.method.toUpperCase() === method)) {
        p.left--;
        return { seq, fail: true };
      }
    }
    return { seq, fail: false };
  }
  record(entry: LoggedRequest): void {
    this.entries.push(entry);
  }
  list(): LoggedRequest[] {
    return this.entries.map((e) => ({ ...e }));
  }
  failRequest(k: number): void {
    if (!Number.isInteger(k) || k < 1) throw new Error("failRequest: k is a 1-based request number");
    this.failAt.add(k);
  }
  failNext(count = 1, filter: FaultFilter = {}): void {
    this.pending.push({ left: count, filter });
  }
}
