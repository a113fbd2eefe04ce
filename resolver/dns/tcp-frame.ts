/**
 * DNS over TCP framing (RFC 1035 §4.2.2, RFC 7766 §8): every message is preceded by its
 * length as two bytes. One reader for the byte stream, one writer, for the resolver's TCP
 * listener, its upstream client and the RPZ primary.
 */
import { HEADER_BYTES } from './codes.js';

/** One message with its 2-byte length in front. */
export function frame(message: Uint8Array): Buffer {
  const framed = Buffer.allocUnsafe(message.length + 2);
  framed.writeUInt16BE(message.length, 0);
  framed.set(message, 2);
  return framed;
}

/**
 * Collects stream chunks and hands out whole messages. A frame shorter than a DNS header
 * cannot be answered or skipped safely: `next()` then returns null and the caller closes the
 * connection (there is no way to resynchronise the stream).
 */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
  }

  /** Bytes held that are not yet a whole message. */
  get pending(): number {
    return this.buffered.length;
  }

  /** The next whole message (a view into the stream), undefined when none is complete yet. */
  next(): Buffer | undefined | null {
    if (this.buffered.length < 2) return undefined;
    const length = this.buffered.readUInt16BE(0);
    if (length < HEADER_BYTES) return null;
    if (this.buffered.length < 2 + length) return undefined;
    const message = this.buffered.subarray(2, 2 + length);
    this.buffered = this.buffered.subarray(2 + length);
    return message;
  }
}
