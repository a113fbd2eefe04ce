import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { parseQuery, Rcode, reply, shapeOf, udpLimit } from '../../resolver/serve/wire.js';

const query = (name: string, opts: { edns?: boolean; do?: boolean; size?: number } = {}) =>
  dnsPacket.encode({
    type: 'query',
    id: 4242,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: 'AAAA', class: 'IN' }],
    additionals: opts.edns
      ? [
          {
            type: 'OPT',
            name: '.',
            udpPayloadSize: opts.size ?? 4096,
            flags: opts.do ? dnsPacket.DNSSEC_OK : 0,
          } as dnsPacket.Answer,
        ]
      : [],
  });

describe('parseQuery', () => {
  it('reads the question in lower case, and EDNS size and DO', () => {
    const r = parseQuery(query('WwW.Example.TEST', { edns: true, do: true, size: 4096 }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.question).toMatchObject({
      id: 4242,
      name: 'www.example.test',
      qtype: 28,
      qclass: 1,
      edns: true,
      dnssecOk: true,
      udpSize: 4096,
      rd: true,
    });
    expect(udpLimit(r.question)).toBe(1232);
  });

  it('without EDNS the UDP limit is 512', () => {
    const r = parseQuery(query('a.test'));
    expect(r.ok && udpLimit(r.question)).toBe(512);
  });

  it('drops responses and short packets, answers FORMERR/NOTIMP when the header is readable', () => {
    expect(parseQuery(new Uint8Array(5))).toEqual({ ok: false, rcode: Rcode.FormErr });
    const response = query('a.test');
    response[2] = (response[2] as number) | 0x80;
    expect(parseQuery(response)).toEqual({ ok: false, rcode: Rcode.FormErr });
    const notify = query('a.test');
    notify[2] = (4 << 3) | 1;
    expect(parseQuery(notify)).toEqual({ ok: false, rcode: Rcode.NotImp, id: 4242 });
    const cut = query('a.test').subarray(0, 16);
    expect(parseQuery(cut)).toEqual({ ok: false, rcode: Rcode.FormErr, id: 4242 });
  });
});

describe('reply', () => {
  it("repeats the client's question and adds an OPT only for EDNS clients", () => {
    const bytes = query('Mixed.Case.test', { edns: true });
    const r = parseQuery(bytes);
    if (!r.ok) throw new Error('parse');
    const decoded = dnsPacket.decode(reply(bytes, r.question, Rcode.NxDomain));
    expect(decoded.id).toBe(4242);
    expect(decoded.questions?.[0]?.name).toBe('Mixed.Case.test');
    expect((decoded.flags ?? 0) & 0x0f).toBe(3);
    expect(decoded.additionals?.[0]?.type).toBe('OPT');
  });
});

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
    expect(shape).toMatchObject({ rcode: 0, ttl: 60, hasCname: true, answerCount: 2 });
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
