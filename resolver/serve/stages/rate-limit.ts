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

  handle(ctx: QueryContext, next: Next): Reply {
    if (this.perSecond <= 0) return next(ctx);
    const now = this.now();
    let bucket = this.buckets.get(ctx.client);
    if (!bucket) {
      bucket = { tokens: this.burst, at: now };
      this.buckets.set(ctx.client, bucket);
    } else {
      bucket.tokens = Math.min(
        this.burst,
        bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond,
      );
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return next(ctx);
    }
    this.stats.rateLimited++;
    return reply(ctx.query, ctx.q, Rcode.Refused);
  }
}
