/**
 * The UDP fast path against the stage chain it shortcuts: for blocked names and cache hits its
 * answer must be the chain's answer byte for byte (ID, flags, question as sent, EDE, aged TTLs),
 * and everything it cannot answer exactly (new names, special names, CNAME answers, refused or
 * rate-limited clients, other types) must be left to the chain.
 */
import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../blocklists/matcher.js';
import { AddressSet } from '../../resolver/net/address-set.js';
import { chain, type Policy } from '../../resolver/serve/context.js';
import { FastPath } from '../../resolver/serve/fast-path.js';
import { makeHandler } from '../../resolver/serve/handler.js';
import { AclStage } from '../../resolver/serve/stages/acl.js';
import { Blocker, BlocklistStage, type ListLookup } from '../../resolver/serve/stages/blocklist.js';
import { CacheStage } from '../../resolver/serve/stages/cache.js';
import { CnameCloakStage } from '../../resolver/serve/stages/cname-cloak.js';
import { PolicyStage } from '../../resolver/serve/stages/policy.js';
import { RateLimitStage } from '../../resolver/serve/stages/rate-limit.js';
import { SpecialNamesStage } from '../../resolver/serve/stages/special-names.js';
import { Stats } from '../../resolver/serve/stats.js';

interface QueryOptions {
  id?: number;
  type?: dnsPacket.RecordType;
  rd?: boolean;
  edns?: boolean;
  dnssecOk?: boolean;
  udpSize?: number;
}

function query(name: string, o: QueryOptions = {}): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: o.id ?? 4242,
    flags: o.rd === false ? 0 : dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: o.type ?? 'A', class: 'IN' }],
    additionals: o.edns
      ? [
          {
            type: 'OPT',
            name: '.',
            udpPayloadSize: o.udpSize ?? 4096,
            flags: o.dnssecOk ? dnsPacket.DNSSEC_OK : 0,
          } as dnsPacket.Answer,
        ]
      : [],
  });
}

/** The upstream: A/AAAA for *.allowed.test, a CNAME for cname.allowed.test. */
function upstream(q: Uint8Array): Uint8Array {
  const packet = dnsPacket.decode(Buffer.from(q));
  const question = packet.questions?.[0] as dnsPacket.Question;
  const name = question.name.toLowerCase();
  const answers: dnsPacket.Answer[] =
    name === 'cname.allowed.test'
      ? [{ type: 'CNAME', name, ttl: 300, data: 'target.allowed.test' }]
      : question.type === 'AAAA'
        ? [{ type: 'AAAA', name, ttl: 300, data: '2001:db8::1' }]
        : question.type === 'A'
          ? [{ type: 'A', name, ttl: 300, data: '192.0.2.1' }]
          : [];
  return dnsPacket.encode({
    type: 'response',
    id: packet.id,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: [question],
    answers,
  });
}

const BLOCKED: Verdict = { blocked: true, category: 'abuse', listId: 'bench' };
const ADULT: Verdict = { blocked: true, category: 'adult', listId: 'adult-list' };

function setup(mode: 'nxdomain' | 'sinkhole' = 'nxdomain', perSecond = 0) {
  let now = 1_000_000;
  let generation = 0;
  let matches = 0;
  const stats = new Stats();
  const lookup: ListLookup = {
    match: (name) => {
      matches++;
      if (name === 'blocked.test' || name.endsWith('.blocked.test')) return BLOCKED;
      if (name.endsWith('.adult.test')) return ADULT;
      return { blocked: false };
    },
  };
  const blocker = new Blocker(
    {
      mode,
      ipv4: Uint8Array.from([0, 0, 0, 0]),
      ipv6: new Uint8Array(16),
      ttl: 300,
      blockedCategories: new Set(['abuse']),
    },
    stats,
  );
  const fallback: Policy = { name: 'default', categories: undefined, safeSearch: true };
  const acl = new AclStage(new AddressSet(['127.0.0.0/8']), stats);
  const rateLimit = new RateLimitStage(perSecond, 2, stats, () => now);
  const policies = new PolicyStage({ policyFor: () => fallback });
  const cache = new CacheStage(
    { maxEntries: 100, minTtl: 0, maxTtl: 86_400, maxNegativeTtl: 3600 },
    stats,
    () => now,
  );
  const handler = makeHandler(
    chain(
      [
        acl,
        rateLimit,
        policies,
        new SpecialNamesStage(),
        new BlocklistStage(lookup, blocker),
        new CnameCloakStage(lookup, blocker),
        cache,
      ],
      (ctx) => upstream(ctx.query),
    ),
    stats,
  );
  const fast = new FastPath({
    acl,
    rateLimit,
    policies,
    allPolicies: [fallback],
    lists: lookup,
    listGeneration: () => generation,
    blocker,
    cache,
    stats,
  });
  const slow = async (msg: Uint8Array, client = '127.0.0.1') =>
    Buffer.from(await (handler(msg, client, 'udp') as Uint8Array | Promise<Uint8Array>));
  return {
    fast,
    slow,
    stats,
    tick: (seconds: number) => (now += seconds * 1000),
    swapLists: () => generation++,
    matches: () => matches,
  };
}

describe('UDP fast path', () => {
  const shapes: [string, QueryOptions][] = [
    ['plain', {}],
    ['no RD', { rd: false }],
    ['EDNS', { edns: true }],
    ['EDNS with DO', { edns: true, dnssecOk: true }],
    ['EDNS, small payload', { edns: true, udpSize: 512 }],
    ['AAAA', { type: 'AAAA' }],
    ['TXT', { type: 'TXT', edns: true }],
  ];

  for (const [label, options] of shapes) {
    it(`answers a blocked name exactly as the chain does (${label})`, async () => {
      for (const mode of ['nxdomain', 'sinkhole'] as const) {
        const { fast, slow } = setup(mode);
        for (const name of ['www.BLOCKED.test', 'x.adult.test']) {
          const msg = query(name, { ...options, id: 77 });
          const expected = await slow(msg);
          const got = fast.answer(msg, '127.0.0.1');
          expect(got, `${mode} ${name}`).toBeDefined();
          expect(Buffer.from(got as Uint8Array).equals(expected), `${mode} ${name}`).toBe(true);
          // And a second time (from the table), with another ID and case.
          const again = query(name.toUpperCase(), { ...options, id: 78 });
          expect(Buffer.from(fast.answer(again, '127.0.0.1') as Uint8Array)).toEqual(
            await slow(again),
          );
        }
      }
    });
  }

  it('carries the EDE of the verdict: 15 Blocked for abuse, 17 Filtered for other categories', () => {
    const { fast } = setup();
    const ede = (name: string) => {
      const answer = fast.answer(query(name, { edns: true }), '127.0.0.1') as Uint8Array;
      const opt = dnsPacket.decode(Buffer.from(answer)).additionals?.[0] as unknown as {
        options: { code: number; data: Buffer }[];
      };
      return opt.options[0]?.data.readUInt16BE(0);
    };
    expect(ede('a.blocked.test')).toBe(15);
    expect(ede('a.adult.test')).toBe(17);
  });

  it('answers a cache hit exactly as the chain does, TTLs aged', async () => {
    for (const [label, options] of shapes.filter(([, o]) => (o.type ?? 'A') !== 'TXT')) {
      const { fast, slow, tick } = setup();
      const first = query('Www.Allowed.Test', { ...options, id: 1 });
      expect(fast.answer(first, '127.0.0.1'), label).toBeUndefined(); // not cached yet
      await slow(first); // the chain forwards and caches
      tick(42);
      const msg = query('wWW.aLLOWED.tEST', { ...options, id: 2 });
      const got = fast.answer(msg, '127.0.0.1');
      expect(got, label).toBeDefined();
      const expected = await slow(msg);
      expect(Buffer.from(got as Uint8Array).equals(expected), label).toBe(true);
      const ttl = (dnsPacket.decode(expected).answers?.[0] as { ttl?: number } | undefined)?.ttl;
      expect(ttl, label).toBe(258);
      tick(300); // expired: the chain asks again
      expect(fast.answer(msg, '127.0.0.1'), label).toBeUndefined();
    }
  });

  it('leaves to the chain what it cannot answer exactly', async () => {
    const { fast, slow } = setup();
    const leaves = async (msg: Uint8Array, client = '127.0.0.1') => {
      await slow(msg, client).catch(() => undefined);
      return fast.answer(msg, client);
    };
    expect(await leaves(query('use-application-dns.net'))).toBeUndefined(); // the DoH canary
    expect(await leaves(query('www.google.com'))).toBeUndefined(); // safe search
    expect(await leaves(query('cname.allowed.test'))).toBeUndefined(); // CNAME-cloaking check
    expect(await leaves(query('txt.allowed.test', { type: 'TXT' }))).toBeUndefined();
    expect(await leaves(query('a.blocked.test'), '192.0.2.9')).toBeUndefined(); // not in the ACL
    const compressed = Buffer.concat([
      query('a.blocked.test').subarray(0, 12),
      Buffer.from([0xc0, 12, 0, 1, 0, 1]),
    ]);
    expect(fast.answer(compressed, '127.0.0.1')).toBeUndefined();
    const response = query('a.blocked.test');
    response[2] = (response[2] as number) | 0x80;
    expect(fast.answer(response, '127.0.0.1')).toBeUndefined();
  });

  it('leaves a rate-limited client to the chain, which refuses it', async () => {
    const { fast, slow, stats } = setup('nxdomain', 1);
    const msg = query('a.blocked.test');
    expect(fast.answer(msg, '127.0.0.1')).toBeDefined();
    expect(fast.answer(msg, '127.0.0.1')).toBeDefined(); // burst 2
    expect(fast.answer(msg, '127.0.0.1')).toBeUndefined();
    const refused = await slow(msg);
    expect((refused[3] as number) & 0x0f).toBe(5);
    expect(stats.rateLimited).toBe(1);
  });

  it('asks the lists again after a swap', () => {
    const { fast, swapLists, matches } = setup();
    const msg = query('a.blocked.test');
    fast.answer(msg, '127.0.0.1');
    fast.answer(msg, '127.0.0.1');
    expect(matches()).toBe(1);
    swapLists();
    fast.answer(msg, '127.0.0.1');
    expect(matches()).toBe(2);
  });

  it('counts what it answers', async () => {
    const { fast, slow, stats } = setup();
    fast.answer(query('a.blocked.test'), '127.0.0.1');
    await slow(query('b.allowed.test'));
    fast.answer(query('b.allowed.test'), '127.0.0.1');
    expect(stats.queries).toBe(3); // one each, whichever path answered
    expect(stats.blocked.get('abuse')).toBe(1);
    expect(stats.cacheHits).toBe(1);
  });
});
