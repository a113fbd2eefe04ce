/**
 * Rate-limit stage: a token bucket per client address. Over the limit a client gets REFUSED (a small
 * answer, so no amplification) and the rate-limited counter goes up.
 */

import { RCODE } from '../../dns/codes.js';
import { reply } from '../../dns/reply.js';
import { ClientMemo } from '../client-memo.js';
import type { FastNext, Next, QueryContext, Reply, Stage } from '../context.js';
import type { Stats } from '../stats.js';

/** Clients whose buckets are kept before the older half is dropped. */
const BUCKETS = 100_000;

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimitStage implements Stage {
  readonly name = 'rate-limit';
  private readonly buckets: ClientMemo<Bucket>;

  constructor(
    /** Queries per second refilled; 0 turns the limit off. */
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly stats: Stats,
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
