/**
 * Building answers from a query's own bytes: the one reply builder (question echoed, our
 * OPT when the client sent EDNS), the one error reply for queries we cannot read a question
 * from, and the small records the resolver writes itself.
 */
import { FLAG, HEADER_BYTES, RCODE } from './codes.js';
import { readU16 } from './message.js';
import { OPT_DO, OPT_PLAIN, optRecord } from './opt.js';
import type { Question } from './query.js';

/**
 * A reply that repeats the query's question: header flags QR, RD as asked, RA, the rcode (its
 * low 4 bits; 16 and up go in `ednsOpt`), the given answer records (already encoded, name
 * pointers may use 0xc00c for the question name), and our OPT when the client sent EDNS.
 */
export function reply(
  query: Uint8Array,
  q: Question,
  rcode: number,
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
  out[3] = 0x80 | (rcode & 0x0f); // RA
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

/** RFC 6891 §6.1.3: an EDNS version we do not speak; our OPT says version 0. */
export function badVersion(query: Uint8Array, q: Question): Buffer {
  return reply(query, q, RCODE.BADVERS, [], optRecord(q.dnssecOk, undefined, RCODE.BADVERS));
}

/** The same bytes with TC set and only the question: "ask again over TCP" (RFC 7766 §5). */
export function truncated(query: Uint8Array, q: Question): Buffer {
  return reply(query, q, RCODE.NOERROR, [], undefined, FLAG.TC >> 8);
}

/**
 * An error reply built from a request's header alone (FORMERR, NOTIMP, REFUSED, …): the ID,
 * the opcode and RD kept (a client matches replies by them), QR set, and the question bytes
 * when given.
 */
export function errorReply(request: Uint8Array, rcode: number, question?: Uint8Array): Buffer {
  const id = request.length >= 2 ? readU16(request, 0) : 0;
  const flags = request.length >= 4 ? readU16(request, 2) : 0;
  const out = Buffer.alloc(HEADER_BYTES + (question?.length ?? 0));
  out.writeUInt16BE(id, 0);
  out.writeUInt16BE(FLAG.QR | (flags & 0x7900) | rcode, 2);
  if (question) {
    out.writeUInt16BE(1, 4);
    out.set(question, HEADER_BYTES);
  }
  return out;
}

/** A record owned by the question name (pointer 0xc00c) with the given rdata. */
export function questionRecord(type: number, ttl: number, rdata: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + rdata.length);
  out.writeUInt16BE(0xc00c, 0);
  out.writeUInt16BE(type, 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt32BE(ttl, 6);
  out.writeUInt16BE(rdata.length, 10);
  out.set(rdata, 12);
  return out;
}

/** An A/AAAA record owned by the question name. */
export function addressRecord(type: number, ttl: number, address: Uint8Array): Buffer {
  return questionRecord(type, ttl, address);
}
