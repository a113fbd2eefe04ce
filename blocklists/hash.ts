/**
 * The two hashes a list uses.
 *
 * - The entry hash: SHA-256 of the canonical expression, truncated to 64 bits and kept as two
 *   unsigned 32-bit halves so that searching needs no BigInt.
 * - The filter hash: a cheap 32-bit hash (FNV-1a run from the last character backwards, then
 *   mixed) that gates the SHA-256. Running it backwards means one pass over `host/` yields
 *   the filter hash of every suffix `label.…/` at each dot.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

/**
 * A synchronous SHA-256 of an ASCII string (expressions are always ASCII). Node passes its
 * native one, which takes the string without an encoding step; browsers use the pure-JS default.
 */
export type Sha256 = (ascii: string) => Uint8Array;

export const defaultSha256: Sha256 = (ascii) => nobleSha256(encodeAscii(ascii));

const encoder = new TextEncoder();

export function encodeAscii(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Writes the 64-bit truncated SHA-256 of `expression` into out[at], out[at + 1] (high, low). */
export function entryHash(sha256: Sha256, expression: string, out: Uint32Array, at: number): void {
  const d = sha256(expression);
  out[at] =
    ((d[0] as number) << 24) |
    ((d[1] as number) << 16) |
    ((d[2] as number) << 8) |
    (d[3] as number);
  out[at + 1] =
    ((d[4] as number) << 24) |
    ((d[5] as number) << 16) |
    ((d[6] as number) << 8) |
    (d[7] as number);
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Murmur3's finalizer: spreads FNV's weak low bits over the whole word. */
export function mix32(h: number): number {
  let x = h;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Filter hash of a whole expression (its characters taken from last to first). */
export function filterHash(expression: string): number {
  let h = FNV_OFFSET;
  for (let i = expression.length - 1; i >= 0; i--) {
    h = Math.imul(h ^ expression.charCodeAt(i), FNV_PRIME);
  }
  return mix32(h >>> 0);
}

/**
 * Calls `visit(start, labels, filterHash)` for every suffix `host.slice(start) + '/'` that has
 * at least two labels, shortest first. One backwards pass, no allocation.
 */
export function forEachDomainSuffix(
  host: string,
  visit: (start: number, labels: number, hash: number) => boolean | undefined,
): void {
  let h = Math.imul(FNV_OFFSET ^ 0x2f /* '/' */, FNV_PRIME);
  let labels = 1;
  for (let i = host.length - 1; i >= 0; i--) {
    const c = host.charCodeAt(i);
    if (c === 0x2e /* '.' */) {
      if (labels >= 2 && visit(i + 1, labels, mix32(h >>> 0))) return;
      labels++;
    }
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  if (labels >= 2) visit(0, labels, mix32(h >>> 0));
}
