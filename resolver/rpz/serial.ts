/** Serial number arithmetic (RFC 1982) for 32-bit SOA serials. */
export function serialNewer(a: number, b: number): boolean {
  return a !== b && ((a > b && a - b < 2 ** 31) || (a < b && b - a > 2 ** 31));
}
