import { describe, expect, it } from 'vitest';
import type {
  FastContext,
  FastNext,
  QueryContext,
  Stage,
} from '../../../../resolver/serve/context.js';
import { chain, fastChain } from '../../../../resolver/serve/context.js';
import { fastCtx } from './stages/fast-context.js';
import { ctx } from './stages/stage-context.js';

const OK = new Uint8Array(12);
const SERVFAIL = new Uint8Array(12).fill(2);

/** A stage that notes its name and hands on (with a fast form unless told otherwise). */
function passing(name: string, trail: string[], fast = true): Stage {
  return {
    name,
    handle: (c: QueryContext, next) => {
      trail.push(name);
      return next(c);
    },
    ...(fast && {
      fast: (next: FastNext) => (c: FastContext) => {
        trail.push(name);
        return next(c);
      },
    }),
  };
}

const last: Stage = { name: 'last', handle: () => OK, fast: () => () => OK };

describe('the chain', () => {
  it('runs the stages in the order given, fast forms in the same order', () => {
    const trail: string[] = [];
    const stages = [passing('a', trail), passing('b', trail), last];
    expect(chain(stages, () => SERVFAIL)(ctx('127.0.0.1'))).toBe(OK);
    expect(fastChain(stages)(fastCtx('127.0.0.1'))).toBe(OK);
    expect(trail).toEqual(['a', 'b', 'a', 'b']);
  });

  it('ends the fast path at a stage without a fast form, so no stage can be skipped', () => {
    const trail: string[] = [];
    const stages = [passing('a', trail), passing('new', trail, false), passing('b', trail), last];
    expect(fastChain(stages)(fastCtx('127.0.0.1'))).toBeUndefined();
    expect(trail).toEqual(['a']); // nothing after the stage without a fast form ran
  });

  it('turns a throw or a rejection into onError, named after the stage where it happened', async () => {
    const errors: string[] = [];
    const onError = (stage: string, _c: QueryContext, error: unknown) => {
      errors.push(`${stage}: ${(error as Error).message}`);
      return SERVFAIL;
    };
    const throws: Stage = {
      name: 'throws',
      handle: () => {
        throw new Error('sync');
      },
    };
    const rejects: Stage = { name: 'rejects', handle: () => Promise.reject(new Error('async')) };
    const trail: string[] = [];
    expect(chain([passing('a', trail), throws], onError)(ctx('127.0.0.1'))).toBe(SERVFAIL);
    expect(await chain([passing('a', trail), rejects], onError)(ctx('127.0.0.1'))).toBe(SERVFAIL);
    const handsOn = passing('hands-on', trail);
    expect(chain([handsOn], onError)(ctx('127.0.0.1'))).toBe(SERVFAIL);
    expect(errors).toEqual([
      'throws: sync',
      'rejects: async',
      'hands-on: the last stage handed the query on',
    ]);
  });

  it('guards a promise once: stages that hand it on unchanged add nothing, others their own guard', async () => {
    const errors: string[] = [];
    const onError = (stage: string, _c: QueryContext, error: unknown) => {
      errors.push(`${stage}: ${(error as Error).message}`);
      return SERVFAIL;
    };
    const handedOn: unknown[] = [];
    const notes: Stage = {
      name: 'notes',
      handle: (c, next) => {
        const answer = next(c);
        handedOn.push(answer);
        return answer;
      },
    };
    const trail: string[] = [];
    const later: Stage = { name: 'later', handle: () => Promise.resolve(OK) };
    const answer = chain([notes, passing('a', trail), later], onError)(ctx('127.0.0.1'));
    expect(answer).toBe(handedOn[0]); // no promise added on the way out
    expect(await answer).toBe(OK);
    // A stage that makes a promise of its own still has its failures named after it.
    const breaks: Stage = {
      name: 'breaks',
      handle: (c, next) =>
        Promise.resolve(next(c)).then(() => {
          throw new Error('after the answer');
        }),
    };
    const rejects: Stage = { name: 'rejects', handle: () => Promise.reject(new Error('async')) };
    expect(await chain([notes, breaks, later], onError)(ctx('127.0.0.1'))).toBe(SERVFAIL);
    expect(await chain([notes, passing('b', trail), rejects], onError)(ctx('127.0.0.1'))).toBe(
      SERVFAIL,
    );
    expect(errors).toEqual(['breaks: after the answer', 'rejects: async']);
  });
});
