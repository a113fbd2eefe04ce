/**
 * The resolver's pipeline, built in one place for the server and the tests: the stage order
 * (declared once, like CoreDNS's plugin.cfg), the full chain with its error contract, the
 * handler every transport calls, and the UDP fast path derived from the same stages.
 */
import { RCODE } from '../dns/codes.js';
import { reply } from '../dns/reply.js';
import type { AddressSet } from '../net/address-set.js';
import { chain, fastChain, type OnStageError, type Stage } from './context.js';
import type { Designation } from './ddr.js';
import { FastPath } from './fast-path.js';
import { type Handler, makeHandler, type QueryLog } from './handler.js';
import type { CheckAnswer } from './setup/check-answer.js';
import { AclStage } from './stages/acl.js';
import { type BlockAnswer, Blocker, BlocklistStage, type ListLookup } from './stages/blocklist.js';
import type { CacheStage } from './stages/cache.js';
import { ClassStage } from './stages/class.js';
import { CnameCloakStage } from './stages/cname-cloak.js';
import { ForwardStage, type Resolve } from './stages/forward.js';
import { ListsReadyStage, type Readiness } from './stages/lists-ready.js';
import { type PolicySource, PolicyStage } from './stages/policy.js';
import { RateLimitStage } from './stages/rate-limit.js';
import { SpecialNamesStage } from './stages/special-names.js';
import type { Stats } from './stats.js';

export interface PipelineParts {
  acl: AddressSet;
  rateLimit: { perSecond: number; burst: number };
  /** Each client's policy (devices, subnets, schedules), and every policy it can give. */
  policies: PolicySource;
  /** The DoT/DoH endpoints announced at `_dns.resolver.arpa` (RFC 9462), when there are any. */
  ddr?: Designation;
  lists: ListLookup;
  /** Bumped when the lists, rules or policies change (the fast path forgets what it learnt). */
  listGeneration: () => number;
  /** The fast path's name table capacity (`memory.namesSeen`). */
  namesSeen: number;
  /**
   * Given, queries that would be answered from the cache or the upstreams get SERVFAIL with
   * EDE 14 while a required list has no usable copy (`whenListsMissing: servfail`).
   */
  readiness?: Readiness;
  block: BlockAnswer;
  /** The "am I protected?" name this resolver answers itself (setup.checkName). */
  check?: CheckAnswer;
  cache: CacheStage;
  upstream: Resolve;
  stats: Stats;
  /** Where a failing stage is reported (one line per failure). */
  log: { error(obj: object, msg: string): void };
  /** Every query logged; the fast path is then off, so that it sees every query. */
  queryLog?: QueryLog;
}

export interface Pipeline {
  readonly stages: readonly Stage[];
  readonly handle: Handler;
  readonly fast: FastPath | undefined;
}

export function buildPipeline(parts: PipelineParts): Pipeline {
  const { stats, lists } = parts;
  const blocker = new Blocker(parts.block, stats);
  // The order every query meets the stages in, fast path or not.
  const stages: readonly Stage[] = [
    new AclStage(parts.acl, stats),
    new RateLimitStage(parts.rateLimit.perSecond, parts.rateLimit.burst, stats),
    new ClassStage(),
    new PolicyStage(parts.policies),
    new SpecialNamesStage({
      ...(parts.check && { check: parts.check }),
      ...(parts.ddr && { ddr: parts.ddr }),
    }),
    new BlocklistStage(lists, blocker),
    new CnameCloakStage(lists, blocker),
    ...(parts.readiness ? [new ListsReadyStage(parts.readiness, stats)] : []),
    parts.cache,
    new ForwardStage(parts.upstream, stats),
  ];
  const onError: OnStageError = (stage, ctx, error) => {
    stats.stageFailed(stage);
    parts.log.error(
      { stage, name: ctx.q.name, qtype: ctx.q.qtype, err: (error as Error)?.message ?? error },
      'stage failed, answered SERVFAIL',
    );
    return reply(ctx.query, ctx.q, RCODE.SERVFAIL);
  };
  const handle = makeHandler(chain(stages, onError), stats, parts.queryLog);
  // The query log sees every query, so with it on every query takes the chain.
  const fast = parts.queryLog
    ? undefined
    : new FastPath({
        chain: fastChain(stages),
        policies: parts.policies.all,
        listGeneration: parts.listGeneration,
        namesSeen: parts.namesSeen,
        stats,
      });
  return { stages, handle, fast };
}
