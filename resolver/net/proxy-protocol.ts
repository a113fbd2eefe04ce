/**
 * The PROXY protocol version 2 header (HAProxy's proxy-protocol.txt §2.2), as dnsdist
 * (`useProxyProtocol=true`) puts it before a TCP stream or each UDP datagram: who the real
 * client is. Only the binary v2 form is read; the v1 text form is not accepted.
 */

export const PROXY_V2_SIGNATURE = Uint8Array.from([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);
const FIXED = 16;

export type ProxyHeader =
  /** PROXY: the source address; LOCAL (the balancer's own health check): none. */
  | { kind: 'header'; length: number; source: string | undefined }
  | { kind: 'incomplete' }
  | { kind: 'invalid'; reason: string };

/** Whether `bytes` start like a v2 header (as far as they go). */
export function startsWithSignature(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, PROXY_V2_SIGNATURE.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== PROXY_V2_SIGNATURE[i]) return false;
  return n > 0;
}

export function readProxyHeader(bytes: Uint8Array): ProxyHeader {
  if (!startsWithSignature(bytes)) return { kind: 'invalid', reason: 'no PROXY v2 signature' };
  if (bytes.length < FIXED) return { kind: 'incomplete' };
  const versionCommand = bytes[12] as number;
  if (versionCommand >> 4 !== 2)
    return { kind: 'invalid', reason: `PROXY version ${versionCommand >> 4}, expected 2` };
  const length = FIXED + (((bytes[14] as number) << 8) | (bytes[15] as number));
  if (bytes.length < length) return { kind: 'incomplete' };
  const command = versionCommand & 0x0f;
  if (command === 0) return { kind: 'header', length, source: undefined }; // LOCAL
  if (command !== 1) return { kind: 'invalid', reason: `PROXY command ${command}` };
  const family = (bytes[13] as number) >> 4;
  const body = bytes.subarray(FIXED, length);
  if (family === 1 && body.length >= 12)
    return { kind: 'header', length, source: Array.from(body.subarray(0, 4)).join('.') };
  if (family === 2 && body.length >= 36) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2)
      groups.push((((body[i] as number) << 8) | (body[i + 1] as number)).toString(16));
    return { kind: 'header', length, source: compressV6(groups.join(':')) };
  }
  return { kind: 'invalid', reason: `PROXY address family ${family} with ${body.length} bytes` };
}

/** The canonical text form, as node:net reports addresses (so ACL memos key alike). */
function compressV6(full: string): string {
  const url = new URL(`http://[${full}]/`);
  return url.hostname.slice(1, -1);
}
