import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { padToBlock, RESPONSE_BLOCK } from '../../../../resolver/dns/padding.js';

const answer = (edns: boolean, answers = 1) =>
  dnsPacket.encode({
    type: 'response',
    id: 1,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name: 'open.kalkan.test', type: 'A' }],
    answers: Array.from({ length: answers }, (_, i) => ({
      name: 'open.kalkan.test',
      type: 'A' as const,
      ttl: 300,
      data: `192.0.2.${i % 250}`,
    })),
    additionals: edns
      ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0 } as dnsPacket.Answer]
      : [],
  });

describe('RFC 8467 block-length padding', () => {
  it('pads an EDNS answer to 468 octets with a padding option of zeros, records untouched', () => {
    const plain = answer(true);
    const padded = padToBlock(plain);
    expect(padded.length).toBe(RESPONSE_BLOCK);
    const decoded = dnsPacket.decode(Buffer.from(padded));
    expect(decoded.answers).toEqual(dnsPacket.decode(plain).answers);
    const opt = decoded.additionals?.[0] as unknown as {
      options: { code: number; data: Buffer }[];
    };
    expect(opt.options).toHaveLength(1);
    expect(opt.options[0]?.code).toBe(12);
    expect([...(opt.options[0]?.data ?? [])].every((b) => b === 0)).toBe(true);
  });

  it('goes to the next block when the answer is longer than one', () => {
    const big = answer(true, 20);
    expect(big.length + 4).toBeGreaterThan(RESPONSE_BLOCK);
    expect(big.length + 4).toBeLessThanOrEqual(2 * RESPONSE_BLOCK);
    expect(padToBlock(big).length).toBe(2 * RESPONSE_BLOCK);
  });

  it('leaves a message without OPT (the client sent no EDNS) and a malformed one alone', () => {
    const plain = answer(false);
    expect(padToBlock(plain)).toBe(plain);
    const junk = Uint8Array.from([1, 2, 3]);
    expect(padToBlock(junk)).toBe(junk);
  });
});
