/**
 * Policy stage: picks the client's policy (categories blocked, safe search). A device id named
 * over DoT/DoH (`devices:` in the config) picks its device's policy; otherwise the client's
 * subnet picks it, first match wins, and the default applies to the rest. An id the config does
 * not know is dropped from the query (so it is neither counted nor remembered).
 */

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

  constructor(
    policies: readonly SubnetPolicy[],
    fallback: Policy,
    private readonly devices: ReadonlyMap<string, Policy> = new Map(),
  ) {
    this.memo = new ClientMemo(
      (client) => policies.find((p) => p.subnets.has(client))?.policy ?? fallback,
    );
  }

  /** The client's policy. */
  policyFor(client: string): Policy {
    return this.memo.get(client);
  }

  handle(ctx: QueryContext, next: Next): Reply {
    const byDevice = ctx.device === undefined ? undefined : this.devices.get(ctx.device);
    if (byDevice === undefined) ctx.device = undefined;
    ctx.policy = byDevice ?? this.policyFor(ctx.client);
    return next(ctx);
  }

  /** The fast path is plain UDP, which names no device. */
  fast(next: FastNext): FastNext {
    return (ctx) => {
      ctx.policy = this.policyFor(ctx.client);
      return next(ctx);
    };
  }
}
