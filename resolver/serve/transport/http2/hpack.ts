/**
 * HPACK (RFC 7541) for a server that answers DNS: a full decoder of request header blocks
 * (static and dynamic table, integers, literals, Huffman strings) and an encoder of the few
 * response fields DoH sends, as literals that never enter the peer's dynamic table (so the
 * peer's table size never matters to us).
 */
import { huffmanDecode } from './huffman.js';

export type HeaderField = [name: string, value: string];

/** RFC 7541 Appendix A; index 1 is the first entry. */
const STATIC_TABLE: readonly HeaderField[] = [
  [':authority', ''],
  [':method', 'GET'],
  [':method', 'POST'],
  [':path', '/'],
  [':path', '/index.html'],
  [':scheme', 'http'],
  [':scheme', 'https'],
  [':status', '200'],
  [':status', '204'],
  [':status', '206'],
  [':status', '304'],
  [':status', '400'],
  [':status', '404'],
  [':status', '500'],
  ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''],
  ['accept-ranges', ''],
  ['accept', ''],
  ['access-control-allow-origin', ''],
  ['age', ''],
  ['allow', ''],
  ['authorization', ''],
  ['cache-control', ''],
  ['content-disposition', ''],
  ['content-encoding', ''],
  ['content-language', ''],
  ['content-length', ''],
  ['content-location', ''],
  ['content-range', ''],
  ['content-type', ''],
  ['cookie', ''],
  ['date', ''],
  ['etag', ''],
  ['expect', ''],
  ['expires', ''],
  ['from', ''],
  ['host', ''],
  ['if-match', ''],
  ['if-modified-since', ''],
  ['if-none-match', ''],
  ['if-range', ''],
  ['if-unmodified-since', ''],
  ['last-modified', ''],
  ['link', ''],
  ['location', ''],
  ['max-forwards', ''],
  ['proxy-authenticate', ''],
  ['proxy-authorization', ''],
  ['range', ''],
  ['referer', ''],
  ['refresh', ''],
  ['retry-after', ''],
  ['server', ''],
  ['set-cookie', ''],
  ['strict-transport-security', ''],
  ['transfer-encoding', ''],
  ['user-agent', ''],
  ['vary', ''],
  ['via', ''],
  ['www-authenticate', ''],
];

const RECENT_HUFFMAN = 4;
const RECENT_HUFFMAN_LENGTH = 64;

/** An entry's size: its octets plus 32 (RFC 7541 §4.1). */
const entrySize = ([name, value]: HeaderField) => name.length + value.length + 32;

export class HpackError extends Error {}

/**
 * One connection's decoder. `maxTableSize` is what this server advertised as
 * SETTINGS_HEADER_TABLE_SIZE; `maxListSize` bounds a decoded header list (as
 * SETTINGS_MAX_HEADER_LIST_SIZE counts it), so a small block of indexed fields cannot expand
 * into megabytes.
 */
export class HpackDecoder {
  /** Newest first. */
  private readonly dynamic: HeaderField[] = [];
  private size = 0;
  private limit: number;
  /** The fields of the last block decoded: its first `decode()` entries (reused, not trimmed). */
  readonly fields: HeaderField[] = [];
  private count = 0;
  private block: Buffer = Buffer.alloc(0);
  private at = 0;
  private end = 0;
  private listSize = 0;
  /**
   * The last few short Huffman strings decoded: a client sends the same values unindexed in
   * every request (nghttp2 never indexes :path or content-length), and decoding is bit by bit.
   */
  private readonly recentHuffman: { coded: Buffer; text: string }[] = [];
  private nextRecent = 0;

  constructor(
    private readonly maxTableSize: number,
    private readonly maxListSize: number,
  ) {
    this.limit = maxTableSize;
  }

  /**
   * Decodes the complete header block `block[start, end)` into the first entries of `fields`,
   * and returns how many; throws HpackError (a connection error).
   */
  decode(block: Buffer, start = 0, end = block.length): number {
    this.block = block;
    this.at = start;
    this.end = end;
    this.listSize = 0;
    this.count = 0;
    while (this.at < end) {
      const byte = block[this.at] as number;
      if (byte & 0x80) {
        this.add(this.field(this.integer(7)));
      } else if (byte & 0x40) {
        const index = this.integer(6);
        const name = index ? this.field(index)[0] : this.string();
        const field: HeaderField = [name, this.string()];
        this.add(field);
        this.insert(field);
      } else if (byte & 0x20) {
        // A table size update: only at the start of a block (RFC 7541 §4.2).
        if (this.count > 0) throw new HpackError('table size update after a field');
        const size = this.integer(5);
        if (size > this.maxTableSize) throw new HpackError('table size above the setting');
        this.limit = size;
        this.evict(0);
      } else {
        // Literal without indexing (0000) or never indexed (0001).
        const index = this.integer(4);
        const name = index ? this.field(index)[0] : this.string();
        this.add([name, this.string()]);
      }
    }
    return this.count;
  }

  private integer(prefixBits: number): number {
    const max = (1 << prefixBits) - 1;
    let value = (this.block[this.at++] as number) & max;
    if (value < max) return value;
    for (let shift = 0; ; shift += 7) {
      if (this.at >= this.end) throw new HpackError('integer runs past the block');
      if (shift > 21) throw new HpackError('integer too large');
      const byte = this.block[this.at++] as number;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
  }

  private string(): string {
    if (this.at >= this.end) throw new HpackError('string runs past the block');
    const huffman = ((this.block[this.at] as number) & 0x80) !== 0;
    const length = this.integer(7);
    const start = this.at;
    this.at += length;
    if (this.at > this.end) throw new HpackError('string runs past the block');
    if (!huffman) return this.block.toString('latin1', start, this.at);
    for (const known of this.recentHuffman)
      if (known.coded.compare(this.block, start, this.at) === 0) return known.text;
    const text = huffmanDecode(this.block.subarray(start, this.at));
    if (text === undefined) throw new HpackError('bad Huffman string');
    if (length <= RECENT_HUFFMAN_LENGTH) {
      const coded = Buffer.from(this.block.subarray(start, this.at));
      this.recentHuffman[this.nextRecent] = { coded, text };
      this.nextRecent = (this.nextRecent + 1) % RECENT_HUFFMAN;
    }
    return text;
  }

  private add(field: HeaderField): void {
    this.listSize += entrySize(field);
    if (this.listSize > this.maxListSize) throw new HpackError('header list too large');
    this.fields[this.count++] = field;
  }

  private field(index: number): HeaderField {
    if (index === 0) throw new HpackError('index 0');
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1] as HeaderField;
    const field = this.dynamic[index - STATIC_TABLE.length - 1];
    if (!field) throw new HpackError(`index ${index} beyond the table`);
    return field;
  }

  private insert(field: HeaderField): void {
    const size = entrySize(field);
    this.evict(size);
    // An entry larger than the table empties it and is not added (RFC 7541 §4.4).
    if (size > this.limit) return;
    this.dynamic.unshift(field);
    this.size += size;
  }

  private evict(room: number): void {
    while (this.size + room > this.limit && this.dynamic.length > 0)
      this.size -= entrySize(this.dynamic.pop() as HeaderField);
  }
}

/** The static index of each field name (its first entry). */
const nameIndex = new Map<string, number>();
STATIC_TABLE.forEach(([name], i) => {
  if (!nameIndex.has(name)) nameIndex.set(name, i + 1);
});

/** Octets of an HPACK integer with a `prefixBits` prefix (RFC 7541 §5.1). */
function integerSize(value: number, prefixBits: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) return 1;
  let size = 2;
  for (let rest = value - max; rest >= 0x80; rest = Math.floor(rest / 0x80)) size++;
  return size;
}

function writeInteger(out: Buffer, at: number, value: number, prefixBits: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out[at] = value;
    return at + 1;
  }
  out[at++] = max;
  let rest = value - max;
  while (rest >= 0x80) {
    out[at++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  out[at++] = rest;
  return at;
}

/** One field as a literal without indexing, its name indexed where the static table has it. */
function fieldSize(name: string, value: string): number {
  const index = nameIndex.get(name);
  const nameSize = index ? integerSize(index, 4) : 1 + integerSize(name.length, 7) + name.length;
  return nameSize + integerSize(value.length, 7) + value.length;
}

function writeField(out: Buffer, start: number, name: string, value: string): number {
  let at = start;
  const index = nameIndex.get(name);
  if (index) at = writeInteger(out, at, index, 4);
  else {
    out[at++] = 0;
    at = writeInteger(out, at, name.length, 7);
    at += out.write(name, at, 'latin1');
  }
  at = writeInteger(out, at, value.length, 7);
  return at + out.write(value, at, 'latin1');
}

/** Encoded blocks of header lists answered again and again (one list object per answer kind). */
const encoded = new WeakMap<readonly HeaderField[], { status: number; block: Buffer }>();

/**
 * The header block of a response: `:status` (200 as its static entry) and `fields` as literals
 * without indexing (RFC 7541 §6.2.2), strings not Huffman-coded. Names must be lowercase ASCII
 * and values Latin-1. The block of the same `fields` object and status is encoded once.
 */
export function encodeHeaders(status: number, fields: readonly HeaderField[]): Buffer {
  const known = encoded.get(fields);
  if (known?.status === status) return known.block;
  const statusText = String(status);
  let size = status === 200 ? 1 : fieldSize(':status', statusText);
  for (const [name, value] of fields) size += fieldSize(name, value);
  const block = Buffer.allocUnsafe(size);
  let at = status === 200 ? 1 : writeField(block, 0, ':status', statusText);
  if (status === 200) block[0] = 0x88;
  for (const [name, value] of fields) at = writeField(block, at, name, value);
  encoded.set(fields, { status, block });
  return block;
}
