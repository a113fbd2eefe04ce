import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../../../../blocklists/matcher.js';
import type { FastContext, QueryContext, Stage } from '../../../../../resolver/serve/context.js';
import { chain, fastChain } from '../../../../../resolver/serve/context.js';
import { Blocker } from '../../../../../resolver/serve/stages/blocklist.js';
import { CnameCloakStage } from '../../../../../resolver/serve/stages/cname-cloak.js';
import { Stats } from '../../../../../resolver/serve/stats.js';
import { fastCtx } from './fast-context.js';
import { ctx, OK, onError, rcode } from './stage-context.js';

const lists = {
  match: (name: string): Verdict =>
    name.endsWith('tracker.test')
      ? { blocked: true, category: 'abuse', listId: 'a' }
      : { blocked: false },
};
const blocker = new Blocker(
  {
    mode: 'nxdomain',
    ipv4: new Uint8Array(4),
    ipv6: new Uint8Array(16),
    ttl: 60,
    blockedCategories: new Set(['abuse']),
  },
  new Stats(),
);

/** The cache or forwarder below: answers OK and notes the answer's CNAME targets. */
function answeringWith(cnames: string[] | undefined, async = false): Stage {
  const note = (c: QueryContext) => {
    c.cnames = cnames;
    return OK;
  };
  return {
    name: 'below',
    handle: (c) => (async ? Promise.resolve(note(c)) : note(c)),
    fast: () => (c: FastContext) => note(c),
  };
}

describe('cname-cloak stage', () => {
  it('blocks an allowed name whose answer points into a blocked name, sync or not', async () => {
    const stage = new CnameCloakStage(lists, blocker);
    for (const async of [false, true]) {
      const cloaked = chain([stage, answeringWith(['x.tracker.test'], async)], onError);
      expect(rcode(await cloaked(ctx('127.0.0.1', 'cloaked.test')))).toBe(3);
      const clean = chain([stage, answeringWith(['cdn.test'], async)], onError);
      expect(await clean(ctx('127.0.0.1', 'site.test'))).toBe(OK);
      const plain = chain([stage, answeringWith(undefined, async)], onError);
      expect(await plain(ctx('127.0.0.1', 'site.test'))).toBe(OK);
    }
  });

  it('fast form: the same check on what the stages below answered; nothing answered, nothing checked', () => {
    const stage = new CnameCloakStage(lists, blocker);
    expect(rcode(fastChain([stage, answeringWith(['x.tracker.test'])])(fastCtx('127.0.0.1')))).toBe(
      3,
    );
    expect(fastChain([stage, answeringWith(['cdn.test'])])(fastCtx('127.0.0.1'))).toBe(OK);
    const declines: Stage = { name: 'declines', handle: () => OK, fast: () => () => undefined };
    expect(fastChain([stage, declines])(fastCtx('127.0.0.1'))).toBeUndefined();
  });
});
