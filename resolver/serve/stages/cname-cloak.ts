/**
 * CNAME-cloaking stage: an allowed name whose answer points (by CNAME) into a blocked name
 * is blocked too. Sits above the cache so the check follows the current list and the client's
 * policy, using the CNAME targets the cache or forwarder noted in the context.
 */
import {
  type FastNext,
  type Next,
  type QueryContext,
  type Reply,
  type Stage,
  thenReply,
} from '../context.js';
import type { Blocker, ListLookup } from './blocklist.js';

export class CnameCloakStage implements Stage {
  readonly name = 'cname-cloak';

  constructor(
    private readonly lists: ListLookup,
    private readonly blocker: Blocker,
  ) {}

  handle(ctx: QueryContext, next: Next): Reply {
    return thenReply(next(ctx), (answer) => this.check(ctx, answer));
  }

  fast(next: FastNext): FastNext {
    return (ctx) => {
      const answer = next(ctx);
      return answer === undefined ? undefined : this.check(ctx, answer);
    };
  }

  private check(ctx: QueryContext, answer: Uint8Array): Uint8Array {
    if (!ctx.cnames) return answer;
    for (const target of ctx.cnames) {
      const verdict = this.lists.match(target, ctx.policy);
      if (verdict.blocked) return this.blocker.blocked(ctx, verdict);
    }
    return answer;
  }
}
