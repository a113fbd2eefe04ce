/**
 * A bounded cache keyed by a question name's wire bytes (compared case-insensitively) and a
 * policy number, so the UDP fast path finds a name's verdict without building a string or
 * allocating: FNV-1a over the lower-cased bytes, open addressing in typed arrays, every name
 * (at most 64 wire bytes) kept in one slab. When full it is cleared whole: it is only a cache.
 */
import { lower } from '../dns/name.js';

export const MAX_NAME_BYTES = 64;

export class NameTable<V> {
  private readonly slots: Int32Array; // entry index + 1; 0 is empty
  private readonly mask: number;
  private readonly hashes: Uint32Array;
  private readonly lengths: Uint8Array;
  private readonly policies: Uint8Array;
  private readonly slab: Uint8Array;
  private readonly values: V[] = []; // grows as entries are added: no 1 MB array up front
  private count = 0;

  /** `capacity` entries; the slot array is the next power of two at least twice that. */
  constructor(readonly capacity: number) {
    let slots = 2;
    while (slots < capacity * 2) slots *= 2;
    this.slots = new Int32Array(slots);
    this.mask = slots - 1;
    this.hashes = new Uint32Array(capacity);
    this.lengths = new Uint8Array(capacity);
    this.policies = new Uint8Array(capacity);
    this.slab = new Uint8Array(capacity * MAX_NAME_BYTES);
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

  get(hash: number, msg: Uint8Array, start: number, length: number, policy: number): V | undefined {
    const entry = this.find(hash, msg, start, length, policy);
    return entry < 0 ? undefined : this.values[entry];
  }

  set(hash: number, msg: Uint8Array, start: number, length: number, policy: number, value: V) {
    if (length > MAX_NAME_BYTES) return;
    const found = this.find(hash, msg, start, length, policy);
    if (found >= 0) {
      this.values[found] = value;
      return;
    }
    if (this.count >= this.capacity) this.clear();
    const entry = this.count++;
    this.hashes[entry] = hash;
    this.lengths[entry] = length;
    this.policies[entry] = policy;
    const base = entry * MAX_NAME_BYTES;
    for (let i = 0; i < length; i++) this.slab[base + i] = lower(msg[start + i] as number);
    this.values.push(value);
    let slot = hash & this.mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
    this.slots[slot] = entry + 1;
  }

  clear(): void {
    if (this.count === 0) return; // untouched pages stay out of RSS
    this.slots.fill(0);
    this.values.length = 0;
    this.count = 0;
  }

  private find(hash: number, msg: Uint8Array, start: number, length: number, policy: number) {
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

  private sameName(entry: number, msg: Uint8Array, start: number, length: number): boolean {
    const base = entry * MAX_NAME_BYTES;
    for (let i = 0; i < length; i++) {
      if (this.slab[base + i] !== lower(msg[start + i] as number)) return false;
    }
    return true;
  }
}
