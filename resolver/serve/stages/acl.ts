/** Stage 1: never an open resolver. Clients outside the allowed subnets get REFUSED. */

import { VerdictCache } from '../../../blocklists/verdict-cache.js';
import type { AddressSet } from '../../net/address-set.js';
import type { Next, QueryContext, Reply, Stage } from '../context.js';
import type { Stats } from '../stats.js';
import { Rcode, reply } from '../wire.js';

/** Per-address answers remembered (a bounded map; the subnet check runs once per client). */
const MEMO_SIZE = 10_000;

export class AclStage implements Stage {
  readonly name = 'acl';
  private readonly memo = new VerdictCache<boolean>(MEMO_SIZE);

  constructor(
    private readonly allowed: AddressSet,
    private readonly stats: Stats,
  ) {}

  /** Whether this client may ask at all (also used by the UDP fast path). */
  allows(client: string): boolean {
    let ok = this.memo.get(client);
    if (ok === undefined) {
      ok = this.allowed.has(client);
      this.memo.set(client, ok);
    }
    return ok;
  }

  handle(ctx: QueryContext, next: Next): Reply {
    if (this.allows(ctx.client)) return next(ctx);
    this.stats.refused++;
    return reply(ctx.query, ctx.q, Rcode.Refused);
  }
}
