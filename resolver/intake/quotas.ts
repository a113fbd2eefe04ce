/**
 * Who a request counts against: the client address (as Fastify sees it: the socket's, or with
 * --trust-proxy the X-Forwarded-For address the trusted proxies pass on), its IPv6 /64 (one
 * subscriber's network, which can hold any number of addresses) and everyone together.
 */
import { isIPv6 } from 'node:net';

export interface Quota {
  /** Requests per minute (and the burst allowed at once). */
  perMinute: number;
}

export interface ReportQuotas {
  perAddress: Quota;
  perNet64: Quota;
  global: Quota;
}

export const DEFAULT_REPORT_QUOTAS: ReportQuotas = {
  perAddress: { perMinute: 60 },
  perNet64: { perMinute: 120 },
  global: { perMinute: 1_200 },
};

/** The /64 of an IPv6 address (`2001:db8:1:2::/64`); an IPv4 address (or an IPv4-mapped one) is its own. */
export function net64(address: string): string {
  const plain = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  if (!isIPv6(plain)) return plain;
  const [head = '', tail = ''] = plain.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = plain.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
