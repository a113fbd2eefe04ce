import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { AddressSet } from '../../resolver/net/address-set.js';
import { chain, type QueryContext } from '../../resolver/serve/context.js';
import { AclStage } from '../../resolver/serve/stages/acl.js';
import { RateLimitStage } from '../../resolver/serve/stages/rate-limit.js';
import { safeSearchTarget } from '../../resolver/serve/stages/special-names.js';
import { Stats } from '../../resolver/serve/stats.js';
import { parseQuery } from '../../resolver/serve/wire.js';

function ctx(client: string): QueryContext {
  const query = dnsPacket.encode({
    type: 'query',
    id: 7,
    questions: [{ name: 'a.test', type: 'A', class: 'IN' }],
  });
  const parsed = parseQuery(query);
  if (!parsed.ok) throw new Error('bad query');
  return { query, q: parsed.question, client, transport: 'udp' };
}
const rcode = (bytes: unknown) => ((bytes as Uint8Array)[3] as number) & 0x0f;
const OK = new Uint8Array(12);

describe('acl stage', () => {
  it('passes allowed subnets (IPv4, IPv6, v4-mapped) and refuses the rest', () => {
    const stats = new Stats();
    const run = chain([new AclStage(new AddressSet(['10.0.0.0/8', 'fd00::/8']), stats)], () => OK);
    expect(run(ctx('10.1.2.3'))).toBe(OK);
    expect(run(ctx('::ffff:10.9.9.9'))).toBe(OK);
    expect(run(ctx('fd12::1'))).toBe(OK);
    expect(rcode(run(ctx('192.0.2.1')))).toBe(5);
    expect(rcode(run(ctx('2001:db8::1')))).toBe(5);
    expect(stats.refused).toBe(2);
  });
});

describe('rate-limit stage', () => {
  it('allows a burst, then refills at the configured rate, per client', () => {
    let now = 0;
    const stats = new Stats();
    const run = chain([new RateLimitStage(2, 3, stats, () => now)], () => OK);
    const codes = () => Array.from({ length: 4 }, () => run(ctx('10.0.0.1')));
    expect(codes().map((r) => r === OK)).toEqual([true, true, true, false]);
    expect(run(ctx('10.0.0.2'))).toBe(OK); // another client has its own bucket
    now += 1000; // two tokens back
    expect(codes().map((r) => r === OK)).toEqual([true, true, false, false]);
    expect(stats.rateLimited).toBe(3);
  });
});

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
