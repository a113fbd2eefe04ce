/**
 * Stage 4: names this resolver answers itself.
 * - `use-application-dns.net` (Firefox's DoH canary) → NXDOMAIN, so Firefox keeps using us.
 * - Safe search, when the client's policy has it: the search engines' documented safe endpoints
 *   as a CNAME, followed by the target's records resolved through the rest of the chain.
 */
import dnsPacket from 'dns-packet';
import { type Next, type QueryContext, type Reply, type Stage, thenReply } from '../context.js';
import { parseQuery, Rcode, reply } from '../wire.js';

export const CANARY = 'use-application-dns.net';
const SAFE_TTL = 300;

// A Map, not an object: looking up a name that is not an internalized string costs less.
const EXACT = new Map<string, string>(
  Object.entries({
    'www.bing.com': 'strict.bing.com',
    'bing.com': 'strict.bing.com',
    'duckduckgo.com': 'safe.duckduckgo.com',
    'www.duckduckgo.com': 'safe.duckduckgo.com',
    'start.duckduckgo.com': 'safe.duckduckgo.com',
    'www.youtube.com': 'restrict.youtube.com',
    'youtube.com': 'restrict.youtube.com',
    'm.youtube.com': 'restrict.youtube.com',
    'youtubei.googleapis.com': 'restrict.youtube.com',
    'youtube.googleapis.com': 'restrict.youtube.com',
    'www.youtube-nocookie.com': 'restrict.youtube.com',
  }),
);
// Google's search on every country domain: google.com, google.de, google.co.uk, google.com.tr…
const GOOGLE = /^(?:www\.)?google\.(?:com|[a-z]{2}|co\.[a-z]{2}|com\.[a-z]{2})$/;
const GOOGLE_SAFE = 'forcesafesearch.google.com';

/** The safe endpoint for a search engine's name, if it has one. */
export function safeSearchTarget(name: string): string | undefined {
  const exact = EXACT.get(name);
  if (exact) return exact;
  // The substring check first: the regex would otherwise run on every query.
  return name.includes('google.') && GOOGLE.test(name) ? GOOGLE_SAFE : undefined;
}

export class SpecialNamesStage implements Stage {
  readonly name = 'special-names';

  handle(ctx: QueryContext, next: Next): Reply {
    const { name } = ctx.q;
    if (name === CANARY) return reply(ctx.query, ctx.q, Rcode.NxDomain);
    if (!ctx.policy?.safeSearch) return next(ctx);
    const target = safeSearchTarget(name);
    if (!target) return next(ctx);
    // A type we cannot re-encode still gets no unsafe answer: NODATA.
    if (!TYPE_NAMES[ctx.q.qtype]) return reply(ctx.query, ctx.q, Rcode.NoError);
    const sub = subQuery(ctx, target);
    if (!sub) return next(ctx);
    return thenReply(next(sub), (answer) => withCname(ctx, target, answer));
  }
}

function subQuery(ctx: QueryContext, target: string): QueryContext | undefined {
  const query = dnsPacket.encode({
    type: 'query',
    id: ctx.q.id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name: target, type: typeName(ctx.q.qtype), class: 'IN' }],
    additionals: ctx.q.edns ? [optOf(ctx.q.dnssecOk)] : [],
  });
  const parsed = parseQuery(query);
  if (!parsed.ok) return undefined;
  return { ...ctx, query, q: parsed.question };
}

function withCname(ctx: QueryContext, target: string, answer: Uint8Array): Uint8Array {
  const decoded = dnsPacket.decode(Buffer.from(answer));
  const name = dnsPacket.decode(Buffer.from(ctx.query)).questions?.[0]?.name ?? ctx.q.name;
  const out = dnsPacket.encode({
    type: 'response',
    id: ctx.q.id,
    flags: (decoded.flags ?? 0) & ~dnsPacket.AUTHORITATIVE_ANSWER,
    questions: [{ name, type: typeName(ctx.q.qtype), class: 'IN' }],
    answers: [
      { type: 'CNAME', name, ttl: SAFE_TTL, class: 'IN', data: target },
      ...(decoded.answers ?? []),
    ],
    authorities: decoded.authorities ?? [],
    additionals: ctx.q.edns ? [optOf(ctx.q.dnssecOk)] : [],
  });
  return out;
}

function optOf(dnssecOk: boolean): dnsPacket.Answer {
  return {
    type: 'OPT',
    name: '.',
    udpPayloadSize: 1232,
    flags: dnssecOk ? dnsPacket.DNSSEC_OK : 0,
    options: [],
  } as unknown as dnsPacket.Answer;
}

function typeName(qtype: number): dnsPacket.RecordType {
  return TYPE_NAMES[qtype] as dnsPacket.RecordType;
}

const TYPE_NAMES: Record<number, string> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  64: 'SVCB',
  65: 'HTTPS',
  255: 'ANY',
};
