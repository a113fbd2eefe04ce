/** Stage 3: picks the client's policy (categories blocked, safe search) by subnet; first match wins. */

import { VerdictCache } from '../../../blocklists/verdict-cache.js';
import type { AddressSet } from '../../net/address-set.js';
import type { Next, Policy, QueryContext, Reply, Stage } from '../context.js';

export interface SubnetPolicy {
  subnets: AddressSet;
  policy: Policy;
}

/** Per-address answers remembered (a bounded map; the subnet check runs once per client). */
const MEMO_SIZE = 10_000;

export class PolicyStage implements Stage {
  readonly name = 'policy';
  private readonly memo = new VerdictCache<Policy>(MEMO_SIZE);

  constructor(
    private readonly policies: readonly SubnetPolicy[],
    private readonly fallback: Policy,
  ) {}

  /** The client's policy (also used by the UDP fast path). */
  policyFor(client: string): Policy {
    let policy = this.memo.get(client);
    if (!policy) {
      policy = this.policies.find((p) => p.subnets.has(client))?.policy ?? this.fallback;
      this.memo.set(client, policy);
    }
    return policy;
  }

  handle(ctx: QueryContext, next: Next): Reply {
    ctx.policy = this.policyFor(ctx.client);
    return next(ctx);
  }
}
