/**
 * The query log's line (config `queryLog: true`, off by default: it holds a client's browsing):
 * who asked what, with the type and rcode by name and, when blocked, the category.
 */
import type { QueryContext } from './context.js';

const TYPES: Record<number, string> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  13: 'HINFO',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  35: 'NAPTR',
  43: 'DS',
  46: 'RRSIG',
  47: 'NSEC',
  48: 'DNSKEY',
  50: 'NSEC3',
  64: 'SVCB',
  65: 'HTTPS',
  252: 'AXFR',
  255: 'ANY',
  257: 'CAA',
};

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

export function typeName(qtype: number): string {
  return TYPES[qtype] ?? `TYPE${qtype}`;
}

export function rcodeName(rcode: number): string {
  return RCODES[rcode] ?? `RCODE${rcode}`;
}

export function queryLogFields(ctx: QueryContext, answer: Uint8Array) {
  return {
    client: ctx.client,
    name: ctx.q.name,
    type: typeName(ctx.q.qtype),
    rcode: rcodeName((answer[3] as number) & 0x0f),
    ...(ctx.blockedCategory !== undefined && { category: ctx.blockedCategory }),
  };
}
