import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OPCODE, RCODE } from '../../../../resolver/dns/codes.js';
import { udpLimit } from '../../../../resolver/dns/opt.js';
import { emptyQuestion, parseQuery, readPlainQuery } from '../../../../resolver/dns/query.js';
import { aaaaQuery as query } from '../query-bytes.js';

describe('parseQuery', () => {
  it('reads the question in lower case, and EDNS size and DO', () => {
    const r = parseQuery(query('WwW.Example.TEST', { edns: true, dnssecOk: true, udpSize: 4096 }));
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

  it('drops responses and short packets, answers FORMERR/NOTIMP/REFUSED when the header is readable', () => {
    expect(parseQuery(new Uint8Array(5))).toEqual({ ok: false, rcode: RCODE.FORMERR });
    const response = query('a.test');
    response[2] = (response[2] as number) | 0x80;
    expect(parseQuery(response)).toEqual({ ok: false, rcode: RCODE.FORMERR });
    const notify = query('a.test');
    notify[2] = (OPCODE.NOTIFY << 3) | 1;
    expect(parseQuery(notify)).toEqual({ ok: false, rcode: RCODE.REFUSED, id: 4242 });
    const unassigned = query('a.test');
    unassigned[2] = 15 << 3;
    expect(parseQuery(unassigned)).toEqual({ ok: false, rcode: RCODE.NOTIMP, id: 4242 });
    const cut = query('a.test').subarray(0, 16);
    expect(parseQuery(cut)).toEqual({ ok: false, rcode: RCODE.FORMERR, id: 4242 });
  });

  it('answers FORMERR to QDCOUNT 0 or 2, two OPT records, or an OPT not owned by the root', () => {
    const formErr = { ok: false, rcode: RCODE.FORMERR, id: 4242 };
    const none = query('a.test');
    none.writeUInt16BE(0, 4);
    expect(parseQuery(none)).toEqual(formErr);
    const two = query('a.test');
    two.writeUInt16BE(2, 4);
    expect(parseQuery(two)).toEqual(formErr);
    const opt = query('a.test', { edns: true });
    const twoOpts = Buffer.concat([opt, opt.subarray(opt.length - 11)]);
    twoOpts.writeUInt16BE(2, 10);
    expect(parseQuery(twoOpts)).toEqual(formErr);
    const owned = Buffer.concat([
      opt.subarray(0, opt.length - 11),
      Buffer.from([1, 0x61, 0]),
      opt.subarray(opt.length - 10),
    ]);
    expect(parseQuery(owned)).toEqual(formErr);
  });

  it("reads the EDNS version (BADVERS is the caller's), and takes a claimed size under 512 as 512", () => {
    const v1 = query('a.test', { edns: true, udpSize: 100 });
    v1[v1.length - 5] = 1; // the OPT TTL's version byte
    const r = parseQuery(v1);
    expect(r.ok && r.question).toMatchObject({ edns: true, ednsVersion: 1, udpSize: 512 });
  });
});

describe('readPlainQuery (the fast path reader)', () => {
  const TYPES = ['A', 'AAAA', 'TXT', 'MX', 'SRV'] as const;
  it('reads what parseQuery reads, for every plain query shape', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/), { minLength: 1, maxLength: 4 }),
        fc.constantFrom(...TYPES),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 65_535 }),
        (labels, type, edns, dnssecOk, size) => {
          const msg = dnsPacket.encode({
            type: 'query',
            id: 7,
            flags: dnsPacket.RECURSION_DESIRED,
            questions: [{ name: labels.join('.'), type, class: 'IN' }],
            additionals: edns
              ? [
                  {
                    type: 'OPT',
                    name: '.',
                    udpPayloadSize: size,
                    flags: dnssecOk ? dnsPacket.DNSSEC_OK : 0,
                  } as dnsPacket.Answer,
                ]
              : [],
          });
          const full = parseQuery(msg);
          const q = emptyQuestion();
          const nameLength = readPlainQuery(msg, q);
          expect(full.ok).toBe(true);
          if (!full.ok) return;
          expect(nameLength).toBe(full.question.questionEnd - 12 - 5);
          expect({ ...q, name: full.question.name }).toEqual(full.question);
        },
      ),
    );
  });

  it('declines compression, EDNS versions other than 0, opcodes, responses and extra records', () => {
    const q = emptyQuestion();
    const compressed = Buffer.concat([
      query('a.test').subarray(0, 12),
      Buffer.from([0xc0, 12, 0, 1, 0, 1]),
    ]);
    expect(readPlainQuery(compressed, q)).toBe(-1);
    const v1 = query('a.test', { edns: true });
    v1[v1.length - 5] = 1;
    expect(readPlainQuery(v1, q)).toBe(-1);
    const notify = query('a.test');
    notify[2] = OPCODE.NOTIFY << 3;
    expect(readPlainQuery(notify, q)).toBe(-1);
    const response = query('a.test');
    response[2] = 0x80;
    expect(readPlainQuery(response, q)).toBe(-1);
    expect(readPlainQuery(Buffer.concat([query('a.test'), Buffer.from([0])]), q)).toBe(-1);
  });
});
