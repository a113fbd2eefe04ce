/**
 * The few pieces of the DNS wire format (RFC 1035) the RPZ primary needs, at the byte level:
 * TSIG signs exact bytes, and a million-record AXFR is written straight into buffers rather
 * than through per-record objects. Every read is bounds-checked: a request is untrusted input.
 */

export const TYPE = { NS: 2, CNAME: 5, SOA: 6, OPT: 41, TSIG: 250, IXFR: 251, AXFR: 252 } as const;
export const CLASS_IN = 1;
export const CLASS_ANY = 255;
export const OPCODE = { QUERY: 0, NOTIFY: 4 } as const;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NOTIMP: 4, REFUSED: 5, NOTAUTH: 9 };
export const FLAG = { QR: 0x8000, AA: 0x0400, TC: 0x0200, RD: 0x0100 } as const;
export const HEADER_BYTES = 12;
/** The question name always sits right after the header: compression pointers aim here. */
export const QNAME_OFFSET = HEADER_BYTES;

export class WireError extends Error {
  override name = 'WireError';
}

export interface Header {
  id: number;
  flags: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}

export const opcodeOf = (flags: number) => (flags >> 11) & 0xf;

export function readHeader(msg: Uint8Array): Header {
  if (msg.length < HEADER_BYTES)
    throw new WireError(`message of ${msg.length} bytes has no header`);
  const u16 = (i: number) => ((msg[i] as number) << 8) | (msg[i + 1] as number);
  return {
    id: u16(0),
    flags: u16(2),
    qdcount: u16(4),
    ancount: u16(6),
    nscount: u16(8),
    arcount: u16(10),
  };
}

/** Reads a possibly compressed name; returns it lower-cased, without the trailing dot. */
export function readName(msg: Uint8Array, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let pos = offset;
  let end = -1;
  let length = 0;
  for (let jumps = 0; ; ) {
    if (pos >= msg.length) throw new WireError('name runs past the end of the message');
    const len = msg[pos] as number;
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= msg.length) throw new WireError('truncated compression pointer');
      if (end < 0) end = pos + 2;
      const target = ((len & 0x3f) << 8) | (msg[pos + 1] as number);
      if (target >= pos || ++jumps > 64) throw new WireError('bad compression pointer');
      pos = target;
      continue;
    }
    if (len & 0xc0) throw new WireError('unknown label type');
    if (pos + 1 + len > msg.length) throw new WireError('label runs past the end of the message');
    length += len + 1;
    if (length > 255) throw new WireError('name longer than 255 bytes');
    labels.push(latin1(msg.subarray(pos + 1, pos + 1 + len)).toLowerCase());
    pos += 1 + len;
  }
  return { name: labels.join('.'), end };
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

export interface Question {
  name: string;
  type: number;
  class: number;
}

export interface RecordRef {
  section: 'answer' | 'authority' | 'additional';
  name: string;
  type: number;
  class: number;
  ttl: number;
  /** Where the record starts (its owner name) and where its RDATA starts and ends. */
  start: number;
  rdata: number;
  end: number;
}

export interface ParsedMessage {
  header: Header;
  questions: Question[];
  records: RecordRef[];
}

/** Walks a whole message; throws WireError on anything malformed or trailing bytes. */
export function parseMessage(msg: Uint8Array): ParsedMessage {
  const header = readHeader(msg);
  let pos = HEADER_BYTES;
  const questions: Question[] = [];
  for (let i = 0; i < header.qdcount; i++) {
    const { name, end } = readName(msg, pos);
    if (end + 4 > msg.length) throw new WireError('truncated question');
    questions.push({ name, type: u16(msg, end), class: u16(msg, end + 2) });
    pos = end + 4;
  }
  const records: RecordRef[] = [];
  const sections = [
    ['answer', header.ancount],
    ['authority', header.nscount],
    ['additional', header.arcount],
  ] as const;
  for (const [section, count] of sections) {
    for (let i = 0; i < count; i++) {
      const start = pos;
      const { name, end } = readName(msg, pos);
      if (end + 10 > msg.length) throw new WireError('truncated resource record');
      const rdlength = u16(msg, end + 8);
      const rdata = end + 10;
      if (rdata + rdlength > msg.length) throw new WireError('RDATA runs past the end');
      records.push({
        section,
        name,
        type: u16(msg, end),
        class: u16(msg, end + 2),
        ttl: u32(msg, end + 4),
        start,
        rdata,
        end: rdata + rdlength,
      });
      pos = rdata + rdlength;
    }
  }
  if (pos !== msg.length) throw new WireError(`${msg.length - pos} bytes after the last record`);
  return { header, questions, records };
}

export function u16(msg: Uint8Array, i: number): number {
  if (i + 2 > msg.length) throw new WireError('read past the end');
  return ((msg[i] as number) << 8) | (msg[i + 1] as number);
}

export function u32(msg: Uint8Array, i: number): number {
  if (i + 4 > msg.length) throw new WireError('read past the end');
  return u16(msg, i) * 65536 + u16(msg, i + 2);
}

/** The serial of an SOA record's RDATA (after the two names). */
export function soaSerial(msg: Uint8Array, record: RecordRef): number {
  const mname = readName(msg, record.rdata);
  const rname = readName(msg, mname.end);
  if (rname.end + 20 !== record.end) throw new WireError('SOA RDATA has the wrong length');
  return u32(msg, rname.end);
}

/** A name in uncompressed wire form (lower-cased, as TSIG's canonical form wants). */
export function nameToWire(name: string): Buffer {
  const clean = name.replace(/\.$/, '').toLowerCase();
  const labels = clean === '' ? [] : clean.split('.');
  const out = Buffer.alloc(clean.length + (clean === '' ? 1 : 2));
  let pos = 0;
  for (const label of labels) {
    if (label.length < 1 || label.length > 63) throw new WireError(`bad label in "${name}"`);
    out[pos++] = label.length;
    pos += out.write(label, pos, 'latin1');
  }
  out[pos] = 0;
  if (out.length > 255) throw new WireError(`name "${name}" is longer than 255 bytes`);
  return out;
}

/**
 * Writes one message into a fixed buffer. Names under the zone origin are written as their
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

  question(type: number, klass = CLASS_IN): void {
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
  recordHead(type: number, ttl: number, section: 1 | 2 | 3, klass = CLASS_IN): number {
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

/** A header-only (or header + question) reply for errors, built from the request bytes. */
export function errorReply(request: Uint8Array, rcode: number, question?: Uint8Array): Buffer {
  const id = request.length >= 2 ? u16(request, 0) : 0;
  const reqFlags = request.length >= 4 ? u16(request, 2) : 0;
  const out = Buffer.alloc(HEADER_BYTES + (question?.length ?? 0));
  out.writeUInt16BE(id, 0);
  // Keep the opcode and RD; set QR and the rcode.
  out.writeUInt16BE(FLAG.QR | (reqFlags & 0x7900) | rcode, 2);
  if (question) {
    out.writeUInt16BE(1, 4);
    out.set(question, HEADER_BYTES);
  }
  return out;
}

/** The question section's bytes, as sent, for echoing in replies. */
export function questionBytes(msg: Uint8Array, parsed: ParsedMessage): Uint8Array | undefined {
  if (parsed.questions.length !== 1) return undefined;
  const { end } = readName(msg, HEADER_BYTES);
  return msg.subarray(HEADER_BYTES, end + 4);
}
