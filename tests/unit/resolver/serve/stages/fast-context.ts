/** A fast-path context for one stage's unit test, and a last stage that answers. */
import type dnsPacket from 'dns-packet';
import type { CachedAnswer } from '../../../../../resolver/serve/cached-answer.js';
import type { FastContext, NameFacts, Stage } from '../../../../../resolver/serve/context.js';
import { ctx } from './stage-context.js';

/** A context as the fast path hands it out: the name only through facts(), kept per context. */
export function fastCtx(client: string, name = 'a.test', type: dnsPacket.RecordType = 'A') {
  const base = ctx(client, name, type);
  const answers: (CachedAnswer | undefined)[] = [];
  const facts: NameFacts = {
    name,
    special: undefined,
    verdict: undefined,
    answer: (slot) => answers[slot],
    setAnswer: (slot, answer) => {
      answers[slot] = answer;
    },
  };
  const fast: FastContext = { ...base, q: { ...base.q, name: '' }, facts: () => facts };
  return fast;
}

/** The stage after the one under test: answers `bytes`, in both forms. */
export function answering(bytes: Uint8Array): Stage {
  return { name: 'answer', handle: () => bytes, fast: () => () => bytes };
}
