/**
 * Class stage: only class IN is resolved. CHAOS questions (`version.bind`, `hostname.bind`) and
 * other classes are REFUSED here rather than forwarded, so the upstream's software and host
 * names are never revealed to clients, and no class we do not filter gets past the lists.
 */
import { CLASS, RCODE } from '../../dns/codes.js';
import { reply } from '../../dns/reply.js';
import type { FastNext, Next, QueryContext, Reply, Stage } from '../context.js';

export class ClassStage implements Stage {
  readonly name = 'class';

  handle(ctx: QueryContext, next: Next): Reply {
    if (ctx.q.qclass === CLASS.IN) return next(ctx);
    return reply(ctx.query, ctx.q, RCODE.REFUSED);
  }

  fast(next: FastNext): FastNext {
    return (ctx) => (ctx.q.qclass === CLASS.IN ? next(ctx) : undefined);
  }
}
