/**
 * Whole DNS messages at the byte level (RFC 1035 §4.1): the header, and a walk over every
 * question and record that keeps offsets, not objects, so TSIG can sign exact bytes and the
 * RPZ primary reads requests without decoding them. Every read is bounds-checked.
 */
import { HEADER_BYTES } from './codes.js';
import { readName, skipName } from './name.js';
import { WireError } from './wire-error.js';

export interface Header {
  id: number;
  flags: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}

export function readHeader(msg: Uint8Array): Header {
  if (msg.length < HEADER_BYTES)
    throw new WireError(`message of ${msg.length} bytes has no header`);
  return {
    id: readU16(msg, 0),
    flags: readU16(msg, 2),
    qdcount: readU16(msg, 4),
    ancount: readU16(msg, 6),
    nscount: readU16(msg, 8),
    arcount: readU16(msg, 10),
  };
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
  return readU16(msg, i);
}

export function u32(msg: Uint8Array, i: number): number {
  if (i + 4 > msg.length) throw new WireError('read past the end');
  return readU32(msg, i);
}

/** An unsigned 16-bit field the caller has already bounds-checked (the hot path's read). */
export function readU16(msg: Uint8Array, offset: number): number {
  return ((msg[offset] as number) << 8) | (msg[offset + 1] as number);
}

/** An unsigned 32-bit field the caller has already bounds-checked (the hot path's read). */
export function readU32(msg: Uint8Array, offset: number): number {
  return (
    (((msg[offset] as number) << 24) |
      ((msg[offset + 1] as number) << 16) |
      ((msg[offset + 2] as number) << 8) |
      (msg[offset + 3] as number)) >>>
    0
  );
}

/**
 * Where the fixed part of the record at `offset` starts (TYPE at +0, TTL at +4, RDLENGTH at
 * +8), or -1 when its owner name or fixed part runs past the end. No allocation: hot path.
 */
export function recordFixed(msg: Uint8Array, offset: number): number {
  const fixed = skipName(msg, offset);
  return fixed < 0 || fixed + 10 > msg.length ? -1 : fixed;
}

/** Where the record whose fixed part starts at `fixed` ends, or -1 when its RDATA runs past. */
export function recordEnd(msg: Uint8Array, fixed: number): number {
  const end = fixed + 10 + readU16(msg, fixed + 8);
  return end > msg.length ? -1 : end;
}

/** The serial of an SOA record's RDATA (after the two names). */
export function soaSerial(msg: Uint8Array, record: RecordRef): number {
  const mname = readName(msg, record.rdata);
  const rname = readName(msg, mname.end);
  if (rname.end + 20 !== record.end) throw new WireError('SOA RDATA has the wrong length');
  return u32(msg, rname.end);
}

/** The question section's bytes, as sent, for echoing in replies. */
export function questionBytes(msg: Uint8Array, parsed: ParsedMessage): Uint8Array | undefined {
  if (parsed.questions.length !== 1) return undefined;
  const { end } = readName(msg, HEADER_BYTES);
  return msg.subarray(HEADER_BYTES, end + 4);
}
