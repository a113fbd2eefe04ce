/**
 * Where the answer cache keeps the bytes of its entries: 64 KB chunks of their own, filled in
 * order. Buffer.from would take them from Node's shared 8 KB pool, beside the answers sent to
 * clients (garbage a moment later), and one kept entry would then hold its whole 8 KB slab
 * resident: under diverse traffic that was more memory than the entries themselves. Here a
 * chunk holds only cache entries, and is freed once the entries in it are evicted (they are
 * evicted about in the order they were stored). An entry is a place in a chunk (the chunk and
 * an offset), not a Buffer view of its own: one object fewer per entry for the heap to keep.
 */
const CHUNK_BYTES = 65_536;
/** Larger entries get a buffer of their own. */
const LARGEST_IN_CHUNK = CHUNK_BYTES / 8;

export class AnswerSlab {
  private chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  private used = 0;
  /** The memory the last `reserve` made room in. */
  memory: Buffer = this.chunk;

  /**
   * Room for `length` bytes that share memory only with other kept entries: its offset in
   * `memory` (read that right after this call).
   */
  reserve(length: number): number {
    if (length > LARGEST_IN_CHUNK) {
      this.memory = Buffer.allocUnsafeSlow(length);
      return 0;
    }
    if (this.used + length > CHUNK_BYTES) {
      this.chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
      this.used = 0;
    }
    this.memory = this.chunk;
    const start = this.used;
    this.used += length;
    return start;
  }
}
