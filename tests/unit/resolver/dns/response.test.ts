import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { cnameTargetsOf, shapeOf } from '../../../../resolver/dns/response.js';

describe('shapeOf', () => {
  it('finds TTL offsets, the minimum TTL, CNAMEs and the trailing OPT', () => {
    const bytes = dnsPacket.encode({
      type: 'response',
      id: 1,
      flags: 0,
      questions: [{ name: 'a.test', type: 'A', class: 'IN' }],
      answers: [
        { type: 'CNAME', name: 'a.test', ttl: 600, data: 'b.test' },
        { type: 'A', name: 'b.test', ttl: 60, data: '192.0.2.1' },
      ],
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232 } as dnsPacket.Answer],
    });
    const shape = shapeOf(bytes);
    expect(shape).toMatchObject({ rcode: 0, ttl: 60, answerCount: 2 });
    expect(shape && cnameTargetsOf(bytes, shape)).toEqual(['b.test']);
    expect(shape?.ttlOffsets).toHaveLength(2);
    expect(shape?.optOffset).toBeGreaterThan(0);
  });

  it('takes the negative TTL from the SOA: min(TTL, MINIMUM) (RFC 2308)', () => {
    const bytes = dnsPacket.encode({
      type: 'response',
      id: 1,
      flags: 3,
      questions: [{ name: 'x.test', type: 'A', class: 'IN' }],
      authorities: [
        {
          type: 'SOA',
          name: 'test',
          ttl: 3600,
          data: {
            mname: 'ns.test',
            rname: 'h.test',
            serial: 1,
            refresh: 1,
            retry: 1,
            expire: 1,
            minimum: 120,
          },
        },
      ],
    });
    expect(shapeOf(bytes)).toMatchObject({ rcode: 3, ttl: 120 });
    expect(shapeOf(bytes.subarray(0, 20))).toBeUndefined();
  });
});
