/**
 * Policy stage: the client's policy (categories blocked, safe search): a named device, else the
 * first policy whose subnets hold it, else the default, with schedules applied
 * (resolver/policies/client-policies.ts, which remembers the answer per address).
 */
import type { FastNext, Next, Policy, QueryContext, Reply, Stage } from '../context.js';

export interface PolicySource {
  policyFor(client: string): Policy;
  /** Every policy `policyFor` can return; the fast path numbers its name table by them. */
  readonly all: readonly Policy[];
}

export class PolicyStage implements Stage {
  readonly name = 'policy';

  constructor(private readonly source: PolicySource) {}

  /** The client's policy. */
  policyFor(client: string): Policy {
    return this.source.policyFor(client);
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
