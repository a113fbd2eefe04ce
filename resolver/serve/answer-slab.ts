/**
 * Where the answer cache copies the bytes it keeps: 64 KB chunks of their own, filled in order.
 * Buffer.from would take them from Node's shared 8 KB pool, beside the answers sent to clients
 * (garbage a moment later), and one kept entry would then hold its whole 8 KB slab resident:
 * under diverse traffic that was more memory than the entries themselves. Here a chunk holds
 * only cache entries, and is freed once the entries in it are evicted (they are evicted about
 * in the order they were stored).
 */
const CHUNK_BYTES = 65_536;
/** Larger answers get a buffer of their own. */
const LARGEST_IN_CHUNK = CHUNK_BYTES / 8;

export class AnswerSlab {
  private chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  private used = 0;

  /** A copy of `bytes` that shares memory only with other kept answers. */
  copy(bytes: Uint8Array): Buffer {
    const length = bytes.length;
    if (length > LARGEST_IN_CHUNK) {
      const own = Buffer.allocUnsafeSlow(length);
      own.set(bytes);
      return own;
    }
    if (this.used + length > CHUNK_BYTES) {
      this.chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
      this.used = 0;
    }
    const out = this.chunk.subarray(this.used, this.used + length);
    out.set(bytes);
    this.used += length;
    return out;
  }
}
