/**
 * Blocklist stage: names on a list the client's policy blocks. NXDOMAIN by default, or the sinkhole
 * addresses (A/AAAA; other types get NODATA), always with an Extended DNS Error (RFC 8914):
 * 15 Blocked for the operator's own categories (abuse), 17 Filtered for the rest, the text
 * naming category and list.
 */
import type { Verdict } from '../../../blocklists/matcher.js';
import { EDE, RCODE, TYPE } from '../../dns/codes.js';
import { optRecord } from '../../dns/opt.js';
import { addressRecord, reply } from '../../dns/reply.js';
import type { FastNext, Next, Policy, QueryContext, Reply, Stage } from '../context.js';
import type { Stats } from '../stats.js';

/** Whatever holds the lists in force: asked once per query, so a swap takes effect at once. */
export interface ListLookup {
  match(name: string, policy: Policy | undefined): Verdict;
}

export interface BlockAnswer {
  /** NXDOMAIN (default) or a sinkhole. */
  mode: 'nxdomain' | 'sinkhole';
  ipv4: Uint8Array;
  ipv6: Uint8Array;
  ttl: number;
  /** Categories answered with EDE 15 Blocked; every other category gets 17 Filtered. */
  blockedCategories: ReadonlySet<string>;
  /**
   * Categories answered NXDOMAIN even in sinkhole mode: for `bypass`, NXDOMAIN is the signal
   * (iCloud Private Relay switches off on it; a DoH client falls back to the network's DNS).
   */
  nxdomainCategories?: ReadonlySet<string>;
}

export type BlockedVerdict = Extract<Verdict, { blocked: true }>;

/** Builds block answers; shared by the blocklist stage and the CNAME-cloaking check. */
export class Blocker {
  private readonly opts = new Map<string, Uint8Array>();
  private readonly sinkA: Uint8Array;
  private readonly sinkAaaa: Uint8Array;

  constructor(
    private readonly answer: BlockAnswer,
    private readonly stats: Stats,
  ) {
    this.sinkA = addressRecord(TYPE.A, answer.ttl, answer.ipv4);
    this.sinkAaaa = addressRecord(TYPE.AAAA, answer.ttl, answer.ipv6);
  }

  blocked(ctx: QueryContext, verdict: BlockedVerdict): Uint8Array {
    this.stats.block(verdict.category);
    ctx.blockedCategory = verdict.category;
    const { q, query } = ctx;
    const opt = q.edns ? this.opt(verdict, q.dnssecOk) : undefined;
    if (this.answer.mode === 'nxdomain' || this.answer.nxdomainCategories?.has(verdict.category))
      return reply(query, q, RCODE.NXDOMAIN, [], opt);
    const record =
      q.qtype === TYPE.A ? this.sinkA : q.qtype === TYPE.AAAA ? this.sinkAaaa : undefined;
    return reply(query, q, RCODE.NOERROR, record ? [record] : [], opt);
  }

  private opt(verdict: BlockedVerdict, dnssecOk: boolean): Uint8Array {
    const key = `${verdict.category}\0${verdict.listId}\0${dnssecOk}`;
    let opt = this.opts.get(key);
    if (!opt) {
      const code = this.answer.blockedCategories.has(verdict.category) ? EDE.BLOCKED : EDE.FILTERED;
      const text = `blocked by Kalkan: category ${verdict.category}, list ${verdict.listId}`;
      opt = optRecord(dnssecOk, { code, text });
      this.opts.set(key, opt);
    }
    return opt;
  }
}

export class BlocklistStage implements Stage {
  readonly name = 'blocklist';

  constructor(
    private readonly lists: ListLookup,
    private readonly blocker: Blocker,
  ) {}

  handle(ctx: QueryContext, next: Next): Reply {
    const verdict = this.lists.match(ctx.q.name, ctx.policy);
    if (verdict.blocked) return this.blocker.blocked(ctx, verdict);
    return next(ctx);
  }

  fast(next: FastNext): FastNext {
    return (ctx) => {
      const facts = ctx.facts();
      facts.verdict ??= this.lists.match(facts.name, ctx.policy);
      return facts.verdict.blocked ? this.blocker.blocked(ctx, facts.verdict) : next(ctx);
    };
  }
}
