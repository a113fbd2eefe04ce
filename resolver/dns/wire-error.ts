/** Malformed bytes where a reader needed a whole, valid message (RPZ requests, upstream records). */
export class WireError extends Error {
  override name = 'WireError';
}
