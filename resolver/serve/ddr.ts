/**
 * Discovery of Designated Resolvers (RFC 9462): the answer to `_dns.resolver.arpa` SVCB, built
 * once from the DoT and DoH listeners: one SVCB record per endpoint, its target the name in
 * the certificate (`tls.name`), the listener's address as a hint and as A/AAAA records in the
 * additional section when it is a specific address (not a wildcard).
 */
import { isIPv4 } from 'node:net';
import { RCODE, TYPE } from '../dns/codes.js';
import type { Question } from '../dns/query.js';
import { reply } from '../dns/reply.js';
import { record, type SvcbEndpoint, svcbRecord } from '../dns/svcb.js';
import { ipv4Bytes, ipv6Bytes } from '../net/address-bytes.js';
import type { HostPort } from '../net/host-port.js';

export const DDR_NAME = '_dns.resolver.arpa';
/** RFC 8484's path with the GET variable, as RFC 9461 announces it. */
export const DOH_TEMPLATE_PATH = '/dns-query{?dns}';
const TTL = 300;

export interface Designation {
  readonly endpoints: readonly SvcbEndpoint[];
  answer(query: Uint8Array, q: Question): Buffer;
}

const isWildcard = (host: string) => host === '0.0.0.0' || host === '::';

export function designation(
  target: string,
  dot: readonly HostPort[],
  doh: readonly HostPort[],
): Designation {
  const hints = (l: HostPort) => (isWildcard(l.host) ? [] : [l.host]);
  const endpoints: SvcbEndpoint[] = [
    ...dot.map((l) => ({ target, alpn: ['dot'], port: l.port, hints: hints(l) })),
    ...doh.map((l) => ({
      target,
      alpn: ['h2', 'http/1.1'],
      port: l.port,
      hints: hints(l),
      dohpath: DOH_TEMPLATE_PATH,
    })),
  ].map((e, i) => ({ ...e, priority: i + 1 }));
  const svcb = endpoints.map((e) => svcbRecord(TTL, e));
  const addresses = [...new Set(endpoints.flatMap((e) => e.hints))].map((a) =>
    isIPv4(a)
      ? record(TYPE.A, TTL, ipv4Bytes(a), target)
      : record(TYPE.AAAA, TTL, ipv6Bytes(a), target),
  );
  return {
    endpoints,
    answer(query, q) {
      if (q.qtype !== TYPE.SVCB) return reply(query, q, RCODE.NOERROR); // NODATA
      const out = reply(query, q, RCODE.NOERROR, [...svcb, ...addresses]);
      // The address records follow the SVCB ones: they belong to the additional section.
      out.writeUInt16BE(svcb.length, 6);
      out.writeUInt16BE(addresses.length + (q.edns ? 1 : 0), 10);
      return out;
    },
  };
}
