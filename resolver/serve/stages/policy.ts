/**
 * Policy stage: the client's policy (categories blocked, safe search): a named device, else the
 * first policy whose subnets hold it, else the default, with schedules applied
 * (resolver/policies/client-policies.ts, which remembers the answer per address). A device id
 * named over DoT/DoH picks its device's policy; an id the config does not know is dropped from
 * the query (so it is neither counted nor remembered) and the address decides.
 */
import type { FastNext, Next, Policy, QueryContext, Reply, Stage } from '../context.js';

export interface PolicySource {
  policyFor(client: string): Policy;
  /** Every policy `policyFor` can return; the fast path numbers its name table by them. */
  readonly all: readonly Policy[];
  /** The policy of a device id named over DoT/DoH, if the config knows it. */
  policyForDevice?(id: string): Policy | undefined;
}

export class PolicyStage implements Stage {
  readonly name = 'policy';

  constructor(private readonly source: PolicySource) {}

  /** The client's policy. */
  policyFor(client: string): Policy {
    return this.source.policyFor(client);
  }

  handle(ctx: QueryContext, next: Next): Reply {
    const byDevice =
      ctx.device === undefined ? undefined : this.source.policyForDevice?.(ctx.device);
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
