/**
 * Writes one message into a fixed buffer, for the RPZ primary's answers and transfers: a
 * million-record AXFR goes straight into buffers rather than through per-record objects.
 */
import { CLASS, HEADER_BYTES, QNAME_OFFSET } from './codes.js';
import { nameToWire } from './name.js';
import { WireError } from './wire-error.js';

/**
 * Names under the zone origin are written as their
 * own labels plus a pointer to the question name, so a listed name costs its length + 3 bytes.
 */
export class MessageWriter {
  readonly buf: Buffer;
  pos = HEADER_BYTES;
  private counts = [0, 0, 0, 0];

  constructor(
    capacity: number,
    private readonly origin: string,
  ) {
    this.buf = Buffer.alloc(capacity);
  }

  reset(id: number, flags: number): void {
    this.pos = HEADER_BYTES;
    this.counts = [0, 0, 0, 0];
    this.buf.writeUInt16BE(id, 0);
    this.buf.writeUInt16BE(flags, 2);
  }

  get room(): number {
    return this.buf.length - this.pos;
  }

  question(type: number, klass = CLASS.IN): void {
    if (this.pos !== QNAME_OFFSET) throw new WireError('question must come first');
    const name = nameToWire(this.origin);
    name.copy(this.buf, this.pos);
    this.pos += name.length;
    this.pos = this.buf.writeUInt16BE(type, this.pos);
    this.pos = this.buf.writeUInt16BE(klass, this.pos);
    this.counts[0] = 1;
  }

  /** Bytes a name relative to the origin takes ("" is the origin itself). */
  static relativeSize(relative: string): number {
    return relative === '' ? 2 : relative.length + 3;
  }

  /** Writes `relative` + pointer to the origin; returns where it started. */
  relativeName(relative: string): number {
    const start = this.pos;
    if (relative !== '') {
      let labelStart = this.pos++;
      for (let i = 0; i < relative.length; i++) {
        const c = relative.charCodeAt(i);
        if (c === 46) {
          this.buf[labelStart] = this.pos - labelStart - 1;
          labelStart = this.pos++;
        } else this.buf[this.pos++] = c;
      }
      this.buf[labelStart] = this.pos - labelStart - 1;
    }
    this.pointer(QNAME_OFFSET);
    return start;
  }

  pointer(target: number): void {
    this.buf[this.pos++] = 0xc0 | (target >> 8);
    this.buf[this.pos++] = target & 0xff;
  }

  /** A name that may or may not be under the origin. */
  name(absolute: string): void {
    const clean = absolute.replace(/\.$/, '').toLowerCase();
    if (clean === this.origin) this.relativeName('');
    else if (clean.endsWith(`.${this.origin}`))
      this.relativeName(clean.slice(0, -this.origin.length - 1));
    else this.bytes(nameToWire(clean));
  }

  bytes(data: Uint8Array): void {
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  /** Type, class, TTL and a placeholder RDLENGTH; `endRecord` fills it in. */
  recordHead(type: number, ttl: number, section: 1 | 2 | 3, klass = CLASS.IN): number {
    this.pos = this.buf.writeUInt16BE(type, this.pos);
    this.pos = this.buf.writeUInt16BE(klass, this.pos);
    this.pos = this.buf.writeUInt32BE(ttl, this.pos);
    this.pos += 2;
    this.counts[section] = (this.counts[section] as number) + 1;
    return this.pos;
  }

  endRecord(rdataStart: number): void {
    this.buf.writeUInt16BE(this.pos - rdataStart, rdataStart - 2);
  }

  u32(value: number): void {
    this.pos = this.buf.writeUInt32BE(value >>> 0, this.pos);
  }

  /** The finished message (a copy, so the writer can be reused). */
  finish(): Buffer {
    for (let i = 0; i < 4; i++) this.buf.writeUInt16BE(this.counts[i] as number, 4 + 2 * i);
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}
