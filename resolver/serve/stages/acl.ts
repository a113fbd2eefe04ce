/** ACL stage: never an open resolver. Clients outside the allowed subnets get REFUSED. */

import { RCODE } from '../../dns/codes.js';
import { reply } from '../../dns/reply.js';
import type { AddressSet } from '../../net/address-set.js';
import { ClientMemo } from '../client-memo.js';
import type { FastNext, Next, QueryContext, Reply, Stage } from '../context.js';
import type { Stats } from '../stats.js';

export class AclStage implements Stage {
  readonly name = 'acl';
  private readonly memo: ClientMemo<boolean>;

  constructor(
    allowed: AddressSet,
    private readonly stats: Stats,
  ) {
    this.memo = new ClientMemo((client) => allowed.has(client));
  }

  /** Whether this client may ask at all. */
  allows(client: string): boolean {
    return this.memo.get(client);
  }

  handle(ctx: QueryContext, next: Next): Reply {
    if (this.allows(ctx.client)) return next(ctx);
    this.stats.refused++;
    return reply(ctx.query, ctx.q, RCODE.REFUSED);
  }

  /** A refusal is the full chain's (it counts it). */
  fast(next: FastNext): FastNext {
    return (ctx) => (this.allows(ctx.client) ? next(ctx) : undefined);
  }
}
