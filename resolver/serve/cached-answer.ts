/**
 * A cached upstream answer: its bytes without the OPT record (TTLs as stored, clamped), then
 * where its TTLs are (16-bit offsets into the answer), both in one place of `memory` (a chunk
 * of the answer slab, or a buffer of its own), so a hit is one copy with the TTLs aged. Kept
 * by the cache stage, and by name in the fast path's name table. One object per entry (tens
 * of thousands are kept): no Buffer view or array of its own.
 */
export interface CachedAnswer {
  memory: Buffer;
  /** Where the answer starts in `memory`, and its length; its TTL offsets follow it. */
  start: number;
  length: number;
  ttlCount: number;
  storedAt: number;
  expiresAt: number;
  cnames: readonly string[] | undefined;
  /** A SERVFAIL's own OPT, passed on so its Extended DNS Error (why it failed) reaches the client. */
  errorOpt?: Buffer;
}
