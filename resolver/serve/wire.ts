/**
 * The few DNS wire-format operations the hot path needs, on raw bytes: read a query's question
 * and EDNS, build small answers (REFUSED, NXDOMAIN, SERVFAIL, …) and walk a response's records
 * to find TTLs and CNAMEs. Everything else (rare paths) uses dns-packet.
 */

export enum Rcode {
  NoError = 0,
  FormErr = 1,
  ServFail = 2,
  NxDomain = 3,
  NotImp = 4,
  Refused = 5,
}

export enum RrType {
  A = 1,
  NS = 2,
  CNAME = 5,
  SOA = 6,
  AAAA = 28,
  OPT = 41,
}

/** The EDNS we answer with: RFC 9715 / DNS flag day 2020 payload size. */
export const OUR_UDP_PAYLOAD = 1232;
export const PLAIN_UDP_LIMIT = 512;
/** The CD (checking disabled) bit of a header's fourth byte. */
export const CD_BIT = 0x10;

export interface Question {
  id: number;
  /** Lower case, no trailing dot; "" for the root. */
  name: string;
  qtype: number;
  qclass: number;
  /** Offset just past the question: bytes 12..questionEnd are the question as the client sent it. */
  questionEnd: number;
  rd: boolean;
  edns: boolean;
  /** The client's EDNS payload size (512 without EDNS). */
  udpSize: number;
  dnssecOk: boolean;
}

export type ParseResult =
  | { ok: true; question: Question }
  /** `id` when the header was readable enough to answer with an error; otherwise drop. */
  | { ok: false; rcode: Rcode; id?: number };

const DROP: ParseResult = { ok: false, rcode: Rcode.FormErr };

/** Reads a query; never throws. */
export function parseQuery(msg: Uint8Array): ParseResult {
  if (msg.length < 12) return DROP;
  const id = ((msg[0] as number) << 8) | (msg[1] as number);
  const flags = msg[2] as number;
  if (flags & 0x80) return DROP; // a response: never answer it (reflection loops)
  const qdcount = ((msg[4] as number) << 8) | (msg[5] as number);
  if (((flags >> 3) & 0x0f) !== 0) return { ok: false, rcode: Rcode.NotImp, id };
  if (qdcount !== 1) return { ok: false, rcode: Rcode.FormErr, id };
  let offset = 12;
  let name = '';
  for (;;) {
    if (offset >= msg.length) return { ok: false, rcode: Rcode.FormErr, id };
    const length = msg[offset] as number;
    offset++;
    if (length === 0) break;
    if (length > 63 || offset + length > msg.length || name.length + length > 253)
      return { ok: false, rcode: Rcode.FormErr, id };
    if (name.length) name += '.';
    for (let i = 0; i < length; i++) {
      let c = msg[offset + i] as number;
      if (c >= 65 && c <= 90) c += 32;
      name += String.fromCharCode(c);
    }
    offset += length;
  }
  if (offset + 4 > msg.length) return { ok: false, rcode: Rcode.FormErr, id };
  const qtype = ((msg[offset] as number) << 8) | (msg[offset + 1] as number);
  const qclass = ((msg[offset + 2] as number) << 8) | (msg[offset + 3] as number);
  const questionEnd = offset + 4;
  const question: Question = {
    id,
    name,
    qtype,
    qclass,
    questionEnd,
    rd: (flags & 1) === 1,
    edns: false,
    udpSize: PLAIN_UDP_LIMIT,
    dnssecOk: false,
  };
  const rrs =
    (((msg[6] as number) << 8) | (msg[7] as number)) +
    (((msg[8] as number) << 8) | (msg[9] as number)) +
    (((msg[10] as number) << 8) | (msg[11] as number));
  offset = questionEnd;
  for (let i = 0; i < rrs; i++) {
    const nameEnd = skipName(msg, offset);
    if (nameEnd < 0 || nameEnd + 10 > msg.length) return { ok: false, rcode: Rcode.FormErr, id };
    const type = ((msg[nameEnd] as number) << 8) | (msg[nameEnd + 1] as number);
    const rdlength = ((msg[nameEnd + 8] as number) << 8) | (msg[nameEnd + 9] as number);
    if (type === RrType.OPT) {
      question.edns = true;
      question.udpSize = Math.max(
        PLAIN_UDP_LIMIT,
        ((msg[nameEnd + 2] as number) << 8) | (msg[nameEnd + 3] as number),
      );
      question.dnssecOk = ((msg[nameEnd + 6] as number) & 0x80) !== 0;
    }
    offset = nameEnd + 10 + rdlength;
    if (offset > msg.length) return { ok: false, rcode: Rcode.FormErr, id };
  }
  return { ok: true, question };
}

/** Offset past a (possibly compressed) name, or -1. */
export function skipName(msg: Uint8Array, offset: number): number {
  for (;;) {
    if (offset >= msg.length) return -1;
    const length = msg[offset] as number;
    if (length === 0) return offset + 1;
    if ((length & 0xc0) === 0xc0) return offset + 2 <= msg.length ? offset + 2 : -1;
    if (length > 63) return -1;
    offset += length + 1;
  }
}

/** The largest answer this client takes over UDP. */
export function udpLimit(q: Question): number {
  return q.edns ? Math.min(q.udpSize, OUR_UDP_PAYLOAD) : PLAIN_UDP_LIMIT;
}

/** RFC 8914 Extended DNS Error codes we use. */
export const EDE_BLOCKED = 15;
export const EDE_FILTERED = 17;

export interface Ede {
  code: number;
  text: string;
}

const encoder = new TextEncoder();

/** Our OPT record (with DO echoed and an optional EDE option), 11 bytes without EDE. */
export function optRecord(dnssecOk: boolean, ede?: Ede): Buffer {
  const text = ede ? encoder.encode(ede.text) : undefined;
  const optionLength = text ? 4 + 2 + text.length : 0;
  const out = Buffer.alloc(11 + optionLength);
  out[2] = RrType.OPT;
  out.writeUInt16BE(OUR_UDP_PAYLOAD, 3);
  if (dnssecOk) out[7] = 0x80;
  out.writeUInt16BE(optionLength, 9);
  if (ede && text) {
    out.writeUInt16BE(15, 11); // option code EDE
    out.writeUInt16BE(2 + text.length, 13);
    out.writeUInt16BE(ede.code, 15);
    out.set(text, 17);
  }
  return out;
}

export const OPT_PLAIN = optRecord(false);
export const OPT_DO = optRecord(true);

/**
 * A reply that repeats the query's question: header flags QR, RD as asked, RA, the rcode, the
 * given answer records (already encoded, name pointers may use 0xc00c for the question name),
 * and our OPT when the client sent EDNS.
 */
export function reply(
  query: Uint8Array,
  q: Question,
  rcode: Rcode,
  answers: readonly Uint8Array[] = [],
  ednsOpt?: Uint8Array,
  extraFlags = 0,
): Buffer {
  const opt = q.edns ? (ednsOpt ?? (q.dnssecOk ? OPT_DO : OPT_PLAIN)) : null;
  let length = q.questionEnd + (opt ? opt.length : 0);
  for (const a of answers) length += a.length;
  const out = Buffer.allocUnsafe(length);
  out.set(query.subarray(0, q.questionEnd), 0);
  out[2] = 0x80 | (q.rd ? 1 : 0) | extraFlags;
  out[3] = 0x80 | rcode; // RA
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(answers.length, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(opt ? 1 : 0, 10);
  let offset = q.questionEnd;
  for (const a of answers) {
    out.set(a, offset);
    offset += a.length;
  }
  if (opt) out.set(opt, offset);
  return out;
}

/** An error reply for a query we could only read the header of (FORMERR, NOTIMP): no question. */
export function headerOnlyReply(id: number, rcode: Rcode): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16BE(id, 0);
  out[2] = 0x80;
  out[3] = 0x80 | rcode;
  return out;
}

/** An A/AAAA record owned by the question name (pointer 0xc00c). */
export function addressRecord(type: RrType.A | RrType.AAAA, ttl: number, address: Uint8Array) {
  const out = Buffer.alloc(12 + address.length);
  out.writeUInt16BE(0xc00c, 0);
  out.writeUInt16BE(type, 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt32BE(ttl, 6);
  out.writeUInt16BE(address.length, 10);
  out.set(address, 12);
  return out;
}

/** The same bytes with TC set and only the question: "ask again over TCP". */
export function truncated(query: Uint8Array, q: Question): Buffer {
  return reply(query, q, Rcode.NoError, [], undefined, 0x02);
}

/** What the cache and the CNAME check need to know about an upstream response. */
export interface ResponseShape {
  rcode: number;
  /** Offsets of every TTL field except OPT's. */
  ttlOffsets: number[];
  answerCount: number;
  /** Lowest TTL over answer records, or the negative TTL (RFC 2308) for NXDOMAIN/NODATA. */
  ttl: number | undefined;
  hasCname: boolean;
  /** Where the OPT record starts when it is the last record (it is in practice), else -1. */
  optOffset: number;
  truncated: boolean;
}

/** Walks a response's records; undefined when it is malformed. */
export function shapeOf(msg: Uint8Array): ResponseShape | undefined {
  if (msg.length < 12) return undefined;
  const qd = ((msg[4] as number) << 8) | (msg[5] as number);
  const an = ((msg[6] as number) << 8) | (msg[7] as number);
  const ns = ((msg[8] as number) << 8) | (msg[9] as number);
  const ar = ((msg[10] as number) << 8) | (msg[11] as number);
  let offset = 12;
  for (let i = 0; i < qd; i++) {
    offset = skipName(msg, offset);
    if (offset < 0) return undefined;
    offset += 4;
  }
  const shape: ResponseShape = {
    rcode: (msg[3] as number) & 0x0f,
    ttlOffsets: [],
    answerCount: an,
    ttl: undefined,
    hasCname: false,
    optOffset: -1,
    truncated: ((msg[2] as number) & 0x02) !== 0,
  };
  let answerTtl = Number.POSITIVE_INFINITY;
  let negativeTtl: number | undefined;
  const total = an + ns + ar;
  for (let i = 0; i < total; i++) {
    const start = offset;
    const nameEnd = skipName(msg, offset);
    if (nameEnd < 0 || nameEnd + 10 > msg.length) return undefined;
    const type = ((msg[nameEnd] as number) << 8) | (msg[nameEnd + 1] as number);
    const ttl = readU32(msg, nameEnd + 4);
    const rdlength = ((msg[nameEnd + 8] as number) << 8) | (msg[nameEnd + 9] as number);
    offset = nameEnd + 10 + rdlength;
    if (offset > msg.length) return undefined;
    if (type === RrType.OPT) {
      if (i === total - 1) shape.optOffset = start;
      continue;
    }
    shape.ttlOffsets.push(nameEnd + 4);
    if (i < an) {
      answerTtl = Math.min(answerTtl, ttl);
      if (type === RrType.CNAME) shape.hasCname = true;
    } else if (i < an + ns && type === RrType.SOA && rdlength >= 22) {
      // RFC 2308 §5: the negative TTL is min(SOA TTL, SOA MINIMUM).
      negativeTtl = Math.min(ttl, readU32(msg, offset - 4));
    }
  }
  const negative = shape.rcode === Rcode.NxDomain || (shape.rcode === Rcode.NoError && an === 0);
  shape.ttl = negative ? negativeTtl : an ? answerTtl : undefined;
  return shape;
}

export function readU32(msg: Uint8Array, offset: number): number {
  return (
    (((msg[offset] as number) << 24) |
      ((msg[offset + 1] as number) << 16) |
      ((msg[offset + 2] as number) << 8) |
      (msg[offset + 3] as number)) >>>
    0
  );
}

/** Encodes a dotted name as wire labels (no compression). */
export function encodeName(name: string): Buffer {
  const labels = name ? name.split('.') : [];
  const out = Buffer.alloc(labels.reduce((n, l) => n + l.length + 1, 1));
  let offset = 0;
  for (const label of labels) {
    out[offset++] = label.length;
    out.write(label, offset, 'latin1');
    offset += label.length;
  }
  return out;
}
