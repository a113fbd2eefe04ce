import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import type { Policy, QueryContext } from '../../../../../resolver/serve/context.js';
import { chain, fastChain } from '../../../../../resolver/serve/context.js';
import { CHECK_TXT, CheckAnswer } from '../../../../../resolver/serve/setup/check-answer.js';
import {
  CANARY,
  SpecialNamesStage,
  safeSearchTarget,
} from '../../../../../resolver/serve/stages/special-names.js';
import { answering, fastCtx } from './fast-context.js';
import { ctx, OK, onError, rcode } from './stage-context.js';

const SAFE: Policy = { name: 'kids', categories: undefined, safeSearch: true };
const PLAIN: Policy = { name: 'adults', categories: undefined, safeSearch: false };

describe('safe search', () => {
  it('maps Google on every country domain, Bing, YouTube and DuckDuckGo to their safe endpoints', () => {
    expect(safeSearchTarget('www.google.com')).toBe('forcesafesearch.google.com');
    expect(safeSearchTarget('www.google.co.uk')).toBe('forcesafesearch.google.com');
    expect(safeSearchTarget('google.com.tr')).toBe('forcesafesearch.google.com');
    expect(safeSearchTarget('google.kg')).toBe('forcesafesearch.google.com');
    expect(safeSearchTarget('www.bing.com')).toBe('strict.bing.com');
    expect(safeSearchTarget('m.youtube.com')).toBe('restrict.youtube.com');
    expect(safeSearchTarget('duckduckgo.com')).toBe('safe.duckduckgo.com');
    expect(safeSearchTarget('mail.google.com')).toBeUndefined();
    expect(safeSearchTarget('example.test')).toBeUndefined();
  });
});

describe('special-names stage', () => {
  it("answers Firefox's DoH canary NXDOMAIN itself", () => {
    const run = chain([new SpecialNamesStage(), answering(OK)], onError);
    expect(rcode(run(ctx('127.0.0.1', CANARY)))).toBe(3);
    expect(run(ctx('127.0.0.1', 'a.test'))).toBe(OK);
  });

  it('answers a safe-search name with a CNAME to the safe endpoint and its records', async () => {
    const asked: string[] = [];
    const upstream = {
      name: 'upstream',
      handle: (sub: QueryContext) => {
        asked.push(sub.q.name);
        return dnsPacket.encode({
          type: 'response',
          id: sub.q.id,
          flags: dnsPacket.RECURSION_AVAILABLE,
          questions: [{ name: sub.q.name, type: 'A', class: 'IN' }],
          answers: [{ type: 'A', name: sub.q.name, ttl: 60, data: '192.0.2.7' }],
        });
      },
    };
    const run = chain([new SpecialNamesStage(), upstream], onError);
    const withPolicy = (policy: Policy) => ({ ...ctx('127.0.0.1', 'www.bing.com'), policy });
    const answer = dnsPacket.decode(Buffer.from(await run(withPolicy(SAFE))));
    expect(asked).toEqual(['strict.bing.com']);
    expect(answer.answers?.map((a) => a.type)).toEqual(['CNAME', 'A']);
    expect(answer.answers?.[0]).toMatchObject({ name: 'www.bing.com', data: 'strict.bing.com' });
    await run(withPolicy(PLAIN));
    expect(asked).toEqual(['strict.bing.com', 'www.bing.com']); // no safe search: asked as is
  });

  it('fast form: hands every special name to the full chain, other names on', () => {
    const run = fastChain([new SpecialNamesStage(), answering(OK)]);
    expect(run(fastCtx('127.0.0.1', CANARY))).toBeUndefined();
    expect(run({ ...fastCtx('127.0.0.1', 'www.bing.com'), policy: SAFE })).toBeUndefined();
    expect(run({ ...fastCtx('127.0.0.1', 'www.bing.com'), policy: PLAIN })).toBe(OK);
    expect(run(fastCtx('127.0.0.1', 'a.test'))).toBe(OK);
  });

  it('answers the check name itself for every client: TXT, A and AAAA, NODATA for other types', () => {
    const check = new CheckAnswer('check.kalkan.invalid', ['192.0.2.53', '2001:db8::53']);
    const run = chain([new SpecialNamesStage({ check }), answering(OK)], onError);
    const answer = (type: dnsPacket.RecordType) =>
      run(ctx('127.0.0.1', 'check.kalkan.invalid', type)) as Uint8Array;
    /** Each answer record's name, type and data (TXT: its first string). */
    const decode = (type: dnsPacket.RecordType) => ({
      answers: dnsPacket.decode(Buffer.from(answer(type))).answers?.map((a) => {
        const data = (a as { data?: unknown }).data;
        return [a.name, a.type, Array.isArray(data) ? String(data[0]) : data];
      }),
    });
    const txt = decode('TXT');
    expect(rcode(answer('TXT'))).toBe(0);
    expect(txt.answers).toEqual([['check.kalkan.invalid', 'TXT', CHECK_TXT]]);
    expect(decode('A').answers).toEqual([['check.kalkan.invalid', 'A', '192.0.2.53']]);
    expect(decode('AAAA').answers).toEqual([['check.kalkan.invalid', 'AAAA', '2001:db8::53']]);
    expect(decode('MX').answers).toEqual([]);
    expect(run(ctx('127.0.0.1', 'other.kalkan.invalid'))).toBe(OK);
    const fast = fastChain([new SpecialNamesStage({ check }), answering(OK)]);
    expect(fast(fastCtx('127.0.0.1', 'check.kalkan.invalid'))).toBeUndefined();
  });
});
