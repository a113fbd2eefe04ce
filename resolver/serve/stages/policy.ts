/**
 * Stage 3: the client's policy (categories blocked, safe search): a named device, else the
 * first policy whose subnets hold it, else the default, with schedules applied
 * (resolver/policies/client-policies.ts, which remembers the answer per address).
 */
import type { Next, Policy, QueryContext, Reply, Stage } from '../context.js';

export interface PolicySource {
  policyFor(client: string): Policy;
}

export class PolicyStage implements Stage {
  readonly name = 'policy';

  constructor(private readonly source: PolicySource) {}

  /** The client's policy (also used by the UDP fast path). */
  policyFor(client: string): Policy {
    return this.source.policyFor(client);
  }

  handle(ctx: QueryContext, next: Next): Reply {
    ctx.policy = this.policyFor(ctx.client);
    return next(ctx);
  }
}
