/**
 * Reading a query as a resolver must (RFC 1035 §4.1, RFC 6891 §6.1.1): the header, the one
 * question, and the OPT record. Two readers share the rules: `parseQuery` for every query
 * (builds the name string, never throws), and `readPlainQuery`, the fast path's reader, which
 * fills one reused Question, builds no string and allocates nothing, and declines (returns -1)
 * every shape it does not know so that the query takes `parseQuery`'s way.
 */
import { FLAG, HEADER_BYTES, OPCODE, opcodeOf, RCODE, TYPE } from './codes.js';
import { readU16, recordEnd, recordFixed } from './message.js';
import { MAX_NAME_WIRE, plainNameAt } from './name.js';
import { type ClientEdns, PLAIN_UDP_LIMIT, readOptInto } from './opt.js';

export interface Question extends ClientEdns {
  id: number;
  /** Lower case, no trailing dot; "" for the root. */
  name: string;
  qtype: number;
  qclass: number;
  /** Offset just past the question: bytes 12..questionEnd are the question as the client sent it. */
  questionEnd: number;
  rd: boolean;
}

export type ParseResult =
  | { ok: true; question: Question }
  /** `id` when the header was readable enough to answer with an error; otherwise drop. */
  | { ok: false; rcode: number; id?: number };

const DROP: ParseResult = { ok: false, rcode: RCODE.FORMERR };

/** A Question with nothing read yet (the fast path keeps one and fills it per query). */
export function emptyQuestion(): Question {
  return {
    id: 0,
    name: '',
    qtype: 0,
    qclass: 0,
    questionEnd: 0,
    rd: false,
    edns: false,
    udpSize: PLAIN_UDP_LIMIT,
    dnssecOk: false,
    ednsVersion: 0,
  };
}

/** Reads a query; never throws. */
export function parseQuery(msg: Uint8Array): ParseResult {
  if (msg.length < HEADER_BYTES) return DROP;
  const id = readU16(msg, 0);
  const flags = msg[2] as number;
  // A response: never answered (RFC 1035 §4.1.1; answering would let two servers loop).
  if (flags & 0x80) return DROP;
  const opcode = opcodeOf(flags << 8);
  if (opcode !== OPCODE.QUERY)
    // NOTIFY is for zones we are not authoritative for (RFC 1996 §3.10): refused; others unknown.
    return { ok: false, rcode: opcode === OPCODE.NOTIFY ? RCODE.REFUSED : RCODE.NOTIMP, id };
  const qdcount = readU16(msg, 4);
  if (qdcount !== 1) return { ok: false, rcode: RCODE.FORMERR, id };
  const formErr: ParseResult = { ok: false, rcode: RCODE.FORMERR, id };
  let offset = HEADER_BYTES;
  let dotted = 0; // the name's length, dotted
  for (;;) {
    if (offset >= msg.length) return formErr;
    const length = msg[offset] as number;
    offset++;
    if (length === 0) break;
    if (length > 63 || offset + length > msg.length || dotted + length > 253) return formErr;
    dotted += (dotted ? 1 : 0) + length;
    offset += length;
  }
  if (offset + 4 > msg.length) return formErr;
  const question = emptyQuestion();
  question.id = id;
  question.name = plainNameAt(msg, HEADER_BYTES);
  question.qtype = readU16(msg, offset);
  question.qclass = readU16(msg, offset + 2);
  question.questionEnd = offset + 4;
  question.rd = (flags & 1) === 1;
  const rrs = readU16(msg, 6) + readU16(msg, 8) + readU16(msg, 10);
  offset = question.questionEnd;
  for (let i = 0; i < rrs; i++) {
    const fixed = recordFixed(msg, offset);
    if (fixed < 0) return formErr;
    if (readU16(msg, fixed) === TYPE.OPT) {
      // One OPT at most, owned by the root (RFC 6891 §6.1.1).
      if (question.edns || fixed !== offset + 1) return formErr;
      readOptInto(msg, fixed, question);
    }
    offset = recordEnd(msg, fixed);
    if (offset < 0) return formErr;
  }
  return { ok: true, question };
}

/**
 * The fast path's reader: a query (opcode QUERY) with one uncompressed question and at most
 * an EDNS version 0 OPT ending the message, nothing else. Fills `q` (all but `name`) and
 * returns the question name's wire length, or -1: then `parseQuery` decides.
 */
export function readPlainQuery(msg: Uint8Array, q: Question): number {
  const length = msg.length;
  if (length < 17) return -1;
  const flags = msg[2] as number;
  // QR 0, opcode 0; one question, no answer or authority, at most an OPT.
  if ((flags & 0xf8) !== 0 || msg[4] !== 0 || msg[5] !== 1) return -1;
  if (msg[6] !== 0 || msg[7] !== 0 || msg[8] !== 0 || msg[9] !== 0 || msg[10] !== 0) return -1;
  const additional = msg[11] as number;
  if (additional > 1) return -1;
  let offset = HEADER_BYTES;
  for (;;) {
    const label = msg[offset] as number;
    if (label === 0 || label > 63) break;
    offset += label + 1;
    if (offset >= length) return -1;
  }
  if (msg[offset] !== 0) return -1; // compression or a bad label
  const nameLength = offset - HEADER_BYTES;
  if (nameLength === 0 || nameLength > MAX_NAME_WIRE) return -1;
  const questionEnd = offset + 5;
  if (questionEnd > length) return -1;
  q.edns = false;
  q.udpSize = PLAIN_UDP_LIMIT;
  q.dnssecOk = false;
  q.ednsVersion = 0;
  if (additional === 1) {
    // Only the common shape: an OPT owned by the root, ending the message.
    const o = questionEnd;
    if (o + 11 > length || msg[o] !== 0 || msg[o + 1] !== 0 || msg[o + 2] !== TYPE.OPT) return -1;
    if (o + 11 + readU16(msg, o + 9) !== length) return -1;
    readOptInto(msg, o + 1, q);
    if (q.ednsVersion !== 0) return -1;
  } else if (questionEnd !== length) return -1;
  q.id = readU16(msg, 0);
  q.qtype = readU16(msg, offset + 1);
  q.qclass = readU16(msg, offset + 3);
  q.questionEnd = questionEnd;
  q.rd = (flags & 1) === 1;
  return nameLength;
}

/**
 * A query of our own: `question` (name, type and class in wire form), RD set, the CD bit
 * when asked, and `opt` (our OPT record) when given.
 */
export function buildQuery(id: number, question: Uint8Array, opt?: Uint8Array, cd = false) {
  const out = Buffer.alloc(HEADER_BYTES + question.length + (opt?.length ?? 0));
  out.writeUInt16BE(id, 0);
  out.writeUInt16BE(FLAG.RD | (cd ? FLAG.CD : 0), 2);
  out.writeUInt16BE(1, 4);
  out.set(question, HEADER_BYTES);
  if (opt) {
    out.writeUInt16BE(1, 10);
    out.set(opt, HEADER_BYTES + question.length);
  }
  return out;
}
