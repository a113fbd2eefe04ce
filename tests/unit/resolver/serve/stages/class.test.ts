import { describe, expect, it } from 'vitest';
import { chain, fastChain } from '../../../../../resolver/serve/context.js';
import { ClassStage } from '../../../../../resolver/serve/stages/class.js';
import { answering, fastCtx } from './fast-context.js';
import { ctx, OK, onError, rcode } from './stage-context.js';

describe('class stage', () => {
  it('hands class IN on and refuses CHAOS (version.bind) and other classes', () => {
    const run = chain([new ClassStage(), answering(OK)], onError);
    expect(run(ctx('127.0.0.1'))).toBe(OK);
    expect(rcode(run(ctx('127.0.0.1', 'version.bind', 'TXT', 'CH')))).toBe(5);
    expect(rcode(run(ctx('127.0.0.1', 'a.test', 'A', 'HS')))).toBe(5);
  });

  it('fast form: class IN on, anything else to the full chain', () => {
    const run = fastChain([new ClassStage(), answering(OK)]);
    expect(run(fastCtx('127.0.0.1'))).toBe(OK);
    const chaos = fastCtx('127.0.0.1');
    chaos.q.qclass = 3;
    expect(run(chaos)).toBeUndefined();
  });
});
