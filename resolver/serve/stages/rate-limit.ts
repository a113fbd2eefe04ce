/**
 * Stage 2: a token bucket per client address. Over the limit a client gets REFUSED (a small
 * answer, so no amplification) and the rate-limited counter goes up.
 */

import { VerdictCache } from '../../../blocklists/verdict-cache.js';
import type { Next, QueryContext, Reply, Stage } from '../context.js';
import type { Stats } from '../stats.js';
import { Rcode, reply } from '../wire.js';

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimitStage implements Stage {
  readonly name = 'rate-limit';
  private readonly buckets = new VerdictCache<Bucket>(100_000);

  constructor(
    /** Queries per second refilled; 0 turns the limit off. */
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly stats: Stats,
    private readonly now: () => number = performance.now.bind(performance),
  ) {}

  /** Takes one token from the client's bucket; false when it has none (also used by the fast path). */
  take(client: string): boolean {
    if (this.perSecond <= 0) return true;
    const now = this.now();
    let bucket = this.buckets.get(client);
    if (!bucket) {
      bucket = { tokens: this.burst, at: now };
      this.buckets.set(client, bucket);
    } else {
      bucket.tokens = Math.min(
        this.burst,
        bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond,
      );
      bucket.at = now;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  handle(ctx: QueryContext, next: Next): Reply {
    if (this.take(ctx.client)) return next(ctx);
    this.stats.rateLimited++;
    return reply(ctx.query, ctx.q, Rcode.Refused);
  }
}
