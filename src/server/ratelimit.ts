// Failed sign-ins per client address: after `max` failures within `windowMs` the address is
// refused (429) until the window ends, before its token is even looked at. In memory: a restart
// forgets, which is fine for slowing down guessing.
export interface FailureLimiterOptions {
  max: number;
  windowMs: number;
  /** Addresses tracked at most (oldest dropped first), so a flood of sources cannot grow memory. */
  capacity?: number;
}

export class FailureLimiter {
  private readonly seen = new Map<string, { count: number; since: number }>();

  constructor(private readonly opts: FailureLimiterOptions) {}

  /** Milliseconds until `address` may try again (0: it may now). */
  blockedFor(address: string, now = Date.now()): number {
    const e = this.seen.get(address);
    if (!e) return 0;
    if (now - e.since >= this.opts.windowMs) {
      this.seen.delete(address);
      return 0;
    }
    return e.count >= this.opts.max ? e.since + this.opts.windowMs - now : 0;
  }

  fail(address: string, now = Date.now()): void {
    const e = this.seen.get(address);
    if (!e || now - e.since >= this.opts.windowMs) {
      this.seen.delete(address);
      this.seen.set(address, { count: 1, since: now });
      const cap = this.opts.capacity ?? 10_000;
      while (this.seen.size > cap) this.seen.delete(this.seen.keys().next().value!);
    } else e.count++;
  }

  succeed(address: string): void {
    this.seen.delete(address);
  }
}
