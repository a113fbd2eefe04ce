/**
 * The UDP fast path: the stage chain's fast forms (see context.ts), run straight on the
 * query's bytes before the full chain. The query is read into one reused Question
 * (readPlainQuery: no string, no allocation); what the stages learn about a name under a
 * policy (special or not, its list verdict, its cached answers) is kept in the NameTable keyed
 * by the name's wire bytes, so a name seen before is never turned into a string again (the
 * string is built only when a stage needs it: a verdict or an answer not yet known). The
 * answer is the chain's own code (Blocker.blocked, answerFrom, fitTransport), byte for byte.
 * Whatever a stage does not answer synchronously returns undefined and takes the full chain,
 * which stays the reference. One allocation per answered query: the answer.
 */

import type { Verdict } from '../../blocklists/matcher.js';
import { HEADER_BYTES } from '../dns/codes.js';
import { plainNameAt } from '../dns/name.js';
import { emptyQuestion, readPlainQuery } from '../dns/query.js';
import type { CachedAnswer } from './cached-answer.js';
import type { FastContext, FastNext, NameFacts, Policy } from './context.js';
import { fitTransport } from './edns.js';
import { MAX_NAME_BYTES, NameTable } from './name-table.js';
import type { Stats } from './stats.js';

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
  /** Names remembered (`memory.namesSeen`): the name table's capacity. */
  namesSeen: number;
  stats: Stats;
}

export class FastPath {
  private readonly table: NameTable;
  private generation = -1;
  /** Policy → its number in the table's keys; 0 is "no policy chosen yet". */
  private policyNumber = new Map<Policy | undefined, number>();
  private nameLength = 0;
  /** The policy of the view's entry. */
  private entryPolicy: Policy | undefined;
  private readonly view: FactsView;
  private readonly ctx: FastContext = {
    query: new Uint8Array(0),
    q: emptyQuestion(), // its name is never read on this path: stages ask facts()
    client: '',
    transport: 'udp',
    facts: () => this.facts(),
  };

  constructor(private readonly parts: FastPathParts) {
    this.table = new NameTable(parts.namesSeen);
    this.view = new FactsView(this.table, () => plainNameAt(this.ctx.query, HEADER_BYTES));
  }

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
    this.view.reset();
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
    if (this.view.entry >= 0 && this.entryPolicy === ctx.policy) return this.view;
    const policy = this.policyNumber.get(ctx.policy);
    if (policy === undefined) throw new Error(`policy ${ctx.policy?.name} is not the fast path's`);
    const msg = ctx.query;
    const length = this.nameLength;
    const hash = NameTable.hash(msg, HEADER_BYTES, length, policy);
    let entry = this.table.find(hash, msg, HEADER_BYTES, length, policy);
    if (entry >= 0) this.parts.stats.nameTableHits++;
    else {
      this.parts.stats.nameTableMisses++;
      entry = this.table.add(hash, msg, HEADER_BYTES, length, policy);
    }
    this.view.entry = entry;
    this.entryPolicy = ctx.policy;
    return this.view;
  }
}

/** The one NameFacts object: reads and writes the current query's entry in the table. */
class FactsView implements NameFacts {
  /** This query's entry (-1: not looked up yet). */
  entry = -1;
  private built: string | undefined;

  constructor(
    private readonly table: NameTable,
    private readonly buildName: () => string,
  ) {}

  /** A new query: no entry, no name string yet. */
  reset(): void {
    this.entry = -1;
    this.built = undefined;
  }

  get name(): string {
    this.built ??= this.buildName();
    return this.built;
  }

  get special(): boolean | undefined {
    return this.table.special(this.entry);
  }

  set special(special: boolean | undefined) {
    if (special !== undefined) this.table.setSpecial(this.entry, special);
  }

  get verdict(): Verdict | undefined {
    return this.table.verdict(this.entry);
  }

  set verdict(verdict: Verdict | undefined) {
    if (verdict !== undefined) this.table.setVerdict(this.entry, verdict);
  }

  answer(slot: number): CachedAnswer | undefined {
    return this.table.answer(this.entry, slot);
  }

  setAnswer(slot: number, answer: CachedAnswer | undefined): void {
    this.table.setAnswer(this.entry, slot, answer);
  }
}
