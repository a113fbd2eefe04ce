/**
 * Rate-limit stage: a token bucket per client address. Over the limit a client gets REFUSED (a small
 * answer, so no amplification) and the rate-limited counter goes up.
 */

import { RCODE } from '../../dns/codes.js';
import { reply } from '../../dns/reply.js';
import type { FastNext, Next, QueryContext, Reply, Stage } from '../context.js';
import type { Stats } from '../stats.js';
import { TokenBuckets } from '../token-buckets.js';

export class RateLimitStage implements Stage {
  readonly name = 'rate-limit';
  private readonly buckets: TokenBuckets;

  constructor(
    /** Queries per second refilled; 0 turns the limit off. */
    private readonly perSecond: number,
    burst: number,
    private readonly stats: Stats,
    now?: () => number,
  ) {
    this.buckets = new TokenBuckets(perSecond, burst, now);
  }

  /** Takes one token from the client's bucket (or only looks); false when it has none. */
  take(client: string, consume = true): boolean {
    return this.buckets.take(client, consume);
  }

  handle(ctx: QueryContext, next: Next): Reply {
    if (this.take(ctx.client)) return next(ctx);
    this.stats.rateLimited++;
    return reply(ctx.query, ctx.q, RCODE.REFUSED);
  }

  /**
   * The token is taken only once the query is answered here; a refusal is the full chain's.
   * With the limit off the stage is not in the fast path at all.
   */
  fast(next: FastNext): FastNext {
    if (this.perSecond <= 0) return next;
    return (ctx) => {
      if (!this.take(ctx.client, false)) return undefined;
      const answer = next(ctx);
      if (answer !== undefined) this.take(ctx.client);
      return answer;
    };
  }
}
