/** Policy stage: picks the client's policy (categories blocked, safe search) by subnet; first match wins. */

import { VerdictCache } from '../../../blocklists/verdict-cache.js';
import type { AddressSet } from '../../net/address-set.js';
import type { FastNext, Next, Policy, QueryContext, Reply, Stage } from '../context.js';

export interface SubnetPolicy {
  subnets: AddressSet;
  policy: Policy;
}

/** Per-address answers remembered (a bounded map; the subnet check runs once per client). */
const MEMO_SIZE = 10_000;

export class PolicyStage implements Stage {
  readonly name = 'policy';
  private readonly memo = new VerdictCache<Policy>(MEMO_SIZE);
  // The last client's policy: a busy client sends many queries in a row.
  private lastClient = '';
  private lastPolicy: Policy;

  constructor(
    private readonly policies: readonly SubnetPolicy[],
    private readonly fallback: Policy,
  ) {
    this.lastPolicy = fallback;
  }

  /** The client's policy. */
  policyFor(client: string): Policy {
    if (client === this.lastClient) return this.lastPolicy;
    let policy = this.memo.get(client);
    if (!policy) {
      policy = this.policies.find((p) => p.subnets.has(client))?.policy ?? this.fallback;
      this.memo.set(client, policy);
    }
    this.lastClient = client;
    this.lastPolicy = policy;
    return policy;
  }

  handle(ctx: QueryContext, next: Next): Reply {
    ctx.policy = this.policyFor(ctx.client);
    return next(ctx);
  }

  fast(next: FastNext): FastNext {
    return (ctx) => {
      ctx.policy = this.policyFor(ctx.client);
      return next(ctx);
    };
  }
}
