import { describe, expect, it } from 'vitest';
import type { Question } from '../../../../../resolver/dns/query.js';
import { chain, fastChain } from '../../../../../resolver/serve/context.js';
import { ForwardStage } from '../../../../../resolver/serve/stages/forward.js';
import { Stats } from '../../../../../resolver/serve/stats.js';
import { fastCtx } from './fast-context.js';
import { ctx, onError, rcode } from './stage-context.js';

describe('forward stage', () => {
  it("answers with the upstream's bytes for the client's question", async () => {
    const asked: Question[] = [];
    const answer = new Uint8Array(12);
    const stage = new ForwardStage(
      {
        resolve: async (_query, q) => {
          asked.push(q);
          return answer;
        },
      },
      new Stats(),
    );
    expect(await chain([stage], onError)(ctx('127.0.0.1', 'www.example.test'))).toBe(answer);
    expect(asked.map((q) => q.name)).toEqual(['www.example.test']);
  });

  it('answers SERVFAIL and counts it when no upstream answers', async () => {
    const stats = new Stats();
    const stage = new ForwardStage(
      { resolve: () => Promise.reject(new Error('timed out')) },
      stats,
    );
    expect(rcode(await chain([stage], onError)(ctx('127.0.0.1')))).toBe(2);
    expect(stats.servfail).toBe(1);
  });

  it('has no fast form: every query reaching it takes the full chain', () => {
    const stage = new ForwardStage({ resolve: async () => new Uint8Array(12) }, new Stats());
    expect(fastChain([stage])(fastCtx('127.0.0.1'))).toBeUndefined();
  });
});
