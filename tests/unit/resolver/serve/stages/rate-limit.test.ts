import { describe, expect, it } from 'vitest';
import { chain, fastChain } from '../../../../../resolver/serve/context.js';
import { RateLimitStage } from '../../../../../resolver/serve/stages/rate-limit.js';
import { Stats } from '../../../../../resolver/serve/stats.js';
import { answering, fastCtx } from './fast-context.js';
import { ctx, OK, onError } from './stage-context.js';

describe('rate-limit stage', () => {
  it('allows a burst, then refills at the configured rate, per client', () => {
    let now = 0;
    const stats = new Stats();
    const run = chain([new RateLimitStage(2, 3, stats, () => now), answering(OK)], onError);
    const codes = () => Array.from({ length: 4 }, () => run(ctx('10.0.0.1')));
    expect(codes().map((r) => r === OK)).toEqual([true, true, true, false]);
    expect(run(ctx('10.0.0.2'))).toBe(OK); // another client has its own bucket
    now += 1000; // two tokens back
    expect(codes().map((r) => r === OK)).toEqual([true, true, false, false]);
    expect(stats.rateLimited).toBe(3);
  });

  it('fast form: takes a token only when the query is answered, leaves the refusal to the chain', () => {
    const stats = new Stats();
    const stage = new RateLimitStage(1, 2, stats, () => 0);
    const declined = fastChain([
      stage,
      { name: 'declines', handle: () => OK, fast: () => () => undefined },
    ]);
    for (let i = 0; i < 5; i++) expect(declined(fastCtx('10.0.0.1'))).toBeUndefined();
    const answered = fastChain([stage, answering(OK)]);
    expect(answered(fastCtx('10.0.0.1'))).toBe(OK); // the declined ones took nothing
    expect(answered(fastCtx('10.0.0.1'))).toBe(OK);
    expect(answered(fastCtx('10.0.0.1'))).toBeUndefined(); // burst 2 spent
    expect(stats.rateLimited).toBe(0); // the chain counts it when it refuses
  });
});
