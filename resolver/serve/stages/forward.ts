/**
 * Stage 8 (last): asks the upstreams; SERVFAIL when none answers in time, with Extended DNS
 * Error 22 No Reachable Authority or 23 Network Error saying why.
 */
import type { QueryContext, Reply, Stage } from '../context.js';
import type { Stats } from '../stats.js';
import { type Forwarder, UpstreamError } from '../upstream.js';
import { optRecord, Rcode, reply } from '../wire.js';

export class ForwardStage implements Stage {
  readonly name = 'forward';

  constructor(
    private readonly forwarder: Forwarder,
    private readonly stats: Stats,
  ) {}

  handle(ctx: QueryContext): Reply {
    return this.forwarder.resolve(ctx.query, ctx.q).catch((error: Error) => {
      this.stats.servfail++;
      const ede =
        error instanceof UpstreamError && ctx.q.edns
          ? optRecord(ctx.q.dnssecOk, { code: error.ede, text: `Kalkan: ${error.message}` })
          : undefined;
      return reply(ctx.query, ctx.q, Rcode.ServFail, [], ede);
    });
  }
}
