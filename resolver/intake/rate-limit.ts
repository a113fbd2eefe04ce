/** A token bucket per client address: `burst` requests at once, refilled at `perMinute`. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** 0 when allowed (and counted), else the milliseconds until one more request is allowed. */
  take(key: string): number {
    const at = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at };
    const tokens = Math.min(
      this.burst,
      bucket.tokens + ((at - bucket.at) * this.perMinute) / 60_000,
    );
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at });
      return Math.ceil(((1 - tokens) * 60_000) / this.perMinute);
    }
    this.buckets.set(key, { tokens: tokens - 1, at });
    if (this.buckets.size > 100_000) this.forgetFull(at);
    return 0;
  }

  /** Drops buckets that have refilled, so memory stays bounded under many addresses. */
  private forgetFull(at: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((at - bucket.at) * this.perMinute) / 60_000 >= this.burst) {
        this.buckets.delete(key);
      }
    }
  }
}
