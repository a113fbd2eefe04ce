/**
 * A bundle's entries as they are read: for each one only its 64-bit entry hash, its filter hash
 * and its label bit, in typed arrays that grow by doubling. A list of millions of names is never
 * held as strings; repeats are dropped when the hashes are sorted.
 */
import { entryHash, filterHash, type Sha256 } from '../hash.js';
import { labelBit, URL_MASK_BIT } from './layout.js';

/** Sorted unique entries of one kind, ready to write. */
export interface HashedEntries {
  /** [high, low] pairs in ascending order. */
  pairs: Uint32Array;
  filterHashes: Uint32Array;
  labelMask: number;
  /** Some entry is an exact-name expression. */
  hasExact: boolean;
}

const INITIAL_CAPACITY = 1024;

export class EntryHashes {
  private pairs = new Uint32Array(INITIAL_CAPACITY * 2);
  private filters = new Uint32Array(INITIAL_CAPACITY);
  /** Label count of a domain expression (capped), 0 for a URL expression. */
  private labels = new Uint8Array(INITIAL_CAPACITY);
  private count = 0;
  private hasExact = false;
  private readonly withdrawn: number[] = [];
  private readonly scratch = new Uint32Array(2);

  constructor(private readonly sha256: Sha256) {}

  add(expression: string): void {
    if (this.count === this.filters.length) this.grow();
    entryHash(this.sha256, expression, this.pairs, this.count * 2);
    this.filters[this.count] = filterHash(expression);
    this.labels[this.count] = labelsOf(expression);
    if (isExactExpression(expression)) this.hasExact = true;
    this.count++;
  }

  /** Takes the expression out, however often it was or will be added. */
  withdraw(expression: string): void {
    entryHash(this.sha256, expression, this.scratch, 0);
    this.withdrawn.push(this.scratch[0] as number, this.scratch[1] as number);
  }

  finish(): HashedEntries {
    const order = radixOrder(this.pairs, this.count);
    const withdrawn = new Set(
      Array.from({ length: this.withdrawn.length / 2 }, (_, i) =>
        pairKey(this.withdrawn[i * 2] as number, this.withdrawn[i * 2 + 1] as number),
      ),
    );
    const pairs = new Uint32Array(this.count * 2);
    const filterHashes = new Uint32Array(this.count);
    let labelMask = 0;
    let kept = 0;
    for (const i of order) {
      const high = this.pairs[i * 2] as number;
      const low = this.pairs[i * 2 + 1] as number;
      if (kept > 0 && pairs[kept * 2 - 2] === high && pairs[kept * 2 - 1] === low) continue;
      if (withdrawn.size > 0 && withdrawn.has(pairKey(high, low))) continue;
      pairs[kept * 2] = high;
      pairs[kept * 2 + 1] = low;
      filterHashes[kept] = this.filters[i] as number;
      const labels = this.labels[i] as number;
      labelMask |= labels === 0 ? URL_MASK_BIT : labelBit(labels);
      kept++;
    }
    // One finish per build: the growing arrays go now, before the bundle's bytes are made.
    this.pairs = new Uint32Array(0);
    this.filters = new Uint32Array(0);
    this.labels = new Uint8Array(0);
    this.count = 0;
    return {
      pairs: pairs.subarray(0, kept * 2),
      filterHashes: filterHashes.subarray(0, kept),
      labelMask: labelMask >>> 0,
      hasExact: this.hasExact,
    };
  }

  private grow(): void {
    const capacity = this.filters.length * 2;
    const pairs = new Uint32Array(capacity * 2);
    pairs.set(this.pairs);
    this.pairs = pairs;
    const filters = new Uint32Array(capacity);
    filters.set(this.filters);
    this.filters = filters;
    const labels = new Uint8Array(capacity);
    labels.set(this.labels);
    this.labels = labels;
  }
}

const pairKey = (high: number, low: number) => high * 2 ** 32 + low;

/** Domain expressions are `host/`; anything with more after the first slash is URL-level. */
export function isDomainExpression(expression: string): boolean {
  return expression.indexOf('/') === expression.length - 1;
}

/** An exact-name expression is a bare host: it holds no `/` at all. */
export function isExactExpression(expression: string): boolean {
  return !expression.includes('/');
}

/** Label count of a domain or exact expression (capped), 0 for a URL expression. */
function labelsOf(expression: string): number {
  if (!isDomainExpression(expression) && !isExactExpression(expression)) return 0;
  let labels = 1;
  for (let i = expression.indexOf('.'); i >= 0; i = expression.indexOf('.', i + 1)) labels++;
  return Math.min(labels, 255);
}

/**
 * The indexes 0..count-1 ordered by their [high, low] pair: a least-significant-digit radix
 * sort, 16 bits a pass, so time grows linearly with the list (a comparison sort does not).
 */
function radixOrder(pairs: Uint32Array, count: number): Uint32Array {
  let order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  let next = new Uint32Array(count);
  const starts = new Uint32Array(65_537);
  for (const [word, shift] of [
    [1, 0],
    [1, 16],
    [0, 0],
    [0, 16],
  ] as const) {
    starts.fill(0);
    for (let i = 0; i < count; i++) {
      const digit = ((pairs[i * 2 + word] as number) >>> shift) & 0xffff;
      starts[digit + 1] = (starts[digit + 1] as number) + 1;
    }
    for (let d = 1; d <= 65_536; d++) starts[d] = (starts[d] as number) + (starts[d - 1] as number);
    for (let i = 0; i < count; i++) {
      const index = order[i] as number;
      const digit = ((pairs[index * 2 + word] as number) >>> shift) & 0xffff;
      next[starts[digit] as number] = index;
      starts[digit] = (starts[digit] as number) + 1;
    }
    [order, next] = [next, order];
  }
  return order;
}
