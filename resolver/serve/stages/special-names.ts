/**
 * Special-names stage: names this resolver answers itself.
 * - `use-application-dns.net` (Firefox's DoH canary) → NXDOMAIN, so Firefox keeps using us.
 * - The "am I protected?" check name (setup.checkName) → Kalkan's own TXT/A/AAAA, for everyone.
 * - `_dns.resolver.arpa` (RFC 9462 DDR), when DoT or DoH listeners exist: one SVCB record per
 *   encrypted endpoint, so Windows 11, Android and Apple devices upgrade to encrypted DNS.
 * - Safe search, when the client's policy has it: the search engines' documented safe endpoints
 *   as a CNAME, followed by the target's records resolved through the rest of the chain.
 */
import dnsPacket from 'dns-packet';
import { CLASS, RCODE, TYPE_NAME } from '../../dns/codes.js';
import { nameToWire } from '../../dns/name.js';
import { OPT_DO, OPT_PLAIN, OUR_UDP_PAYLOAD } from '../../dns/opt.js';
import { buildQuery, parseQuery } from '../../dns/query.js';
import { reply } from '../../dns/reply.js';
import {
  type FastNext,
  type Next,
  type Policy,
  type QueryContext,
  type Reply,
  type Stage,
  thenReply,
} from '../context.js';
import { DDR_NAME, type Designation } from '../ddr.js';
import type { CheckAnswer } from '../setup/check-answer.js';

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

  constructor(
    private readonly options: {
      /** The "am I protected?" name Kalkan alone answers (setup.checkName). */
      check?: CheckAnswer;
      /** The encrypted endpoints to announce; none, and the DDR name is not ours. */
      ddr?: Designation;
    } = {},
  ) {}

  /** Whether this stage answers `name` itself for a client with `policy`. */
  private isSpecial(name: string, policy: Policy | undefined): boolean {
    return (
      name === CANARY ||
      name === this.options.check?.name ||
      (this.options.ddr !== undefined && name === DDR_NAME) ||
      (policy?.safeSearch === true && safeSearchTarget(name) !== undefined)
    );
  }

  handle(ctx: QueryContext, next: Next): Reply {
    const { name } = ctx.q;
    if (name === CANARY) return reply(ctx.query, ctx.q, RCODE.NXDOMAIN);
    const { check, ddr } = this.options;
    if (check && name === check.name) return check.answer(ctx);
    if (ddr && name === DDR_NAME) return ddr.answer(ctx.query, ctx.q);
    if (!ctx.policy?.safeSearch) return next(ctx);
    const target = safeSearchTarget(name);
    if (!target) return next(ctx);
    // A type we cannot re-encode still gets no unsafe answer: NODATA.
    if (!TYPE_NAME.has(ctx.q.qtype)) return reply(ctx.query, ctx.q, RCODE.NOERROR);
    const sub = subQuery(ctx, target);
    if (!sub) return next(ctx);
    return thenReply(next(sub), (answer) => withCname(ctx, target, answer));
  }

  /** A special name always takes the full chain (it is rare, and may need a sub-query). */
  fast(next: FastNext): FastNext {
    return (ctx) => {
      const facts = ctx.facts();
      facts.special ??= this.isSpecial(facts.name, ctx.policy);
      return facts.special ? undefined : next(ctx);
    };
  }
}

function subQuery(ctx: QueryContext, target: string): QueryContext | undefined {
  const name = nameToWire(target);
  const question = Buffer.alloc(name.length + 4);
  name.copy(question);
  question.writeUInt16BE(ctx.q.qtype, name.length);
  question.writeUInt16BE(CLASS.IN, name.length + 2);
  const opt = ctx.q.edns ? (ctx.q.dnssecOk ? OPT_DO : OPT_PLAIN) : undefined;
  const query = buildQuery(ctx.q.id, question, opt);
  const parsed = parseQuery(query);
  if (!parsed.ok) return undefined;
  return { ...ctx, query, q: parsed.question };
}

function withCname(ctx: QueryContext, target: string, answer: Uint8Array): Uint8Array {
  const decoded = dnsPacket.decode(Buffer.from(answer));
  const name = dnsPacket.decode(Buffer.from(ctx.query)).questions?.[0]?.name ?? ctx.q.name;
  const type = TYPE_NAME.get(ctx.q.qtype) as dnsPacket.RecordType;
  return dnsPacket.encode({
    type: 'response',
    id: ctx.q.id,
    flags: (decoded.flags ?? 0) & ~dnsPacket.AUTHORITATIVE_ANSWER,
    questions: [{ name, type, class: 'IN' }],
    answers: [
      { type: 'CNAME', name, ttl: SAFE_TTL, class: 'IN', data: target },
      ...(decoded.answers ?? []),
    ],
    authorities: decoded.authorities ?? [],
    additionals: ctx.q.edns ? [optOf(ctx.q.dnssecOk)] : [],
  });
}

function optOf(dnssecOk: boolean): dnsPacket.Answer {
  return {
    type: 'OPT',
    name: '.',
    udpPayloadSize: OUR_UDP_PAYLOAD,
    flags: dnssecOk ? dnsPacket.DNSSEC_OK : 0,
    options: [],
  } as unknown as dnsPacket.Answer;
}
