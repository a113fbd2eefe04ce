/** Stage 1: never an open resolver. Clients outside the allowed subnets get REFUSED. */

import { VerdictCache } from '../../../blocklists/verdict-cache.js';
import type { Next, QueryContext, Reply, Stage } from '../context.js';
import type { Stats } from '../stats.js';
import type { SubnetSet } from '../subnets.js';
import { Rcode, reply } from '../wire.js';

/** Per-address answers remembered (a bounded map; the subnet check runs once per client). */
const MEMO_SIZE = 10_000;

export class AclStage implements Stage {
  readonly name = 'acl';
  private readonly memo = new VerdictCache<boolean>(MEMO_SIZE);

  constructor(
    private readonly allowed: SubnetSet,
    private readonly stats: Stats,
  ) {}

  handle(ctx: QueryContext, next: Next): Reply {
    let ok = this.memo.get(ctx.client);
    if (ok === undefined) {
      ok = this.allowed.has(ctx.client);
      this.memo.set(ctx.client, ok);
    }
    if (ok) return next(ctx);
    this.stats.refused++;
    return reply(ctx.query, ctx.q, Rcode.Refused);
  }
}
