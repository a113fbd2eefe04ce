/**
 * Sinkhole addresses in every text form, checked against node:net: an address written from
 * our bytes must be the same address, to node's own parser (BlockList), as the text it came
 * from, whatever form that text took.
 */
import { BlockList } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipv4Bytes, ipv6Bytes } from '../../../../resolver/net/address-bytes.js';

/** The full, uncompressed text of 16 bytes. */
function fullText(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2)
    groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
  return groups.join(':');
}

/** Whether node:net takes `a` and `b` for the same IPv6 address. */
function sameToNode(a: string, b: string): boolean {
  const list = new BlockList();
  list.addAddress(a, 'ipv6');
  return list.check(b, 'ipv6');
}

describe('sinkhole address bytes', () => {
  it('IPv6 in any form (compressed, upper case, IPv4 tail) gives the bytes node:net reads', () => {
    const forms = fc
      .tuple(fc.ipV6(), fc.boolean())
      .map(([text, upper]) => (upper ? text.toUpperCase() : text));
    fc.assert(
      fc.property(forms, (text) => {
        const bytes = ipv6Bytes(text);
        expect(bytes).toHaveLength(16);
        expect(sameToNode(text, fullText(bytes)), text).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('an IPv4-mapped address is ::ffff: and the four IPv4 bytes', () => {
    expect([...ipv6Bytes('::ffff:192.0.2.1')]).toEqual([
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1,
    ]);
    expect(ipv6Bytes('::FFFF:c000:201')).toEqual(ipv6Bytes('::ffff:192.0.2.1'));
    expect([...ipv6Bytes('::')]).toEqual(new Array(16).fill(0));
    expect(ipv6Bytes('64:ff9b::192.0.2.33')).toEqual(ipv6Bytes('64:ff9b::c000:221'));
  });

  it('IPv4 gives its four bytes; anything else is refused by name', () => {
    fc.assert(
      fc.property(fc.ipV4(), (text) => {
        expect([...ipv4Bytes(text)].join('.')).toBe(text);
      }),
    );
    expect(() => ipv4Bytes('256.0.0.1')).toThrow('not an IPv4 address: "256.0.0.1"');
    expect(() => ipv6Bytes('fe80::1%eth0')).toThrow(/without a zone/);
    expect(() => ipv6Bytes('192.0.2.1')).toThrow(/not an IPv6 address/);
  });
});
