/**
 * HPACK (RFC 7541) decoding and encoding, checked against the RFC's own examples (Appendix C)
 * and code table (Appendix B), and against the malformed blocks a hostile client can send.
 */
import { describe, expect, it } from 'vitest';
import {
  encodeHeaders,
  type HeaderField,
  HpackDecoder,
  HpackError,
} from '../../../../../../resolver/serve/transport/http2/hpack.js';
import {
  huffmanCode,
  huffmanDecode,
} from '../../../../../../resolver/serve/transport/http2/huffman.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

/** The fields of one block, copied (the decoder reuses its array). */
function decode(decoder: HpackDecoder, block: Buffer): HeaderField[] {
  const count = decoder.decode(block);
  return decoder.fields.slice(0, count).map(([name, value]) => [name, value]);
}

/** The dynamic table as the decoder sees it: every index from 62 up until one is refused. */
function dynamicTable(decoder: HpackDecoder): HeaderField[] {
  const table: HeaderField[] = [];
  for (let index = 62; index < 200; index++) {
    try {
      for (const field of decode(decoder, Buffer.from([0x80 | index]))) table.push(field);
    } catch (error) {
      expect(error).toBeInstanceOf(HpackError);
      return table;
    }
  }
  throw new Error('the dynamic table never ended');
}

const size = (table: HeaderField[]) =>
  table.reduce((sum, [name, value]) => sum + name.length + value.length + 32, 0);

describe('HPACK decoding: RFC 7541 Appendix C', () => {
  it('C.2: literal fields with indexing, without indexing, never indexed; an indexed field', () => {
    const withIndexing = new HpackDecoder(4096, 16384);
    expect(
      decode(withIndexing, hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572')),
    ).toEqual([['custom-key', 'custom-header']]);
    expect(dynamicTable(withIndexing)).toEqual([['custom-key', 'custom-header']]);
    expect(size(dynamicTable(withIndexing))).toBe(55);

    const withoutIndexing = new HpackDecoder(4096, 16384);
    expect(decode(withoutIndexing, hex('040c 2f73 616d 706c 652f 7061 7468'))).toEqual([
      [':path', '/sample/path'],
    ]);
    expect(dynamicTable(withoutIndexing)).toEqual([]);

    const neverIndexed = new HpackDecoder(4096, 16384);
    expect(decode(neverIndexed, hex('1008 7061 7373 776f 7264 0673 6563 7265 74'))).toEqual([
      ['password', 'secret'],
    ]);
    expect(dynamicTable(neverIndexed)).toEqual([]);

    expect(decode(new HpackDecoder(4096, 16384), hex('82'))).toEqual([[':method', 'GET']]);
  });

  // C.3 (plain strings) and C.4 (Huffman) are the same three requests on one connection: the
  // second and third refer to entries the earlier ones added (0xbe, 0xbf).
  const requests: HeaderField[][] = [
    [
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
    ],
    [
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
      ['cache-control', 'no-cache'],
    ],
    [
      [':method', 'GET'],
      [':scheme', 'https'],
      [':path', '/index.html'],
      [':authority', 'www.example.com'],
      ['custom-key', 'custom-value'],
    ],
  ];
  const tables: HeaderField[][] = [
    [[':authority', 'www.example.com']],
    [
      ['cache-control', 'no-cache'],
      [':authority', 'www.example.com'],
    ],
    [
      ['custom-key', 'custom-value'],
      ['cache-control', 'no-cache'],
      [':authority', 'www.example.com'],
    ],
  ];
  const tableSizes = [57, 110, 164];

  for (const [section, blocks] of [
    [
      'C.3 (without Huffman)',
      [
        '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
        '8286 84be 5808 6e6f 2d63 6163 6865',
        '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65',
      ],
    ],
    [
      'C.4 (with Huffman)',
      [
        '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff',
        '8286 84be 5886 a8eb 1064 9cbf',
        '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf',
      ],
    ],
  ] as const) {
    it(`${section}: three requests on one decoder, each growing the dynamic table`, () => {
      const decoder = new HpackDecoder(4096, 16384);
      blocks.forEach((block, i) => {
        expect(decode(decoder, hex(block)), `request ${i + 1}`).toEqual(requests[i]);
        const table = dynamicTable(decoder);
        expect(table, `table after request ${i + 1}`).toEqual(tables[i]);
        expect(size(table)).toBe(tableSizes[i]);
      });
    });
  }

  it('C.6: responses with Huffman in a 256-octet table, which evicts its oldest entries', () => {
    const decoder = new HpackDecoder(256, 16384);
    const date1 = 'Mon, 21 Oct 2013 20:13:21 GMT';
    const date2 = 'Mon, 21 Oct 2013 20:13:22 GMT';
    const location = 'https://www.example.com';
    expect(
      decode(
        decoder,
        hex(`4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
             2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3`),
      ),
    ).toEqual([
      [':status', '302'],
      ['cache-control', 'private'],
      ['date', date1],
      ['location', location],
    ]);
    expect(size(dynamicTable(decoder))).toBe(222);

    // ":status: 307" needs room: ":status: 302" is evicted.
    expect(decode(decoder, hex('4883 640e ffc1 c0bf'))).toEqual([
      [':status', '307'],
      ['cache-control', 'private'],
      ['date', date1],
      ['location', location],
    ]);
    expect(dynamicTable(decoder)).toEqual([
      [':status', '307'],
      ['location', location],
      ['date', date1],
      ['cache-control', 'private'],
    ]);

    expect(
      decode(
        decoder,
        hex(`88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
             77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
             9587 3160 65c0 03ed 4ee5 b106 3d50 07`),
      ),
    ).toEqual([
      [':status', '200'],
      ['cache-control', 'private'],
      ['date', date2],
      ['location', location],
      ['content-encoding', 'gzip'],
      ['set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1'],
    ]);
    const table = dynamicTable(decoder);
    expect(table).toEqual([
      ['set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1'],
      ['content-encoding', 'gzip'],
      ['date', date2],
    ]);
    expect(size(table)).toBe(215);
  });

  it('a table size update to 0 empties the table; an entry larger than the table is not kept', () => {
    const decoder = new HpackDecoder(4096, 16384);
    decode(decoder, hex('8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d'));
    expect(dynamicTable(decoder)).toHaveLength(1);
    expect(decode(decoder, hex('20 82'))).toEqual([[':method', 'GET']]);
    expect(dynamicTable(decoder)).toEqual([]);
    // Still 0: a literal with indexing is decoded but not added.
    expect(decode(decoder, hex('4001 7801 79'))).toEqual([['x', 'y']]);
    expect(dynamicTable(decoder)).toEqual([]);
  });
});

describe('Huffman code (RFC 7541 Appendix B)', () => {
  it('codes as the RFC table lists them', () => {
    expect(huffmanCode(48)).toEqual({ code: 0x0, length: 5 }); // '0'
    expect(huffmanCode(97)).toEqual({ code: 0x3, length: 5 }); // 'a'
    expect(huffmanCode(32)).toEqual({ code: 0x14, length: 6 }); // ' '
    expect(huffmanCode(122)).toEqual({ code: 0x7b, length: 7 }); // 'z'
    expect(huffmanCode(0)).toEqual({ code: 0x1ff8, length: 13 });
    expect(huffmanCode(255)).toEqual({ code: 0x3ffffee, length: 26 });
    expect(huffmanCode(256)).toEqual({ code: 0x3fffffff, length: 30 }); // EOS
  });

  it('decodes the strings of Appendix C', () => {
    expect(huffmanDecode(hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff'))).toBe('www.example.com');
    expect(huffmanDecode(hex('a8eb 1064 9cbf'))).toBe('no-cache');
    expect(huffmanDecode(hex('6402'))).toBe('302');
    expect(huffmanDecode(hex(''))).toBe('');
  });

  it('every octet decodes back from its own code', () => {
    for (let symbol = 0; symbol < 256; symbol++) {
      const { code, length } = huffmanCode(symbol);
      // The code, then padding with ones up to the next octet.
      const padding = (8 - (length % 8)) % 8;
      const bits = BigInt(code) * 2n ** BigInt(padding) + (2n ** BigInt(padding) - 1n);
      const octets = (length + padding) / 8;
      const bytes = Buffer.from(bits.toString(16).padStart(octets * 2, '0'), 'hex');
      expect(huffmanDecode(bytes), `symbol ${symbol}`).toBe(String.fromCharCode(symbol));
    }
  });

  it('refuses EOS inside a string, padding over 7 bits, and padding that is not all ones', () => {
    // 'a' (00011) then EOS (30 ones) then padding.
    expect(huffmanDecode(hex('1fff ffff ff'))).toBeUndefined();
    // 'a' then 11 bits of ones: a padding of more than 7 bits.
    expect(huffmanDecode(hex('1fff'))).toBeUndefined();
    // 'a' then 000: padding not made of ones.
    expect(huffmanDecode(hex('18'))).toBeUndefined();
    // The positive control: 'a' padded with 111.
    expect(huffmanDecode(hex('1f'))).toBe('a');
  });
});

describe('HPACK decoder errors', () => {
  const fails = (block: string, message: RegExp, decoder = new HpackDecoder(4096, 16384)) =>
    expect(() => decoder.decode(hex(block))).toThrow(message);

  it('refuses index 0 and an index beyond the table', () => {
    fails('80', /index 0/);
    fails('be', /index 62 beyond the table/);
    fails('7e 01 78', /index 62 beyond the table/); // a literal whose name is index 62
  });

  it('refuses a table size update above the setting, or after a field', () => {
    expect(() => new HpackDecoder(4096, 16384).decode(hex('3fe11f 82'))).not.toThrow(); // 4096
    fails('3fe21f', /above the setting/); // 4097
    fails('3fe11f', /above the setting/, new HpackDecoder(256, 16384));
    fails('82 20', /after a field/);
  });

  it('refuses an integer too large and a string or integer that runs past the block', () => {
    fails('ff ffffffff 0f', /integer too large/);
    fails('ff ff', /integer runs past the block/);
    fails('400a 616263', /string runs past the block/);
    fails('40', /string runs past the block/);
    fails('4001 78', /string runs past the block/); // the value is missing
    fails('4081 ff', /bad Huffman string/);
  });

  it('refuses a header list above its bound: one big entry referenced many times', () => {
    const value = 'v'.repeat(4000);
    // A literal with indexing, "x" and 4,000 v's (length 127 + 0x21 + 0x1e * 128).
    const entry = Buffer.concat([hex('4001 78 7fa11e'), Buffer.from(value)]);
    // 4,033 octets each as the list counts them: the entry and three references fit 16,384...
    const decoder = new HpackDecoder(4096, 16384);
    expect(decoder.decode(Buffer.concat([entry, hex('bebebe')]))).toBe(4);
    expect(decoder.fields[3]).toEqual(['x', value]);
    // ...and four do not, however small the block.
    expect(() =>
      new HpackDecoder(4096, 16384).decode(Buffer.concat([entry, hex('bebebebe')])),
    ).toThrow(/header list too large/);
    // A block of 1,000 references to a 4 KB entry: refused, not expanded into 4 MB.
    expect(() =>
      new HpackDecoder(4096, 16384).decode(Buffer.concat([entry, Buffer.alloc(1000, 0xbe)])),
    ).toThrow(/header list too large/);
  });
});

describe('HPACK encoding of responses', () => {
  const roundTrip = (status: number, fields: HeaderField[]) =>
    decode(new HpackDecoder(4096, 16384), encodeHeaders(status, fields));

  it('status 200 is one octet, the static entry 8', () => {
    expect([...encodeHeaders(200, [])]).toEqual([0x88]);
    expect(roundTrip(200, [])).toEqual([[':status', '200']]);
  });

  it('other statuses, names in the static table and not, round-trip through the decoder', () => {
    const fields: HeaderField[] = [
      ['content-type', 'application/dns-message'],
      ['content-length', '65535'],
      ['cache-control', 'private, max-age=0'],
      ['x-kalkan-test', 'a value longer than one hundred and twenty-seven octets, '.repeat(3)],
      ['allow', 'GET, POST'],
    ];
    for (const status of [200, 204, 400, 404, 405, 413, 415, 500])
      expect(roundTrip(status, fields), String(status)).toEqual([
        [':status', String(status)],
        ...fields,
      ]);
  });

  it('the same field list encoded for another status is encoded again', () => {
    const fields: HeaderField[] = [['content-length', '3']];
    expect(roundTrip(200, fields)[0]).toEqual([':status', '200']);
    expect(roundTrip(404, fields)[0]).toEqual([':status', '404']);
    expect(roundTrip(200, fields)[0]).toEqual([':status', '200']);
  });

  it('never adds to the peer’s dynamic table', () => {
    const decoder = new HpackDecoder(4096, 16384);
    decode(decoder, encodeHeaders(415, [['content-type', 'text/plain; charset=utf-8']]));
    expect(dynamicTable(decoder)).toEqual([]);
  });
});
