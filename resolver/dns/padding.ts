/**
 * EDNS(0) padding (RFC 7830) with the block-length policy of RFC 8467 §4.1: an answer is padded
 * to the next multiple of 468 octets, so its size says little about the name asked. Only a
 * message with an OPT record can carry the option (RFC 6891: no OPT in an answer to a query
 * without one).
 */
import { OPTION, TYPE } from './codes.js';
import { parseMessage } from './message.js';

/** RFC 8467 §4.1: the responder's recommended block length. */
export const RESPONSE_BLOCK = 468;
const OPTION_HEADER = 4;
const MAX_MESSAGE = 65_535;

/** `msg` with a padding option in its OPT record, its length a multiple of `block`. */
export function padToBlock(msg: Uint8Array, block = RESPONSE_BLOCK): Uint8Array {
  let opt: { rdata: number; end: number } | undefined;
  try {
    opt = parseMessage(msg).records.find((r) => r.section === 'additional' && r.type === TYPE.OPT);
  } catch {
    return msg; // not ours to mend: sent as it came
  }
  if (!opt) return msg;
  const bare = msg.length + OPTION_HEADER;
  const total = Math.ceil(bare / block) * block;
  if (total > MAX_MESSAGE) return msg;
  const padding = total - bare;
  const out = new Uint8Array(total); // the padding octets are zero (RFC 7830 §3)
  out.set(msg.subarray(0, opt.end), 0);
  const view = new DataView(out.buffer);
  view.setUint16(opt.end, OPTION.PADDING);
  view.setUint16(opt.end + 2, padding);
  out.set(msg.subarray(opt.end), opt.end + OPTION_HEADER + padding);
  view.setUint16(opt.rdata - 2, opt.end - opt.rdata + OPTION_HEADER + padding);
  return out;
}
