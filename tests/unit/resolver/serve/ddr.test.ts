import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../../resolver/dns/message.js';
import { parseQuery } from '../../../../resolver/dns/query.js';
import { designation } from '../../../../resolver/serve/ddr.js';
import { query } from '../query-bytes.js';

const ask = (type: 'SVCB' | 'A', edns = true) => {
  const bytes = query('_dns.resolver.arpa', { type: 'A', edns });
  // dns-packet has no SVCB: the QTYPE written by hand (64), just after the name.
  if (type === 'SVCB') bytes.writeUInt16BE(64, 12 + '_dns.resolver.arpa'.length + 2);
  const parsed = parseQuery(bytes);
  if (!parsed.ok) throw new Error('bad query');
  return { bytes, q: parsed.question };
};

describe('DDR answer (RFC 9462)', () => {
  const ddr = designation(
    'kalkan.test',
    [{ host: '192.0.2.53', port: 853 }],
    [
      { host: '0.0.0.0', port: 443 },
      { host: '2001:db8::53', port: 8443 },
    ],
  );

  it('one SVCB per endpoint in the answer section, addresses of the target in the additional', () => {
    const { bytes, q } = ask('SVCB');
    const m = parseMessage(ddr.answer(bytes, q));
    expect(m.header.ancount).toBe(3);
    const additional = m.records.filter((r) => r.section === 'additional');
    expect(additional.map((r) => [r.name, r.type])).toEqual([
      ['kalkan.test', 1],
      ['kalkan.test', 28],
      ['', 41],
    ]);
    expect(
      ddr.endpoints.map((e) => [e.priority, e.alpn.join(','), e.port, e.hints, e.dohpath]),
    ).toEqual([
      [1, 'dot', 853, ['192.0.2.53'], undefined],
      [2, 'h2,http/1.1', 443, [], '/dns-query{?dns}'],
      [3, 'h2,http/1.1', 8443, ['2001:db8::53'], '/dns-query{?dns}'],
    ]);
  });

  it('another type at the name: NODATA', () => {
    const { bytes, q } = ask('A', false);
    const m = parseMessage(ddr.answer(bytes, q));
    expect(m.header.ancount + m.header.arcount).toBe(0);
  });
});
