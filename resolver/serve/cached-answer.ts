/**
 * A cached upstream answer: its bytes without the OPT record (TTLs as stored, clamped) and
 * where its TTLs are, so a hit is one copy with the TTLs aged. Kept by the cache stage, and by
 * name in the fast path's name table. Few objects per entry (tens of thousands are kept): the
 * offsets are a plain array of small integers, not a typed array with its own buffer.
 */
export interface CachedAnswer {
  bytes: Buffer;
  ttlOffsets: readonly number[];
  storedAt: number;
  expiresAt: number;
  cnames: readonly string[] | undefined;
  /** A SERVFAIL's own OPT, passed on so its Extended DNS Error (why it failed) reaches the client. */
  errorOpt?: Buffer;
}
