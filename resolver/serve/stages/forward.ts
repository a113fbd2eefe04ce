/**
 * Forward stage (the last): asks the upstreams; SERVFAIL when none answers in time, with
 * Extended DNS Error 22 No Reachable Authority or 23 Network Error saying why.
 */
import { RCODE } from '../../dns/codes.js';
import { optRecord } from '../../dns/opt.js';
import type { Question } from '../../dns/query.js';
import { reply } from '../../dns/reply.js';
import type { QueryContext, Reply, Stage } from '../context.js';
import type { Stats } from '../stats.js';
import { UpstreamError } from '../upstream-error.js';

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
    return this.forwarder.resolve(ctx.query, ctx.q).catch((error: Error) => {
      this.stats.servfail++;
      const ede =
        error instanceof UpstreamError && ctx.q.edns
          ? optRecord(ctx.q.dnssecOk, { code: error.ede, text: `Kalkan: ${error.message}` })
          : undefined;
      return reply(ctx.query, ctx.q, RCODE.SERVFAIL, [], ede);
    });
  }
}
