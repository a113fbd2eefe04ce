/**
 * Class stage: only class IN is resolved. CHAOS questions (`version.bind`, `hostname.bind`) and
 * other classes are REFUSED here rather than forwarded, so the upstream's software and host
 * names are never revealed to clients, and no class we do not filter gets past the lists.
 */
import { CLASS, RCODE } from '../../dns/codes.js';
import { reply } from '../../dns/reply.js';
import type { FastContext, FastNext, Next, QueryContext, Reply, Stage } from '../context.js';

export class ClassStage implements Stage {
  readonly name = 'class';

  handle(ctx: QueryContext, next: Next): Reply {
    if (ctx.q.qclass === CLASS.IN) return next(ctx);
    return reply(ctx.query, ctx.q, RCODE.REFUSED);
  }

  fast(ctx: FastContext, next: FastNext): Uint8Array | undefined {
    return ctx.q.qclass === CLASS.IN ? next(ctx) : undefined;
  }
}
