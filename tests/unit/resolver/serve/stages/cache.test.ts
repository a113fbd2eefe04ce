import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { parseQuery } from '../../../../../resolver/dns/query.js';
import type { QueryContext } from '../../../../../resolver/serve/context.js';
import { CacheStage } from '../../../../../resolver/serve/stages/cache.js';
import { Stats } from '../../../../../resolver/serve/stats.js';

function ctx(name: string, id: number, checkingDisabled = false): QueryContext {
  const query = dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED | (checkingDisabled ? dnsPacket.CHECKING_DISABLED : 0),
    questions: [{ name, type: 'A', class: 'IN' }],
  });
  const parsed = parseQuery(query);
  if (!parsed.ok) throw new Error('bad query');
  return { query, q: parsed.question, client: '127.0.0.1', transport: 'udp' };
}

const upstreamAnswer = (name: string, ttl: number, rcode = 0) =>
  dnsPacket.encode({
    type: 'response',
    id: 999,
    flags: rcode,
    questions: [{ name, type: 'A', class: 'IN' }],
    answers: rcode ? [] : [{ type: 'A', name, ttl, data: '192.0.2.1' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232 } as dnsPacket.Answer],
  });

const ttlOf = (p: dnsPacket.Packet) => (p.answers?.[0] as { ttl?: number } | undefined)?.ttl;

function setup(options: Partial<ConstructorParameters<typeof CacheStage>[0]> = {}) {
  let now = 1_000_000;
  const stats = new Stats();
  const cache = new CacheStage(
    { maxEntries: 100, minTtl: 0, maxTtl: 86_400, maxNegativeTtl: 3600, ...options },
    stats,
    () => now,
  );
  let upstreamCalls = 0;
  const ask = async (c: QueryContext, answer: Uint8Array) =>
    cache.handle(c, () => {
      upstreamCalls++;
      return answer;
    });
  return { cache, stats, ask, tick: (s: number) => (now += s * 1000), calls: () => upstreamCalls };
}

describe('cache stage', () => {
  it('answers the second query from the cache with its ID and TTLs counted down', async () => {
    const { ask, tick, calls, stats } = setup();
    const first = dnsPacket.decode(
      Buffer.from(await ask(ctx('a.test', 1), upstreamAnswer('a.test', 300))),
    );
    expect(first.id).toBe(1);
    expect(ttlOf(first)).toBe(300);
    expect(first.additionals ?? []).toHaveLength(0); // client sent no EDNS: no OPT back
    tick(100);
    const second = dnsPacket.decode(
      Buffer.from(await ask(ctx('A.TEST', 2), upstreamAnswer('a.test', 1))),
    );
    expect(second.id).toBe(2);
    expect(second.questions?.[0]?.name).toBe('A.TEST');
    expect(ttlOf(second)).toBe(200);
    expect(calls()).toBe(1);
    expect(stats.cacheHits).toBe(1);
    tick(201);
    await ask(ctx('a.test', 3), upstreamAnswer('a.test', 300));
    expect(calls()).toBe(2); // expired
  });

  it('counts down every TTL of an answer, each from its own, entries side by side in the slab', async () => {
    const { ask, tick } = setup();
    const answer = (name: string) =>
      dnsPacket.encode({
        type: 'response',
        id: 999,
        flags: 0,
        questions: [{ name, type: 'A', class: 'IN' }],
        answers: [
          { type: 'CNAME', name, ttl: 500, data: `edge.${name}` },
          { type: 'A', name: `edge.${name}`, ttl: 300, data: '192.0.2.1' },
          { type: 'A', name: `edge.${name}`, ttl: 400, data: '192.0.2.2' },
        ],
      });
    for (const name of ['a.test', 'b.test', 'c.test']) await ask(ctx(name, 1), answer(name));
    tick(100);
    for (const name of ['a.test', 'b.test', 'c.test']) {
      const hit = dnsPacket.decode(Buffer.from(await ask(ctx(name, 2), answer('x.test'))));
      expect(hit.answers?.map((a) => [a.name, (a as { ttl?: number }).ttl])).toEqual([
        [name, 400],
        [`edge.${name}`, 200],
        [`edge.${name}`, 300],
      ]);
    }
  });

  it('holds TTLs within min/max and keeps NXDOMAIN only with an SOA', async () => {
    const { ask, calls } = setup({ minTtl: 60, maxTtl: 120 });
    const low = dnsPacket.decode(
      Buffer.from(await ask(ctx('low.test', 1), upstreamAnswer('low.test', 5))),
    );
    expect(ttlOf(low)).toBe(60);
    const high = dnsPacket.decode(
      Buffer.from(await ask(ctx('hi.test', 1), upstreamAnswer('hi.test', 9999))),
    );
    expect(ttlOf(high)).toBe(120);
    await ask(ctx('nx.test', 1), upstreamAnswer('nx.test', 0, 3));
    await ask(ctx('nx.test', 2), upstreamAnswer('nx.test', 0, 3));
    expect(calls()).toBe(4); // NXDOMAIN without SOA is not cached
  });

  it('stays within maxEntries and shares one upstream query among identical ones in flight', async () => {
    const { cache, ask } = setup({ maxEntries: 3 });
    for (let i = 0; i < 10; i++) await ask(ctx(`n${i}.test`, i), upstreamAnswer(`n${i}.test`, 300));
    expect(cache.size).toBeLessThanOrEqual(3);
    let calls = 0;
    let release: (b: Uint8Array) => void = () => {};
    const slow = new Promise<Uint8Array>((r) => {
      release = r;
    });
    const upstream = () => {
      calls++;
      return slow;
    };
    const a = cache.handle(ctx('same.test', 1), upstream);
    const b = cache.handle(ctx('same.test', 2), upstream);
    release(upstreamAnswer('same.test', 300));
    const [ra, rb] = await Promise.all([a, b]);
    expect(calls).toBe(1);
    expect(Buffer.from(ra).readUInt16BE(0)).toBe(1);
    expect(Buffer.from(rb).readUInt16BE(0)).toBe(2);
  });

  it('never keeps or shares an answer to a CD query, but answers one from the cache', async () => {
    const { ask, calls } = setup();
    const unchecked = dnsPacket.decode(
      Buffer.from(await ask(ctx('cd.test', 7, true), upstreamAnswer('cd.test', 300))),
    );
    expect(unchecked.id).toBe(7);
    expect(ttlOf(unchecked)).toBe(300);
    // A client relying on validation is not handed what the CD query got: it asks upstream.
    await ask(ctx('cd.test', 8), upstreamAnswer('cd.test', 300));
    expect(calls()).toBe(2);
    // What a validated query cached may answer a CD query.
    const fromCache = dnsPacket.decode(
      Buffer.from(await ask(ctx('cd.test', 9, true), upstreamAnswer('cd.test', 1))),
    );
    expect(calls()).toBe(2);
    expect(ttlOf(fromCache)).toBe(300);
  });
});
