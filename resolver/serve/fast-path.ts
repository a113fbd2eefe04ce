/**
 * The UDP fast path: answers a blocked name or a cache hit straight from the query's bytes,
 * before the stage chain. It reads the header, walks the question's labels (hashing them, no
 * string built) and a trailing OPT record into one reused Question, looks the name up in a
 * NameTable, and hands that Question to the same code the chain uses (Blocker.blocked,
 * answerFrom, fitTransport), so the answer is byte for byte the chain's. Anything else — a new
 * name, a special name, another class or type, a CNAME answer, a refused or rate-limited client,
 * compression, odd sections — returns undefined and takes the full chain, which stays the
 * reference. No closure, Promise or string per query; one allocation: the answer.
 */
import type { Verdict } from '../../blocklists/matcher.js';
import type { Policy, QueryContext } from './context.js';
import { fitTransport } from './edns.js';
import { MAX_NAME_BYTES, NameTable } from './name-table.js';
import type { AclStage } from './stages/acl.js';
import type { Blocker, ListLookup } from './stages/blocklist.js';
import { answerFrom, type CachedAnswer, type CacheStage } from './stages/cache.js';
import type { PolicyStage } from './stages/policy.js';
import type { RateLimitStage } from './stages/rate-limit.js';
import { CANARY, safeSearchTarget } from './stages/special-names.js';
import type { Stats } from './stats.js';
import { PLAIN_UDP_LIMIT, type Question, RrType } from './wire.js';

/** Names remembered (blocked verdicts and allowed names); ~8.5 MB of typed arrays when full. */
const TABLE_ENTRIES = 131_072;
const CLASS_IN = 1;

/** An allowed name: its cached A/AAAA answers (with and without DO), found once by name. */
class Allowed {
  readonly answers: (CachedAnswer | undefined)[] = [undefined, undefined, undefined, undefined];
  constructor(readonly name: string) {}
}

/** A name the chain must always see: the DoH canary, a safe-search name. */
const SLOW = Symbol('slow');
type Known = Extract<Verdict, { blocked: true }> | Allowed | typeof SLOW;

export interface FastPathParts {
  acl: AclStage;
  rateLimit: RateLimitStage;
  policies: PolicyStage;
  /** Every policy a client can get, the fallback included (at most 255). */
  allPolicies: readonly Policy[];
  lists: ListLookup;
  /** Bumped when the lists in force change: the table is cleared. */
  listGeneration: () => number;
  blocker: Blocker;
  cache: CacheStage;
  stats: Stats;
}

export class FastPath {
  private readonly table = new NameTable<Known>(TABLE_ENTRIES);
  private generation = -1;
  private readonly nameScratch = Buffer.allocUnsafe(MAX_NAME_BYTES);
  private readonly q: Question = {
    id: 0,
    name: '', // never read on this path: the name lives in the table
    qtype: 0,
    qclass: 0,
    questionEnd: 0,
    rd: false,
    edns: false,
    udpSize: PLAIN_UDP_LIMIT,
    dnssecOk: false,
  };
  private readonly ctx: QueryContext = {
    query: new Uint8Array(0),
    q: this.q,
    client: '',
    transport: 'udp',
  };
  // The last client's checks, remembered: a busy client sends many queries in a row.
  private lastClient = '';
  private lastAllowed = false;
  private lastPolicy = 0;

  constructor(private readonly parts: FastPathParts) {}

  /** The answer, or undefined: then the full chain handles the query. */
  answer(msg: Uint8Array, client: string): Uint8Array | undefined {
    const length = msg.length;
    if (length < 17) return undefined;
    const flags = msg[2] as number;
    // A query (QR 0), opcode 0; one question, no answer or authority, at most an OPT.
    if ((flags & 0xf8) !== 0 || msg[4] !== 0 || msg[5] !== 1) return undefined;
    if (msg[6] !== 0 || msg[7] !== 0 || msg[8] !== 0 || msg[9] !== 0 || msg[10] !== 0)
      return undefined;
    const additional = msg[11] as number;
    if (additional > 1) return undefined;
    let offset = 12;
    for (;;) {
      const label = msg[offset] as number;
      if (label === 0 || label > 63) break;
      offset += label + 1;
      if (offset >= length) return undefined;
    }
    if (msg[offset] !== 0) return undefined; // compression or a bad label: the chain decides
    const nameLength = offset - 12;
    if (nameLength === 0 || nameLength > MAX_NAME_BYTES) return undefined;
    const questionEnd = offset + 5;
    if (questionEnd > length) return undefined;
    const qtype = ((msg[offset + 1] as number) << 8) | (msg[offset + 2] as number);
    if (msg[offset + 3] !== 0 || msg[offset + 4] !== CLASS_IN) return undefined;
    const q = this.q;
    q.edns = false;
    q.udpSize = PLAIN_UDP_LIMIT;
    q.dnssecOk = false;
    if (additional === 1) {
      // Only the common shape: an OPT owned by the root, ending the message.
      const o = questionEnd;
      if (o + 11 > length || msg[o] !== 0 || msg[o + 1] !== 0 || msg[o + 2] !== RrType.OPT)
        return undefined;
      if (o + 11 + (((msg[o + 9] as number) << 8) | (msg[o + 10] as number)) !== length)
        return undefined;
      q.edns = true;
      q.udpSize = Math.max(PLAIN_UDP_LIMIT, ((msg[o + 3] as number) << 8) | (msg[o + 4] as number));
      q.dnssecOk = ((msg[o + 7] as number) & 0x80) !== 0;
    }
    q.id = ((msg[0] as number) << 8) | (msg[1] as number);
    q.qtype = qtype;
    q.qclass = CLASS_IN;
    q.questionEnd = questionEnd;
    q.rd = (flags & 1) === 1;

    const parts = this.parts;
    const generation = parts.listGeneration();
    if (generation !== this.generation) {
      this.table.clear();
      this.generation = generation;
      this.lastClient = ''; // a reload or a schedule may have moved this client
    }
    if (client !== this.lastClient) {
      this.lastClient = client;
      this.lastAllowed = parts.acl.allows(client);
      this.lastPolicy = parts.allPolicies.indexOf(parts.policies.policyFor(client));
    }
    if (!this.lastAllowed || this.lastPolicy < 0) return undefined; // REFUSED is the chain's
    const policy = this.lastPolicy;
    const hash = NameTable.hash(msg, 12, nameLength, policy);
    let known = this.table.get(hash, msg, 12, nameLength, policy);
    if (known === undefined) {
      parts.stats.nameTableMisses++;
      known = this.classify(msg, nameLength, parts.allPolicies[policy] as Policy);
      this.table.set(hash, msg, 12, nameLength, policy, known);
    } else parts.stats.nameTableHits++;
    if (known === SLOW) return undefined;

    const ctx = this.ctx;
    ctx.query = msg;
    ctx.client = client;
    if (!(known instanceof Allowed)) {
      if (!parts.rateLimit.take(client)) return undefined;
      parts.stats.query();
      return fitTransport(ctx, parts.blocker.blocked(ctx, known));
    }
    const slot = qtype === RrType.A ? 0 : qtype === RrType.AAAA ? 2 : -1;
    if (slot < 0) return undefined;
    const index = slot + (q.dnssecOk ? 1 : 0);
    const now = parts.cache.now();
    let entry = known.answers[index];
    if (entry === undefined || now >= entry.expiresAt) {
      entry = parts.cache.lookup(known.name, qtype, CLASS_IN, q.dnssecOk, now);
      known.answers[index] = entry;
      if (entry === undefined) return undefined;
    }
    if (entry.cnames !== undefined) return undefined; // the CNAME-cloaking check is the chain's
    if (!parts.rateLimit.take(client)) return undefined;
    parts.stats.query();
    parts.stats.cacheHits++;
    return fitTransport(ctx, answerFrom(entry, ctx, now));
  }

  /** A name seen for the first time: the chain's special names, then the lists. */
  private classify(msg: Uint8Array, nameLength: number, policy: Policy): Known {
    // Dotted and lower-cased into a scratch buffer, then one flat string (a string built with
    // += is a rope that every later hash lookup has to flatten first).
    const out = this.nameScratch;
    let offset = 12;
    let n = 0;
    const end = 12 + nameLength;
    while (offset < end) {
      const label = msg[offset] as number;
      if (offset > 12) out[n++] = 0x2e;
      for (let i = offset + 1; i <= offset + label; i++) {
        const c = msg[i] as number;
        out[n++] = c >= 65 && c <= 90 ? c + 32 : c;
      }
      offset += label + 1;
    }
    const name = out.toString('latin1', 0, n);
    if (name === CANARY || (policy.safeSearch && safeSearchTarget(name))) return SLOW;
    const verdict = this.parts.lists.match(name, policy);
    return verdict.blocked ? verdict : new Allowed(name);
  }
}
