/**
 * Lists-ready stage: never silently unfiltered. While a required list has no usable copy (a
 * first start with the list server down), every query that would be answered from the cache or
 * the upstreams is answered SERVFAIL with Extended DNS Error 14 Not Ready (RFC 8914) instead.
 * Names the lists that did load block are still answered as blocked by the stages before it;
 * nothing is forwarded, so nothing is cached until the filter is ready.
 */
import { RCODE } from '../../dns/codes.js';
import { optRecord } from '../../dns/opt.js';
import { reply } from '../../dns/reply.js';
import type { FastNext, Next, QueryContext, Reply, Stage } from '../context.js';
import type { Stats } from '../stats.js';

export const EDE_NOT_READY = 14;

export interface Readiness {
  /** False while a required list has no usable copy. */
  readonly ready: boolean;
}

export class ListsReadyStage implements Stage {
  readonly name = 'lists-ready';
  private readonly opts = [false, true].map((dnssecOk) =>
    optRecord(dnssecOk, {
      code: EDE_NOT_READY,
      text: 'Kalkan filter not ready: a required list has no usable copy yet',
    }),
  );

  constructor(
    private readonly lists: Readiness,
    private readonly stats: Stats,
  ) {}

  handle(ctx: QueryContext, next: Next): Reply {
    if (this.lists.ready) return next(ctx);
    this.stats.servfail++;
    const { query, q } = ctx;
    return reply(query, q, RCODE.SERVFAIL, [], this.opts[q.dnssecOk ? 1 : 0]);
  }

  fast(next: FastNext): FastNext {
    return (ctx) => (this.lists.ready ? next(ctx) : undefined);
  }
}
