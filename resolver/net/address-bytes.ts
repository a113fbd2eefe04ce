/**
 * An IP address's network bytes from any of its text forms (RFC 4291 §2.2: full, `::`
 * compressed, upper or lower case, an IPv4 tail as in `::ffff:192.0.2.1`), for the sinkhole
 * records the resolver writes.
 */
import { isIP } from 'node:net';

export function ipv4Bytes(text: string): Uint8Array {
  if (isIP(text) !== 4) throw new Error(`not an IPv4 address: "${text}"`);
  return Uint8Array.from(text.split('.').map(Number));
}

export function ipv6Bytes(text: string): Uint8Array {
  if (isIP(text) !== 6 || text.includes('%'))
    throw new Error(`not an IPv6 address (without a zone): "${text}"`);
  let groups = text;
  const lastColon = groups.lastIndexOf(':');
  const tail = groups.slice(lastColon + 1);
  if (tail.includes('.')) {
    // The IPv4 tail is the last two 16-bit groups.
    const [a, b, c, d] = ipv4Bytes(tail) as unknown as [number, number, number, number];
    groups = `${groups.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = groups.includes('::') ? groups.split('::') : [groups, undefined];
  const parse = (s: string | undefined) =>
    s ? s.split(':').map((h) => Number.parseInt(h, 16)) : [];
  const front = parse(head);
  const back = parse(rest);
  const all =
    rest === undefined
      ? front
      : [...front, ...Array(8 - front.length - back.length).fill(0), ...back];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}
