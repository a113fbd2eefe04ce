/** ACL stage: never an open resolver. Clients outside the allowed subnets get REFUSED. */

import { VerdictCache } from '../../../blocklists/verdict-cache.js';
import { RCODE } from '../../dns/codes.js';
import { reply } from '../../dns/reply.js';
import type { AddressSet } from '../../net/address-set.js';
import type { FastNext, Next, QueryContext, Reply, Stage } from '../context.js';
import type { Stats } from '../stats.js';

/** Per-address answers remembered (a bounded map; the subnet check runs once per client). */
const MEMO_SIZE = 10_000;

export class AclStage implements Stage {
  readonly name = 'acl';
  private readonly memo = new VerdictCache<boolean>(MEMO_SIZE);
  // The last client's answer: a busy client sends many queries in a row.
  private lastClient = '';
  private lastAllowed = false;

  constructor(
    private readonly allowed: AddressSet,
    private readonly stats: Stats,
  ) {}

  /** Whether this client may ask at all. */
  allows(client: string): boolean {
    if (client === this.lastClient) return this.lastAllowed;
    let ok = this.memo.get(client);
    if (ok === undefined) {
      ok = this.allowed.has(client);
      this.memo.set(client, ok);
    }
    this.lastClient = client;
    this.lastAllowed = ok;
    return ok;
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
