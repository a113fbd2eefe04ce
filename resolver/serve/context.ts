/**
 * What every stage sees: the query's bytes, its parsed question, who asked and over what,
 * and what earlier stages decided. A stage answers (returns bytes) or hands on to `next`.
 * Replies are synchronous where they can be (blocked, cached) so the hot path never awaits.
 */
import type { Question } from './wire.js';

export interface Policy {
  name: string;
  /** Categories blocked for these clients; undefined blocks every category. */
  categories: ReadonlySet<string> | undefined;
  safeSearch: boolean;
}

export interface QueryContext {
  query: Uint8Array;
  q: Question;
  client: string;
  transport: 'udp' | 'tcp';
  policy?: Policy;
  /** CNAME targets in the answer, set by whichever stage produced it (cache or forward). */
  cnames?: readonly string[];
  /** Set when a list blocked the query: the query log names the category. */
  blockedCategory?: string;
}

export type Reply = Uint8Array | Promise<Uint8Array>;
export type Next = (ctx: QueryContext) => Reply;

export interface Stage {
  readonly name: string;
  handle(ctx: QueryContext, next: Next): Reply;
}

/** Chains stages in order; the last `next` is `end` (reached only if no stage answers). */
export function chain(stages: readonly Stage[], end: Next): Next {
  let next = end;
  for (let i = stages.length - 1; i >= 0; i--) {
    const stage = stages[i] as Stage;
    const after = next;
    next = (ctx) => stage.handle(ctx, after);
  }
  return next;
}

/** Applies `f` to a reply without turning a synchronous one into a promise. */
export function thenReply(reply: Reply, f: (bytes: Uint8Array) => Uint8Array): Reply {
  return reply instanceof Uint8Array ? f(reply) : reply.then(f);
}
