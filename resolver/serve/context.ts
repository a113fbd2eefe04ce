/**
 * What every stage sees: the query's bytes, its parsed question, who asked and over what,
 * and what earlier stages decided. A stage answers (returns bytes) or hands on to `next`.
 * Replies are synchronous where they can be (blocked, cached) so the hot path never awaits.
 *
 * A stage may also offer a fast form for the UDP fast path: synchronous, on a context whose
 * question name is not built as a string (the stage asks `facts()` instead), returning bytes
 * or undefined to hand the query to the full chain. A stage without a fast form ends the fast
 * path there, so a new stage can never be skipped by it.
 */
import type { Verdict } from '../../blocklists/matcher.js';
import type { Question } from '../dns/query.js';
import type { CachedAnswer } from './cached-answer.js';

export interface Policy {
  name: string;
  /** Categories blocked for these clients; undefined blocks every category. */
  categories: ReadonlySet<string> | undefined;
  safeSearch: boolean;
}

/** How a query came: plain DNS, DNS over TLS (RFC 7858), DNS over HTTPS (RFC 8484). */
export type Transport = 'udp' | 'tcp' | 'tls' | 'https';

export interface QueryContext {
  query: Uint8Array;
  q: Question;
  client: string;
  transport: Transport;
  /**
   * The device id an encrypted transport named (DoH path, DoT SNI label); the policy stage
   * clears it when no device of the config has it.
   */
  device?: string;
  policy?: Policy;
  /** CNAME targets in the answer, set by whichever stage produced it (cache or forward). */
  cnames?: readonly string[];
  /** Set when a list blocked the query: the query log names the category. */
  blockedCategory?: string;
}

export type Reply = Uint8Array | Promise<Uint8Array>;
export type Next = (ctx: QueryContext) => Reply;

/**
 * What the fast path has learnt about one question name under one policy, kept between
 * queries (in the name table, see name-table.ts) and dropped whenever the lists in force
 * change. Each stage keeps its own field. A view on the current query's entry: read it
 * during that query only.
 */
export interface NameFacts {
  /** Lower case, no trailing dot (built on first use in a query). */
  readonly name: string;
  /** The special-names stage answers this name itself. */
  special: boolean | undefined;
  verdict: Verdict | undefined;
  /** The cache's entry for slot 0-3 (A, A+DO, AAAA, AAAA+DO), found once by name. */
  answer(slot: number): CachedAnswer | undefined;
  setAnswer(slot: number, answer: CachedAnswer | undefined): void;
}

export interface FastContext extends QueryContext {
  /** The facts of this question's name under `policy` (set that first). */
  facts(): NameFacts;
}

/** A fast form's answer, or undefined: the full chain takes the query. */
export type FastNext = (ctx: FastContext) => Uint8Array | undefined;

export interface Stage {
  readonly name: string;
  handle(ctx: QueryContext, next: Next): Reply;
  /**
   * The synchronous form, wired once to the fast forms after it (its own closure, so that
   * every call site stays monomorphic). When it returns undefined the full chain runs the
   * query from the start, so it must leave no trace then (no counter bumped, no token taken).
   */
  fast?(next: FastNext): FastNext;
}

/** What a stage that throws or rejects gets the client instead: bytes (SERVFAIL), always. */
export type OnStageError = (stage: string, ctx: QueryContext, error: unknown) => Uint8Array;

const NO_ANSWER: Next = () => {
  throw new Error('the last stage handed the query on');
};

/**
 * Chains stages in order. Each stage runs guarded: a throw or a rejection becomes
 * `onError`'s answer, named after the stage where it happened. A stage that hands on the
 * promise of the stages after it unchanged (most do, for a forwarded query) adds no guard of
 * its own: that promise is already guarded and never rejects, and a guard per stage was a
 * promise and two closures per stage for every forwarded query, alive until its answer.
 */
export function chain(stages: readonly Stage[], onError: OnStageError): Next {
  let next = NO_ANSWER;
  for (let i = stages.length - 1; i >= 0; i--) {
    const stage = stages[i] as Stage;
    const inner = next;
    // What the stages after this one returned for the query being handled (set synchronously).
    let handedOn: Reply | undefined;
    const after: Next = (ctx) => {
      handedOn = inner(ctx);
      return handedOn;
    };
    const failed = (ctx: QueryContext) => (error: unknown) => onError(stage.name, ctx, error);
    next = (ctx) => {
      handedOn = undefined;
      try {
        const answer = stage.handle(ctx, after);
        if (answer instanceof Uint8Array) return answer;
        const guarded = answer === handedOn;
        handedOn = undefined;
        return guarded ? answer : answer.catch(failed(ctx));
      } catch (error) {
        return failed(ctx)(error);
      }
    };
  }
  return next;
}

const FAST_END: FastNext = () => undefined;

/** The same stages' fast forms in the same order, cut at the first stage without one. */
export function fastChain(stages: readonly Stage[]): FastNext {
  let next = FAST_END;
  for (let i = stages.length - 1; i >= 0; i--) {
    const stage = stages[i] as Stage;
    next = stage.fast ? stage.fast(next) : FAST_END;
  }
  return next;
}

/** Applies `f` to a reply without turning a synchronous one into a promise. */
export function thenReply(reply: Reply, f: (bytes: Uint8Array) => Uint8Array): Reply {
  return reply instanceof Uint8Array ? f(reply) : reply.then(f);
}
