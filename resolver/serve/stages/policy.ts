/** Policy stage: picks the client's policy (categories blocked, safe search) by subnet; first match wins. */

import type { AddressSet } from '../../net/address-set.js';
import { ClientMemo } from '../client-memo.js';
import type { FastNext, Next, Policy, QueryContext, Reply, Stage } from '../context.js';

export interface SubnetPolicy {
  subnets: AddressSet;
  policy: Policy;
}

export class PolicyStage implements Stage {
  readonly name = 'policy';
  private readonly memo: ClientMemo<Policy>;

  constructor(policies: readonly SubnetPolicy[], fallback: Policy) {
    this.memo = new ClientMemo(
      (client) => policies.find((p) => p.subnets.has(client))?.policy ?? fallback,
    );
  }

  /** The client's policy. */
  policyFor(client: string): Policy {
    return this.memo.get(client);
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
