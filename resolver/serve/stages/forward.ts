/** Forward stage (the last): asks the upstreams; SERVFAIL when none answers in time. */
import { RCODE } from '../../dns/codes.js';
import type { Question } from '../../dns/query.js';
import { reply } from '../../dns/reply.js';
import type { QueryContext, Reply, Stage } from '../context.js';
import type { Stats } from '../stats.js';

/** Whatever asks the upstreams (the Forwarder). */
export interface Resolve {
  resolve(query: Uint8Array, q: Question): Promise<Uint8Array>;
}

export class ForwardStage implements Stage {
  readonly name = 'forward';

  constructor(
    private readonly forwarder: Resolve,
    private readonly stats: Stats,
  ) {}

  handle(ctx: QueryContext): Reply {
    return this.forwarder.resolve(ctx.query, ctx.q).catch(() => {
      this.stats.servfail++;
      return reply(ctx.query, ctx.q, RCODE.SERVFAIL);
    });
  }
}
