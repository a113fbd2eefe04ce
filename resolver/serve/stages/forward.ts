/** Stage 8 (last): asks the upstreams; SERVFAIL when none answers in time. */
import type { QueryContext, Reply, Stage } from '../context.js';
import type { Stats } from '../stats.js';
import type { Forwarder } from '../upstream.js';
import { Rcode, reply } from '../wire.js';

export class ForwardStage implements Stage {
  readonly name = 'forward';

  constructor(
    private readonly forwarder: Forwarder,
    private readonly stats: Stats,
  ) {}

  handle(ctx: QueryContext): Reply {
    return this.forwarder.resolve(ctx.query, ctx.q).catch(() => {
      this.stats.servfail++;
      return reply(ctx.query, ctx.q, Rcode.ServFail);
    });
  }
}
