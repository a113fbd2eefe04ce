/**
 * Cache stage: the answer cache. Keyed by name/type/class/DO; it keeps the upstream's encoded
 * answer (without its OPT record) and the offsets of every TTL, in one place of its slab
 * (answer-slab.ts), so a hit is one copy, the client's ID and question bytes written over, TTLs
 * counted down, and our OPT appended: no decode, no encode. Negative answers are cached for the
 * SOA's negative TTL (RFC 2308); TTLs are held between the configured minimum and maximum; the
 * entry count is bounded (two generations, the older dropped whole). Identical queries in
 * flight share one upstream request.
 */
import { VerdictCache } from '../../../blocklists/verdict-cache.js';
import { CD_BIT, RCODE, TYPE } from '../../dns/codes.js';
import { OPT_DO, OPT_PLAIN } from '../../dns/opt.js';
import { cnameTargetsOf, type ResponseShape, shapeOf } from '../../dns/response.js';
import { AnswerSlab } from '../answer-slab.js';
import type { CachedAnswer } from '../cached-answer.js';
import type { FastNext, Next, QueryContext, Reply, Stage } from '../context.js';
import type { Stats } from '../stats.js';

export interface CacheOptions {
  maxEntries: number;
  minTtl: number;
  maxTtl: number;
  /** Cap on how long NXDOMAIN/NODATA is kept. */
  maxNegativeTtl: number;
}

export class CacheStage implements Stage {
  readonly name = 'cache';
  private readonly entries: VerdictCache<CachedAnswer>;
  private readonly inFlight = new Map<string, Promise<CachedAnswer>>();
  private readonly slab = new AnswerSlab();

  constructor(
    private readonly options: CacheOptions,
    private readonly stats: Stats,
    readonly now: () => number = Date.now,
  ) {
    this.entries = new VerdictCache(options.maxEntries);
  }

  get size(): number {
    return this.entries.size;
  }

  /** A fresh entry for this question, or undefined. */
  lookup(name: string, qtype: number, qclass: number, dnssecOk: boolean, now: number) {
    const entry = this.entries.get(keyOf(name, qtype, qclass, dnssecOk));
    return entry && now < entry.expiresAt ? entry : undefined;
  }

  handle(ctx: QueryContext, next: Next): Reply {
    const { q } = ctx;
    const key = keyOf(q.name, q.qtype, q.qclass, q.dnssecOk);
    const entry = this.entries.get(key);
    const now = this.now();
    if (entry && now < entry.expiresAt) {
      this.stats.cacheHits++;
      return answerFrom(entry, ctx, now);
    }
    this.stats.cacheMisses++;
    // CD (checking disabled) reaches the upstream, which then skips DNSSEC validation for this
    // client: the answer is shaped for it like any other, but never kept or shared, so a client
    // that relies on validation is never handed it.
    if (((ctx.query[3] as number) & CD_BIT) !== 0)
      return Promise.resolve(next(ctx)).then((response) =>
        answerFrom(this.entryOf(response, false), ctx, this.now()),
      );
    let pending = this.inFlight.get(key);
    if (!pending) {
      // Settled in one step (no second promise to clear it): fewer objects per forwarded query.
      pending = Promise.resolve(next(ctx)).then(
        (response) => {
          this.inFlight.delete(key);
          return this.store(key, response);
        },
        (error: unknown) => {
          this.inFlight.delete(key);
          throw error;
        },
      );
      this.inFlight.set(key, pending);
    }
    return pending.then((e) => answerFrom(e, ctx, this.now()));
  }

  /** A/AAAA hits only, each entry kept in the name's facts so the next hit needs no key. */
  fast(next: FastNext): FastNext {
    return (ctx) => {
      const { q } = ctx;
      const slot = q.qtype === TYPE.A ? 0 : q.qtype === TYPE.AAAA ? 2 : -1;
      if (slot < 0) return next(ctx);
      const index = slot + (q.dnssecOk ? 1 : 0);
      const facts = ctx.facts();
      const now = this.now();
      let entry = facts.answer(index);
      if (entry === undefined || now >= entry.expiresAt) {
        entry = this.lookup(facts.name, q.qtype, q.qclass, q.dnssecOk, now);
        facts.setAnswer(index, entry);
        if (entry === undefined) return next(ctx);
      }
      this.stats.cacheHits++;
      return answerFrom(entry, ctx, now);
    };
  }

  private store(key: string, response: Uint8Array): CachedAnswer {
    const entry = this.entryOf(response, true);
    // An entry already expired (no TTL, truncated, an error) is answered once, not kept.
    if (entry.expiresAt > entry.storedAt) this.entries.set(key, entry);
    return entry;
  }

  /**
   * The entry for an answer; `kept` (stored in the cache) puts it in the slab. Its bytes
   * without the OPT record, TTLs clamped, then the TTL offsets as 16-bit numbers (a DNS
   * message is under 64 KB).
   */
  private entryOf(response: Uint8Array, kept: boolean): CachedAnswer {
    const now = this.now();
    const shape = shapeOf(response);
    const length = shape && shape.optOffset >= 0 ? shape.optOffset : response.length;
    const ttlCount = shape ? shape.ttlOffsets.length : 0;
    const size = length + 2 * ttlCount;
    const start = kept ? this.slab.reserve(size) : 0;
    const memory = kept ? this.slab.memory : Buffer.allocUnsafe(size);
    memory.set(length === response.length ? response : response.subarray(0, length), start);
    if (length !== response.length)
      memory.writeUInt16BE(memory.readUInt16BE(start + 10) - 1, start + 10);
    const { minTtl, maxTtl, maxNegativeTtl } = this.options;
    let at = start + length;
    for (let i = 0; i < ttlCount; i++, at += 2) {
      const offset = (shape as ResponseShape).ttlOffsets[i] as number;
      const ttl = clamp(memory.readUInt32BE(start + offset), minTtl, maxTtl);
      memory.writeUInt32BE(ttl, start + offset);
      memory.writeUInt16BE(offset, at);
    }
    const negative = shape !== undefined && shape.answerCount === 0;
    const lifetime =
      shape?.ttl === undefined || shape.truncated || (shape.rcode !== 0 && shape.rcode !== 3)
        ? 0
        : negative
          ? Math.min(shape.ttl, maxNegativeTtl)
          : clamp(shape.ttl, minTtl, maxTtl);
    return {
      memory,
      start,
      length,
      ttlCount,
      storedAt: now,
      expiresAt: now + lifetime * 1000,
      cnames: shape ? cnameTargetsOf(response, shape) : undefined,
      ...(shape !== undefined &&
        shape.rcode === RCODE.SERVFAIL &&
        shape.optOffset >= 0 && { errorOpt: Buffer.from(response.subarray(shape.optOffset)) }),
    };
  }
}

const KEY_SCRATCH = Buffer.allocUnsafe(256 + 5);

/**
 * The name, then type, class and DO as bytes, as one flat string: a template literal would be a
 * rope of six nodes that the cache keeps as its key for as long as the entry.
 */
function keyOf(name: string, qtype: number, qclass: number, dnssecOk: boolean): string {
  const n = KEY_SCRATCH.write(name, 0, 'latin1');
  KEY_SCRATCH.writeUInt16BE(qtype, n);
  KEY_SCRATCH.writeUInt16BE(qclass, n + 2);
  KEY_SCRATCH[n + 4] = dnssecOk ? 1 : 0;
  return KEY_SCRATCH.toString('latin1', 0, n + 5);
}

function clamp(value: number, min: number, max: number): number {
  return value < min ? min : Math.min(value, max);
}

/** The client's copy: its ID, its question bytes (0x20 case), TTLs aged, our OPT if it sent one. */
export function answerFrom(entry: CachedAnswer, ctx: QueryContext, now: number): Uint8Array {
  const { q, query } = ctx;
  const { memory, start, length } = entry;
  const opt = q.edns ? (entry.errorOpt ?? (q.dnssecOk ? OPT_DO : OPT_PLAIN)) : undefined;
  const out = Buffer.allocUnsafe(length + (opt ? opt.length : 0));
  memory.copy(out, 0, start, start + length);
  out[0] = query[0] as number;
  out[1] = query[1] as number;
  out[2] = ((out[2] as number) & 0xfe) | (q.rd ? 1 : 0);
  if (q.questionEnd <= length) out.set(query.subarray(12, q.questionEnd), 12);
  const aged = Math.floor((now - entry.storedAt) / 1000);
  if (aged > 0) {
    let at = start + length;
    for (let i = 0; i < entry.ttlCount; i++, at += 2) {
      const offset = memory.readUInt16BE(at);
      out.writeUInt32BE(Math.max(memory.readUInt32BE(start + offset) - aged, 0), offset);
    }
  }
  if (opt) {
    out.set(opt, length);
    out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  }
  ctx.cnames = entry.cnames;
  return out;
}
