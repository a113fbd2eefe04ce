/**
 * A one-hash bitmap over the filter hashes of a list's expressions. A clear bit proves an
 * expression is not in the list, so most lookups of unlisted names skip SHA-256 entirely.
 * At eight or more bits per entry about one in eight unlisted suffixes passes.
 */
export function prefilterBits(entryCount: number): number {
  let bits = 6; // 64 bits at the least
  while (2 ** bits < entryCount * 8 && bits < 31) bits++;
  return bits;
}

export function buildPrefilter(filterHashes: Iterable<number>, log2Bits: number): Uint8Array {
  const bitmap = new Uint8Array(2 ** log2Bits / 8);
  setPrefilterBits(bitmap, filterHashes, log2Bits);
  return bitmap;
}

/** Sets the bits of more filter hashes in a bitmap made by buildPrefilter. */
export function setPrefilterBits(
  bitmap: Uint8Array,
  filterHashes: Iterable<number>,
  log2Bits: number,
): void {
  const shift = 32 - log2Bits;
  for (const h of filterHashes) {
    const bit = h >>> shift;
    bitmap[bit >>> 3] = (bitmap[bit >>> 3] as number) | (1 << (bit & 7));
  }
}

export function prefilterMayContain(bitmap: Uint8Array, log2Bits: number, hash: number): boolean {
  const bit = hash >>> (32 - log2Bits);
  return ((bitmap[bit >>> 3] as number) & (1 << (bit & 7))) !== 0;
}
