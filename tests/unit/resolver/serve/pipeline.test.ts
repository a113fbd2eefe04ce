/**
 * The pipeline as the server builds it (buildPipeline): the UDP fast path derived from the
 * stages against the full chain it shortcuts. For blocked names and cache hits its answer must
 * be the chain's answer byte for byte (ID, flags, question as sent, EDE, aged TTLs), and
 * everything it cannot answer exactly (new names, special names, CNAME answers, refused or
 * rate-limited clients, other types and classes) must be left to the chain. A stage that
 * throws or rejects gets the client SERVFAIL, one log line and a counter.
 */
import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../../../blocklists/matcher.js';
import { AddressSet } from '../../../../resolver/net/address-set.js';
import type { Policy } from '../../../../resolver/serve/context.js';
import { buildPipeline } from '../../../../resolver/serve/pipeline.js';
import type { ListLookup } from '../../../../resolver/serve/stages/blocklist.js';
import { CacheStage } from '../../../../resolver/serve/stages/cache.js';
import { Stats } from '../../../../resolver/serve/stats.js';
import { type QueryOptions, query } from '../query-bytes.js';

/** The upstream: A/AAAA for *.allowed.test, a CNAME for cname.allowed.test. */
function upstream(q: Uint8Array): Uint8Array {
  const packet = dnsPacket.decode(Buffer.from(q));
  const question = packet.questions?.[0] as dnsPacket.Question;
  const name = question.name.toLowerCase();
  const answers: dnsPacket.Answer[] =
    name === 'cname.allowed.test' || name === 'cname.test'
      ? [
          {
            type: 'CNAME',
            name,
            ttl: 300,
            data: name === 'cname.test' ? 'target.broken.test' : 'target.allowed.test',
          },
        ]
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

/** Names whose list lookup throws, as a broken list would. */
const BROKEN = new Set(['broken.test', 'target.broken.test']);

function setup(mode: 'nxdomain' | 'sinkhole' = 'nxdomain', perSecond = 0, namesSeen = 1024) {
  let now = 1_000_000;
  let generation = 0;
  let matches = 0;
  const stats = new Stats();
  const lookup: ListLookup = {
    match: (name) => {
      matches++;
      if (BROKEN.has(name)) throw new Error(`list lookup failed for ${name}`);
      if (name === 'blocked.test' || name.endsWith('.blocked.test')) return BLOCKED;
      if (name.endsWith('.adult.test')) return ADULT;
      return { blocked: false };
    },
  };
  const fallback: Policy = { name: 'default', categories: undefined, safeSearch: true };
  const cache = new CacheStage(
    { maxEntries: 100, minTtl: 0, maxTtl: 86_400, maxNegativeTtl: 3600 },
    stats,
    () => now,
  );
  const failures: object[] = [];
  const { handle, fast } = buildPipeline({
    acl: new AddressSet(['127.0.0.0/8']),
    rateLimit: { perSecond, burst: 2 },
    policies: { policyFor: () => fallback, all: [fallback] },
    lists: lookup,
    listGeneration: () => generation,
    namesSeen,
    block: {
      mode,
      ipv4: Uint8Array.from([0, 0, 0, 0]),
      ipv6: new Uint8Array(16),
      ttl: 300,
      blockedCategories: new Set(['abuse']),
    },
    cache,
    upstream: { resolve: async (q) => upstream(q) },
    stats,
    log: { error: (obj) => failures.push(obj) },
  });
  if (!fast) throw new Error('no fast path');
  const slow = async (msg: Uint8Array, client = '127.0.0.1') =>
    Buffer.from(await (handle(msg, client, 'udp') as Uint8Array | Promise<Uint8Array>));
  return {
    fast,
    slow,
    stats,
    tick: (seconds: number) => (now += seconds * 1000),
    swapLists: () => generation++,
    matches: () => matches,
    failures,
    handle,
  };
}

describe('the UDP fast path, derived from the stages', () => {
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

  it('answers a cached CNAME after the CNAME-cloaking check, as the chain does', async () => {
    const { fast, slow } = setup();
    const msg = query('cname.allowed.test', { edns: true });
    expect(fast.answer(msg, '127.0.0.1')).toBeUndefined(); // not cached yet
    await slow(msg);
    const got = fast.answer(msg, '127.0.0.1');
    expect(got).toBeDefined();
    expect(Buffer.from(got as Uint8Array).equals(await slow(msg))).toBe(true);
  });

  it('leaves other classes (CHAOS) to the chain, which refuses them', async () => {
    const { fast, slow } = setup();
    const chaos = dnsPacket.encode({
      type: 'query',
      id: 5,
      questions: [{ name: 'version.bind', type: 'TXT', class: 'CH' }],
    });
    expect(fast.answer(chaos, '127.0.0.1')).toBeUndefined();
    expect(((await slow(chaos))[3] as number) & 0x0f).toBe(5);
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

  it('remembers at most namesSeen names, and answers right after forgetting them', async () => {
    const namesSeen = 64;
    const { fast, slow, stats, matches, swapLists } = setup('nxdomain', 0, namesSeen);
    const rcode = (answer: Uint8Array | undefined) => (answer?.[3] ?? -1) & 0x0f;
    // A cached allowed name, then twice the table's names, blocked and allowed in turn.
    const allowed = query('kept.allowed.test');
    await slow(allowed);
    expect(rcode(fast.answer(allowed, '127.0.0.1'))).toBe(0);
    for (let i = 0; i < namesSeen * 2; i++) {
      const name = i % 2 ? `n${i}.blocked.test` : `n${i}.other.test`;
      const answer = fast.answer(query(name), '127.0.0.1');
      if (i % 2) expect(rcode(answer), name).toBe(3);
      else expect(answer, name).toBeUndefined(); // not cached: the chain forwards it
    }
    // The last names are still held: no new match, hits counted.
    const before = { matches: matches(), hits: stats.nameTableHits };
    expect(rcode(fast.answer(query(`n${namesSeen * 2 - 1}.blocked.test`), '127.0.0.1'))).toBe(3);
    expect(matches()).toBe(before.matches);
    expect(stats.nameTableHits).toBe(before.hits + 1);
    // The first ones were forgotten: matched again, with the same verdict; the cached answer
    // is found again by name.
    expect(rcode(fast.answer(query('n1.blocked.test'), '127.0.0.1'))).toBe(3);
    expect(matches()).toBe(before.matches + 1);
    expect(rcode(fast.answer(allowed, '127.0.0.1'))).toBe(0);
    expect(stats.nameTableHits + stats.nameTableMisses).toBeGreaterThan(namesSeen * 2);
    // A list swap forgets every name, whatever the table holds.
    swapLists();
    const afterSwap = matches();
    expect(rcode(fast.answer(query(`n${namesSeen * 2 - 1}.blocked.test`), '127.0.0.1'))).toBe(3);
    expect(matches()).toBe(afterSwap + 1);
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

describe('the error contract', () => {
  it('answers SERVFAIL when a stage throws, with one log line naming the stage and the question', async () => {
    const { fast, slow, stats, failures } = setup();
    const msg = query('broken.test', { edns: true });
    expect(fast.answer(msg, '127.0.0.1')).toBeUndefined(); // the fast form's throw: full chain
    const answer = await slow(msg);
    expect((answer[3] as number) & 0x0f).toBe(2);
    expect(answer.readUInt16BE(0)).toBe(4242);
    expect(failures).toEqual([
      expect.objectContaining({ stage: 'blocklist', name: 'broken.test', qtype: 1 }),
    ]);
    expect(Object.fromEntries(stats.stageFailures)).toEqual({ blocklist: 1 });
  });

  it('answers SERVFAIL when a stage rejects after the upstream answered', async () => {
    const { slow, stats, failures } = setup();
    const answer = await slow(query('cname.test'));
    expect((answer[3] as number) & 0x0f).toBe(2);
    expect(failures).toEqual([
      expect.objectContaining({ stage: 'cname-cloak', name: 'cname.test' }),
    ]);
    expect(Object.fromEntries(stats.stageFailures)).toEqual({ 'cname-cloak': 1 });
  });

  it('shows the failures on /metrics by stage', async () => {
    const { createMetrics } = await import('../../../../resolver/serve/metrics.js');
    const stats = new Stats();
    stats.stageFailed('cache');
    stats.stageFailed('cache');
    const text = await createMetrics(stats, () => undefined).registry.metrics();
    expect(text).toContain('kalkan_stage_failures_total{stage="cache"} 2');
  });
});

describe('protocol answers before the chain', () => {
  it('answers an EDNS version other than 0 with BADVERS, and never runs the chain', async () => {
    const { slow, stats, matches } = setup();
    const msg = query('a.blocked.test', { edns: true });
    msg[msg.length - 5] = 1; // the OPT's version byte
    const decoded = dnsPacket.decode(await slow(msg));
    const opt = decoded.additionals?.[0] as unknown as {
      extendedRcode: number;
      ednsVersion: number;
    };
    expect({ ext: opt.extendedRcode, version: opt.ednsVersion }).toEqual({ ext: 1, version: 0 });
    expect(matches()).toBe(0);
    expect(stats.queries).toBe(1);
  });

  it('echoes the opcode in NOTIMP / REFUSED, and drops responses', () => {
    const { handle } = setup();
    const notify = query('a.test');
    notify[2] = (4 << 3) | 1;
    const refused = handle(notify, '127.0.0.1', 'udp') as Uint8Array;
    expect({
      opcode: ((refused[2] as number) >> 3) & 0xf,
      rcode: (refused[3] as number) & 0xf,
    }).toEqual({
      opcode: 4,
      rcode: 5,
    });
    const response = query('a.test');
    response[2] = 0x80;
    expect(handle(response, '127.0.0.1', 'udp')).toBeUndefined();
  });
});

describe('building the pipeline', () => {
  it('declares the stage order once, and leaves more policies than the fast path keys to the chain', () => {
    const base = {
      acl: new AddressSet(['127.0.0.0/8']),
      rateLimit: { perSecond: 0, burst: 1 },
      lists: { match: () => ({ blocked: false as const }) },
      listGeneration: () => 0,
      namesSeen: 1024,
      block: {
        mode: 'nxdomain' as const,
        ipv4: new Uint8Array(4),
        ipv6: new Uint8Array(16),
        ttl: 60,
        blockedCategories: new Set<string>(),
      },
      cache: new CacheStage(
        { maxEntries: 10, minTtl: 0, maxTtl: 60, maxNegativeTtl: 60 },
        new Stats(),
      ),
      upstream: { resolve: async (q: Uint8Array) => upstream(q) },
      stats: new Stats(),
      log: { error: () => undefined },
    };
    // A source whose clients 10.0.0.i get policy i (the last is everyone else's).
    const policies = (count: number) => {
      const all: Policy[] = Array.from({ length: count }, (_, i) => ({
        name: `p${i}`,
        categories: undefined,
        safeSearch: false,
      }));
      return {
        all,
        policyFor: (client: string) =>
          all[Number(client.split('.')[3])] ?? (all[count - 1] as Policy),
      };
    };
    const few = buildPipeline({ ...base, policies: policies(2) });
    expect(few.stages.map((s) => s.name)).toEqual([
      'acl',
      'rate-limit',
      'class',
      'policy',
      'special-names',
      'blocklist',
      'cname-cloak',
      'cache',
      'forward',
    ]);
    expect(few.fast).toBeDefined();
    // 300 policies: the first 254 are numbered; a client of a later one takes the chain.
    const many = buildPipeline({
      ...base,
      acl: new AddressSet(['10.0.0.0/8']),
      policies: policies(300),
      lists: {
        match: (name: string) =>
          name === 'blocked.test'
            ? { blocked: true as const, category: 'abuse', listId: 'l' }
            : { blocked: false as const },
      },
    });
    expect(many.fast?.answer(query('blocked.test'), '10.0.0.1')).toBeDefined();
    expect(many.fast?.answer(query('blocked.test'), '10.0.0.255')).toBeUndefined();
    expect(many.handle(query('blocked.test'), '10.0.0.255', 'udp')).toBeDefined();
    expect(
      buildPipeline({ ...base, policies: policies(1), queryLog: { info: () => undefined } }).fast,
    ).toBeUndefined();
  });
});
