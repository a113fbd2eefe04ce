import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../../../../blocklists/matcher.js';
import { chain, fastChain } from '../../../../../resolver/serve/context.js';
import {
  Blocker,
  BlocklistStage,
  type ListLookup,
} from '../../../../../resolver/serve/stages/blocklist.js';
import { Stats } from '../../../../../resolver/serve/stats.js';
import { ednsCtx } from './edns-context.js';
import { answering, fastCtx } from './fast-context.js';
import { OK, onError } from './stage-context.js';

const lists = (): ListLookup & { asked: string[] } => {
  const asked: string[] = [];
  return {
    asked,
    match: (name): Verdict => {
      asked.push(name);
      if (name.endsWith('abuse.test')) return { blocked: true, category: 'abuse', listId: 'a' };
      if (name.endsWith('adult.test')) return { blocked: true, category: 'adult', listId: 'b' };
      if (name.endsWith('doh.test')) return { blocked: true, category: 'bypass', listId: 'c' };
      return { blocked: false };
    },
  };
};

function blocker(mode: 'nxdomain' | 'sinkhole', stats = new Stats()) {
  return new Blocker(
    {
      mode,
      ipv4: Uint8Array.from([192, 0, 2, 1]),
      ipv6: Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1]),
      ttl: 60,
      blockedCategories: new Set(['abuse']),
      nxdomainCategories: new Set(['bypass']),
    },
    stats,
  );
}

const decode = (bytes: unknown) => dnsPacket.decode(Buffer.from(bytes as Uint8Array));
const edeOf = (bytes: unknown) => {
  const opt = decode(bytes).additionals?.[0] as unknown as {
    options: { code: number; data: Buffer }[];
  };
  const ede = opt.options.find((o) => o.code === 15);
  return ede && { code: ede.data.readUInt16BE(0), text: ede.data.subarray(2).toString() };
};

describe('blocklist stage', () => {
  it("answers NXDOMAIN with EDE 15 for the operator's categories, 17 for the rest, and counts", () => {
    const stats = new Stats();
    const run = chain(
      [new BlocklistStage(lists(), blocker('nxdomain', stats)), answering(OK)],
      onError,
    );
    const abuse = run(ednsCtx('x.abuse.test'));
    expect(((abuse as Uint8Array)[3] as number) & 0x0f).toBe(3);
    expect(edeOf(abuse)).toEqual({ code: 15, text: 'blocked by Kalkan: category abuse, list a' });
    expect(edeOf(run(ednsCtx('x.adult.test')))?.code).toBe(17);
    expect(run(ednsCtx('fine.test'))).toBe(OK);
    expect(Object.fromEntries(stats.blocked)).toEqual({ abuse: 1, adult: 1 });
  });

  it('answers the sinkhole addresses for A and AAAA, NODATA for other types', () => {
    const run = chain([new BlocklistStage(lists(), blocker('sinkhole')), answering(OK)], onError);
    const a = decode(run(ednsCtx('x.abuse.test', 'A')));
    expect(a.answers?.[0]).toMatchObject({ type: 'A', data: '192.0.2.1', ttl: 60 });
    const aaaa = decode(run(ednsCtx('x.abuse.test', 'AAAA')));
    expect(aaaa.answers?.[0]).toMatchObject({ type: 'AAAA', data: '2001:db8::1' });
    const txt = decode(run(ednsCtx('x.abuse.test', 'TXT')));
    expect({ rcode: (txt.flags ?? 0) & 0x0f, answers: txt.answers?.length }).toEqual({
      rcode: 0,
      answers: 0,
    });
  });

  it('answers NXDOMAIN for an nxdomain category even in sinkhole mode (Private Relay signal)', () => {
    const run = chain([new BlocklistStage(lists(), blocker('sinkhole')), answering(OK)], onError);
    const answer = run(ednsCtx('mask.doh.test', 'A'));
    expect(((answer as Uint8Array)[3] as number) & 0x0f).toBe(3);
    expect(decode(answer).answers).toEqual([]);
    expect(edeOf(answer)).toEqual({
      code: 17,
      text: 'blocked by Kalkan: category bypass, list c',
    });
  });

  it('fast form: the same answer, the list asked once per name', () => {
    const lookup = lists();
    const stage = new BlocklistStage(lookup, blocker('nxdomain'));
    const slow = chain([stage, answering(OK)], onError)(ednsCtx('x.abuse.test'));
    const run = fastChain([stage, answering(OK)]);
    const c = fastCtx('127.0.0.1', 'x.abuse.test');
    c.query = ednsCtx('x.abuse.test').query;
    c.q = { ...ednsCtx('x.abuse.test').q, name: '' };
    const first = run(c);
    const second = run(c);
    expect(Buffer.from(first as Uint8Array).equals(Buffer.from(slow as Uint8Array))).toBe(true);
    expect(second).toEqual(first);
    expect(lookup.asked).toEqual(['x.abuse.test', 'x.abuse.test']); // once slow, once fast
    expect(run(fastCtx('127.0.0.1', 'fine.test'))).toBe(OK);
  });
});
