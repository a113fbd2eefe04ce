/**
 * A cached upstream answer: its bytes without the OPT record, where its TTLs are and what they
 * were when stored, so a hit is one copy with the TTLs aged. Kept by the cache stage, and by
 * name in the fast path's facts.
 */
export interface CachedAnswer {
  bytes: Buffer;
  ttlOffsets: Uint16Array;
  ttls: Uint32Array;
  storedAt: number;
  expiresAt: number;
  cnames: readonly string[] | undefined;
  /** A SERVFAIL's own OPT, passed on so its Extended DNS Error (why it failed) reaches the client. */
  errorOpt?: Buffer;
}
