/**
 * A token bucket per client address: `burst` at once, refilled at `perSecond`, kept in a
 * bounded per-client memo so a LAN of strangers cannot grow it without end. Used by the DNS
 * rate-limit stage and by the status page's report form.
 */
import { ClientMemo } from './client-memo.js';

/** Clients whose buckets are kept before the older half is dropped. */
const BUCKETS = 100_000;

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBuckets {
  private readonly buckets: ClientMemo<Bucket>;

  constructor(
    /** Tokens refilled per second; 0 turns the limit off. */
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    this.buckets = new ClientMemo(() => ({ tokens: burst, at: now() }), BUCKETS);
  }

  /** Takes one token from the client's bucket (or only looks); false when it has none. */
  take(client: string, consume = true): boolean {
    if (this.perSecond <= 0) return true;
    const now = this.now();
    const bucket = this.buckets.get(client);
    bucket.tokens = Math.min(
      this.burst,
      bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond,
    );
    bucket.at = now;
    if (bucket.tokens < 1) return false;
    if (consume) bucket.tokens -= 1;
    return true;
  }
}
