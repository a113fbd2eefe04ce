/**
 * The UDP fast path: the stage chain's fast forms (see context.ts), run straight on the
 * query's bytes before the full chain. The query is read into one reused Question
 * (readPlainQuery: no string, no allocation); what the stages learn about a name under a
 * policy (special or not, its list verdict, its cached answers) is kept in a NameTable keyed
 * by the name's wire bytes, so a name seen before is never turned into a string again. The
 * answer is the chain's own code (Blocker.blocked, answerFrom, fitTransport), byte for byte.
 * Whatever a stage does not answer synchronously returns undefined and takes the full chain,
 * which stays the reference. One allocation per answered query: the answer.
 */
import { HEADER_BYTES } from '../dns/codes.js';
import { lower } from '../dns/name.js';
import { emptyQuestion, readPlainQuery } from '../dns/query.js';
import type { FastContext, FastNext, NameFacts, Policy } from './context.js';
import { fitTransport } from './edns.js';
import { MAX_NAME_BYTES, NameTable } from './name-table.js';
import type { Stats } from './stats.js';

/** Names remembered; ~8.5 MB of typed arrays when full. */
const TABLE_ENTRIES = 131_072;
/** Policies numbered 1-254 in the table's one-byte key (0: none chosen yet). */
export const FAST_PATH_MAX_POLICIES = 254;

export interface FastPathParts {
  /** The stages' fast forms, chained (fastChain). */
  chain: FastNext;
  /**
   * Every policy a client can get, the fallback included; the array may gain policies on a
   * config reload (the generation changes then). Beyond FAST_PATH_MAX_POLICIES, clients of the
   * later ones take the full chain.
   */
  policies: readonly Policy[];
  /** Bumped when the lists, rules or policies in force change: every name's facts are dropped. */
  listGeneration: () => number;
  stats: Stats;
}

export class FastPath {
  private readonly table = new NameTable<NameFacts>(TABLE_ENTRIES);
  private generation = -1;
  private readonly nameScratch = Buffer.allocUnsafe(MAX_NAME_BYTES);
  /** Policy → its number in the table's keys; 0 is "no policy chosen yet". */
  private policyNumber = new Map<Policy | undefined, number>();
  private nameLength = 0;
  private current: NameFacts | undefined;
  private currentPolicy: Policy | undefined;
  private readonly ctx: FastContext = {
    query: new Uint8Array(0),
    q: emptyQuestion(), // its name is never read on this path: stages ask facts()
    client: '',
    transport: 'udp',
    facts: () => this.facts(),
  };

  constructor(private readonly parts: FastPathParts) {}

  /** Numbers the policies in force (after a reload they may be others). */
  private numberPolicies(): void {
    this.policyNumber = new Map<Policy | undefined, number>([[undefined, 0]]);
    this.parts.policies.slice(0, FAST_PATH_MAX_POLICIES).forEach((p, i) => {
      this.policyNumber.set(p, i + 1);
    });
  }

  /** The answer, or undefined: then the full chain handles the query. */
  answer(msg: Uint8Array, client: string): Uint8Array | undefined {
    const ctx = this.ctx;
    const nameLength = readPlainQuery(msg, ctx.q);
    if (nameLength < 0 || nameLength > MAX_NAME_BYTES) return undefined;
    const generation = this.parts.listGeneration();
    if (generation !== this.generation) {
      this.table.clear();
      this.numberPolicies();
      this.generation = generation;
    }
    ctx.query = msg;
    ctx.client = client;
    ctx.policy = undefined;
    ctx.cnames = undefined;
    this.nameLength = nameLength;
    this.current = undefined;
    let answer: Uint8Array | undefined;
    try {
      answer = this.parts.chain(ctx);
    } catch {
      return undefined; // the full chain runs it again, and answers and logs the failure
    }
    if (answer === undefined) return undefined;
    this.parts.stats.query();
    return fitTransport(ctx, answer);
  }

  /** This query's name's facts under the policy chosen so far, from the table or new. */
  private facts(): NameFacts {
    const ctx = this.ctx;
    if (this.current !== undefined && this.currentPolicy === ctx.policy) return this.current;
    const policy = this.policyNumber.get(ctx.policy);
    if (policy === undefined) throw new Error(`policy ${ctx.policy?.name} is not the fast path's`);
    const msg = ctx.query;
    const length = this.nameLength;
    const hash = NameTable.hash(msg, HEADER_BYTES, length, policy);
    let facts = this.table.get(hash, msg, HEADER_BYTES, length, policy);
    if (facts !== undefined) this.parts.stats.nameTableHits++;
    else {
      this.parts.stats.nameTableMisses++;
      facts = {
        name: this.nameOf(msg, length),
        answers: [undefined, undefined, undefined, undefined],
      };
      this.table.set(hash, msg, HEADER_BYTES, length, policy, facts);
    }
    this.current = facts;
    this.currentPolicy = ctx.policy;
    return facts;
  }

  /**
   * The name dotted and lower-cased into a scratch buffer, then one flat string (a string
   * built with += is a rope that every later hash lookup has to flatten first).
   */
  private nameOf(msg: Uint8Array, nameLength: number): string {
    const out = this.nameScratch;
    let offset = HEADER_BYTES;
    let n = 0;
    const end = HEADER_BYTES + nameLength;
    while (offset < end) {
      const label = msg[offset] as number;
      if (offset > HEADER_BYTES) out[n++] = 0x2e;
      for (let i = offset + 1; i <= offset + label; i++) {
        out[n++] = lower(msg[i] as number);
      }
      offset += label + 1;
    }
    return out.toString('latin1', 0, n);
  }
}
