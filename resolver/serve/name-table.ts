/**
 * The one place the resolver keeps names it has seen (`memory.namesSeen`): each question name
 * under a policy number, keyed by its wire bytes (compared case-insensitively), with what the
 * stages learnt about it: special or not, its list verdict, its cached answers. No object,
 * array or string per name: typed arrays, a verdict number into the short list of verdicts
 * seen (a matcher makes one verdict object per list), and one array of references to the
 * cache's own answers, allocated once. About 60 bytes a name, nothing for the garbage collector
 * to trace, promote or copy as the table fills. FNV-1a over the lower-cased bytes, open
 * addressing, names packed in one slab. When full (names or slab bytes) it is cleared whole:
 * it is only a cache.
 */
import type { Verdict } from '../../blocklists/matcher.js';
import { lower } from '../dns/name.js';
import type { CachedAnswer } from './cached-answer.js';

export const MAX_NAME_BYTES = 64;
/** Slab bytes per entry: names average well under this (the longest take up to 64). */
const SLAB_BYTES_PER_NAME = 32;
/** Answers kept per name: A, A+DO, AAAA, AAAA+DO. */
export const ANSWER_SLOTS = 4;
const UNKNOWN = 0;
const NOT_SPECIAL = 1;
const SPECIAL = 2;

export class NameTable {
  private readonly slots: Int32Array; // entry index + 1; 0 is empty
  private readonly mask: number;
  private readonly hashes: Uint32Array;
  private readonly starts: Uint32Array;
  private readonly lengths: Uint8Array;
  private readonly policies: Uint8Array;
  private readonly specials: Uint8Array;
  private readonly slab: Uint8Array;
  private slabUsed = 0;
  /** 0: not known; n: verdictList[n - 1]. */
  private readonly verdicts: Uint8Array;
  private readonly verdictList: Verdict[] = [];
  /**
   * Allocated whole at the start (grown with push, each growth would leave a copy behind in
   * the large-object space until a full collection); a clear empties what was used.
   */
  private readonly answers: (CachedAnswer | undefined)[];
  private count = 0;

  /** At most `capacity` names; the slot array is the next power of two at least twice that. */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`name table capacity must be a positive integer, not ${capacity}`);
    let slots = 2;
    while (slots < capacity * 2) slots *= 2;
    this.slots = new Int32Array(slots);
    this.mask = slots - 1;
    this.hashes = new Uint32Array(capacity);
    this.starts = new Uint32Array(capacity);
    this.lengths = new Uint8Array(capacity);
    this.policies = new Uint8Array(capacity);
    this.specials = new Uint8Array(capacity);
    this.verdicts = new Uint8Array(capacity);
    this.answers = new Array<CachedAnswer | undefined>(capacity * ANSWER_SLOTS).fill(undefined);
    this.slab = new Uint8Array(Math.max(capacity * SLAB_BYTES_PER_NAME, MAX_NAME_BYTES));
  }

  get size(): number {
    return this.count;
  }

  /** FNV-1a of msg[start, start+length) lower-cased, with the policy number folded in. */
  static hash(msg: Uint8Array, start: number, length: number, policy: number): number {
    let h = Math.imul(0x811c9dc5 ^ policy, 0x01000193);
    for (let i = start, end = start + length; i < end; i++) {
      h = Math.imul(h ^ lower(msg[i] as number), 0x01000193);
    }
    return h >>> 0;
  }

  /** The entry of this name under this policy, or -1. */
  find(hash: number, msg: Uint8Array, start: number, length: number, policy: number): number {
    let slot = hash & this.mask;
    for (;;) {
      const stored = this.slots[slot] as number;
      if (stored === 0) return -1;
      const entry = stored - 1;
      if (
        this.hashes[entry] === hash &&
        this.lengths[entry] === length &&
        this.policies[entry] === policy &&
        this.sameName(entry, msg, start, length)
      )
        return entry;
      slot = (slot + 1) & this.mask;
    }
  }

  /**
   * A new entry for a name not in the table (find first), with nothing known about it; the
   * table is cleared first when full. -1 for a name longer than MAX_NAME_BYTES.
   */
  add(hash: number, msg: Uint8Array, start: number, length: number, policy: number): number {
    if (length > MAX_NAME_BYTES) return -1;
    if (this.count >= this.capacity || this.slabUsed + length > this.slab.length) this.clear();
    const entry = this.count++;
    const base = this.slabUsed;
    this.hashes[entry] = hash;
    this.starts[entry] = base;
    this.lengths[entry] = length;
    this.policies[entry] = policy;
    this.specials[entry] = UNKNOWN;
    for (let i = 0; i < length; i++) this.slab[base + i] = lower(msg[start + i] as number);
    this.slabUsed = base + length;
    this.verdicts[entry] = 0;
    for (let i = entry * ANSWER_SLOTS, end = i + ANSWER_SLOTS; i < end; i++)
      this.answers[i] = undefined;
    let slot = hash & this.mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
    this.slots[slot] = entry + 1;
    return entry;
  }

  /** Forgets every name (full, or the lists in force changed), and lets go of their facts. */
  clear(): void {
    if (this.count === 0) return; // untouched pages stay out of RSS
    this.slots.fill(0);
    this.verdictList.length = 0;
    this.answers.fill(undefined, 0, this.count * ANSWER_SLOTS);
    this.count = 0;
    this.slabUsed = 0;
  }

  special(entry: number): boolean | undefined {
    const s = this.specials[entry];
    return s === UNKNOWN ? undefined : s === SPECIAL;
  }

  setSpecial(entry: number, special: boolean): void {
    this.specials[entry] = special ? SPECIAL : NOT_SPECIAL;
  }

  verdict(entry: number): Verdict | undefined {
    const n = this.verdicts[entry] as number;
    return n === 0 ? undefined : this.verdictList[n - 1];
  }

  /** Kept unless 255 distinct verdicts are already (then asked again next time). */
  setVerdict(entry: number, verdict: Verdict): void {
    let n = this.verdictList.indexOf(verdict) + 1;
    if (n === 0) {
      if (this.verdictList.length === 255) return;
      n = this.verdictList.push(verdict);
    }
    this.verdicts[entry] = n;
  }

  answer(entry: number, slot: number): CachedAnswer | undefined {
    return this.answers[entry * ANSWER_SLOTS + slot];
  }

  setAnswer(entry: number, slot: number, answer: CachedAnswer | undefined): void {
    this.answers[entry * ANSWER_SLOTS + slot] = answer;
  }

  private sameName(entry: number, msg: Uint8Array, start: number, length: number): boolean {
    const base = this.starts[entry] as number;
    for (let i = 0; i < length; i++) {
      if (this.slab[base + i] !== lower(msg[start + i] as number)) return false;
    }
    return true;
  }
}
