// A token bucket per API token, as the real API limits a project: a request takes one token, tokens refill steadily.

export interface RateLimitOptions {
  /** Bucket size; the real API: 3600. */
  limit: number;
  /** Tokens added per second; the real API: 1. */
  refillPerSecond: number;
}

export const REAL_RATE_LIMIT: RateLimitOptions = { limit: 3600, refillPerSecond: 1 };

export interface RateState {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Unix seconds when the bucket is full again. */
  reset: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly opts: RateLimitOptions,
    private readonly now: () => number = Date.now,
  ) {
    if (!(opts.limit >= 1) || !(opts.refillPerSecond > 0)) throw new Error("rateLimit needs limit >= 1 and refillPerSecond > 0");
  }

  /** Take one token from a bucket (created full) and say whether the request may go on. */
  take(bucket: string): RateState {
    const now = this.now();
    const b = this.buckets.get(bucket) ?? { tokens: this.opts.limit, at: now };
    b.tokens = Math.min(this.opts.limit, b.tokens + ((now - b.at) / 1000) * this.opts.refillPerSecond);
    b.at = now;
    const allowed = b.tokens >= 1;
    if (allowed) b.tokens -= 1;
    this.buckets.set(bucket, b);
    const remaining = Math.floor(b.tokens);
    const reset = Math.ceil((now + ((this.opts.limit - b.tokens) / this.opts.refillPerSecond) * 1000) / 1000);
    return { allowed, limit: this.opts.limit, remaining, reset };
  }
}
