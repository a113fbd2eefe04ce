/**
 * Stage 3b: never silently unfiltered. While a required list has no usable copy (a first start
 * with the list server down), every query that reaches the chain is answered SERVFAIL with
 * Extended DNS Error 14 Not Ready (RFC 8914) instead of being forwarded unfiltered. Blocked
 * names of the lists that did load are still answered as blocked by the fast path; nothing is
 * forwarded, so nothing is cached until the filter is ready.
 */
import type { Next, QueryContext, Reply, Stage } from '../context.js';
import type { Stats } from '../stats.js';
import { optRecord, Rcode, reply } from '../wire.js';

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
    return reply(query, q, Rcode.ServFail, [], this.opts[q.dnssecOk ? 1 : 0]);
  }
}
