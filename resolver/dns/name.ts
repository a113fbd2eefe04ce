/**
 * Domain names on the wire (RFC 1035 §3.1, §4.1.4): reading with compression (bounds- and
 * loop-checked: a message is untrusted input), skipping, and writing with validation.
 */
import { WireError } from './wire-error.js';

/** The longest name in wire form (RFC 1035 §2.3.4). */
export const MAX_NAME_WIRE = 255;

/**
 * Where names are dotted and lower-cased before becoming one flat string: a name built with +=
 * is a rope of one node per character, which every hash lookup flattens again and a kept key
 * (the answer cache's) keeps whole, ~6 times the name's size.
 */
const NAME_SCRATCH = Buffer.allocUnsafe(MAX_NAME_WIRE);

/** The uncompressed, already checked name at `offset`, lower-cased, without the trailing dot. */
export function plainNameAt(msg: Uint8Array, offset: number): string {
  let n = 0;
  for (;;) {
    const length = msg[offset] as number;
    if (length === 0) break;
    if (n) NAME_SCRATCH[n++] = 0x2e;
    for (let i = offset + 1; i <= offset + length; i++) NAME_SCRATCH[n++] = lower(msg[i] as number);
    offset += length + 1;
  }
  return NAME_SCRATCH.toString('latin1', 0, n);
}

/** Reads a possibly compressed name; returns it lower-cased, without the trailing dot. */
export function readName(msg: Uint8Array, offset: number): { name: string; end: number } {
  let n = 0;
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
    if (length > MAX_NAME_WIRE) throw new WireError('name longer than 255 bytes');
    if (n) NAME_SCRATCH[n++] = 0x2e;
    for (let i = pos + 1; i <= pos + len; i++) NAME_SCRATCH[n++] = lower(msg[i] as number);
    pos += 1 + len;
  }
  return { name: NAME_SCRATCH.toString('latin1', 0, n), end };
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

/** A dotted name in uncompressed wire form, lower-cased (TSIG's canonical form wants it so). */
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
  if (out.length > MAX_NAME_WIRE) throw new WireError(`name "${name}" is longer than 255 bytes`);
  return out;
}

/** ASCII lower case of one byte (label length bytes are < 64, never letters). */
export function lower(c: number): number {
  return c >= 65 && c <= 90 ? c | 0x20 : c;
}
