import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { OPCODE, RCODE } from '../../../../resolver/dns/codes.js';
import { parseQuery } from '../../../../resolver/dns/query.js';
import { badVersion, errorReply, reply, truncated } from '../../../../resolver/dns/reply.js';
import { aaaaQuery as query } from '../query-bytes.js';

function parsed(bytes: Uint8Array) {
  const r = parseQuery(bytes);
  if (!r.ok) throw new Error('parse');
  return r.question;
}

describe('reply', () => {
  it("repeats the client's question and adds an OPT only for EDNS clients", () => {
    const bytes = query('Mixed.Case.test', { edns: true });
    const decoded = dnsPacket.decode(reply(bytes, parsed(bytes), RCODE.NXDOMAIN));
    expect(decoded.id).toBe(4242);
    expect(decoded.questions?.[0]?.name).toBe('Mixed.Case.test');
    expect((decoded.flags ?? 0) & 0x0f).toBe(3);
    expect(decoded.additionals?.[0]?.type).toBe('OPT');
  });

  it('sets TC and keeps only the question when truncating', () => {
    const bytes = query('a.test', { edns: true });
    const decoded = dnsPacket.decode(truncated(bytes, parsed(bytes)));
    expect(decoded.flag_tc).toBe(true);
    expect(decoded.answers).toHaveLength(0);
  });
});

describe('badVersion (RFC 6891 §6.1.3)', () => {
  it('answers BADVERS (16): 0 in the header, 1 in the OPT extended bits, our version 0, DO echoed', () => {
    const bytes = query('a.test', { edns: true, dnssecOk: true });
    bytes[bytes.length - 5] = 1;
    const out = badVersion(bytes, parsed(bytes));
    expect((out[3] as number) & 0x0f).toBe(0);
    const opt = dnsPacket.decode(out).additionals?.[0] as unknown as {
      extendedRcode: number;
      ednsVersion: number;
      flags: number;
    };
    expect(opt.extendedRcode).toBe(1);
    expect(opt.ednsVersion).toBe(0);
    expect(opt.flags & dnsPacket.DNSSEC_OK).toBe(dnsPacket.DNSSEC_OK);
  });
});

describe('errorReply', () => {
  it('keeps the ID, the opcode and RD, sets QR and the rcode', () => {
    const notify = query('a.test');
    notify[2] = (OPCODE.NOTIFY << 3) | 1;
    const out = errorReply(notify, RCODE.REFUSED);
    expect(out.readUInt16BE(0)).toBe(4242);
    expect((out[2] as number) >> 7).toBe(1);
    expect(((out[2] as number) >> 3) & 0x0f).toBe(OPCODE.NOTIFY);
    expect((out[2] as number) & 1).toBe(1);
    expect((out[3] as number) & 0x0f).toBe(RCODE.REFUSED);
    expect(out.readUInt16BE(4)).toBe(0);
    expect(errorReply(notify, RCODE.FORMERR, Buffer.from([0, 0, 1, 0, 1])).readUInt16BE(4)).toBe(1);
  });
});
