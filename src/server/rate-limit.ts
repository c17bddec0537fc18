/**
 * Per-key rate limiting: a token bucket per API key, in memory. One server owns the store, so
 * one process sees every request; buckets need no shared state. Buckets of keys not seen for a
 * while are dropped so memory stays bounded by the active keys.
 */
export interface BucketSpec {
  /** Tokens added per second: the sustained request rate. */
  readonly perSecond: number;
  /** Bucket size: how many requests may arrive at once. */
  readonly burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Takes one token; when none is left, how many milliseconds until one is. */
  take(key: string, spec: BucketSpec): { ok: true } | { ok: false; retryAfterMs: number } {
    const t = this.now();
    this.sweep(t);
    let b = this.buckets.get(key);
    if (b === undefined) {
      b = { tokens: spec.burst, at: t };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(spec.burst, b.tokens + ((t - b.at) / 1000) * spec.perSecond);
    b.at = t;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - b.tokens) / spec.perSecond) * 1000) };
  }

  private sweep(t: number): void {
    if (t - this.lastSweep < 60_000) return;
    this.lastSweep = t;
    // A bucket idle for a minute is full again at any sane rate: forgetting it changes nothing.
    for (const [k, b] of this.buckets) if (t - b.at > 60_000) this.buckets.delete(k);
  }
}
