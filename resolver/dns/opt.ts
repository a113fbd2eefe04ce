/**
 * EDNS(0) (RFC 6891): the OPT record we answer with, the client's UDP payload size, and the
 * Extended DNS Error option (RFC 8914).
 */
import { OPTION, TYPE } from './codes.js';
import { readU16 } from './message.js';

/** The EDNS we answer with: RFC 9715 / DNS flag day 2020 payload size. */
export const OUR_UDP_PAYLOAD = 1232;
/** Without EDNS, and the least an EDNS client may claim (RFC 6891 §6.2.3). */
export const PLAIN_UDP_LIMIT = 512;
/** An OPT record without options: root name, type, class, TTL, RDLENGTH. */
export const OPT_BYTES = 11;

export interface Ede {
  code: number;
  text: string;
}

const encoder = new TextEncoder();

/**
 * Our OPT record: version 0, DO echoed, no other flag (RFC 6891 §6.1.4: unknown flags are
 * not echoed), the upper 8 bits of an extended RCODE, and an optional EDE option.
 */
export function optRecord(dnssecOk: boolean, ede?: Ede, extendedRcode = 0): Buffer {
  const text = ede ? encoder.encode(ede.text) : undefined;
  const optionLength = text ? 4 + 2 + text.length : 0;
  const out = Buffer.alloc(OPT_BYTES + optionLength);
  out[2] = TYPE.OPT;
  out.writeUInt16BE(OUR_UDP_PAYLOAD, 3);
  out[5] = extendedRcode >> 4;
  if (dnssecOk) out[7] = 0x80;
  out.writeUInt16BE(optionLength, 9);
  if (ede && text) {
    out.writeUInt16BE(OPTION.EDE, 11);
    out.writeUInt16BE(2 + text.length, 13);
    out.writeUInt16BE(ede.code, 15);
    out.set(text, 17);
  }
  return out;
}

export const OPT_PLAIN = optRecord(false);
export const OPT_DO = optRecord(true);

/** What a query's OPT record says; `version` other than 0 is answered BADVERS. */
export interface ClientEdns {
  edns: boolean;
  /** The client's EDNS payload size (512 without EDNS, and never less). */
  udpSize: number;
  dnssecOk: boolean;
  ednsVersion: number;
}

/**
 * Reads the OPT record whose fixed part starts at `o` (just past its owner name: type at o)
 * into `into`; the caller has checked that o + 10 bytes exist.
 */
export function readOptInto(msg: Uint8Array, o: number, into: ClientEdns): void {
  into.edns = true;
  into.udpSize = Math.max(PLAIN_UDP_LIMIT, readU16(msg, o + 2));
  into.ednsVersion = msg[o + 5] as number;
  into.dnssecOk = ((msg[o + 6] as number) & 0x80) !== 0;
}

/** The largest answer this client takes over UDP. */
export function udpLimit(q: ClientEdns): number {
  return q.edns ? Math.min(q.udpSize, OUR_UDP_PAYLOAD) : PLAIN_UDP_LIMIT;
}
