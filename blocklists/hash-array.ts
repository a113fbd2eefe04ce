/**
 * A sorted array of 64-bit truncated hashes stored as [high, low] pairs of uint32. Membership is
 * a binary search over the pairs: no BigInt, no per-entry objects.
 */
export function containsHash(sorted: Uint32Array, high: number, low: number): boolean {
  let lo = 0;
  let hi = (sorted.length >>> 1) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const h = sorted[mid * 2] as number;
    const l = sorted[mid * 2 + 1] as number;
    if (h < high || (h === high && l < low)) lo = mid + 1;
    else if (h > high || l > low) hi = mid - 1;
    else return true;
  }
  return false;
}

/** Sorts [high, low] pairs in place and removes repeats; returns the used prefix. */
export function sortUniquePairs(pairs: Uint32Array): Uint32Array {
  const n = pairs.length >>> 1;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => {
    const d = (pairs[a * 2] as number) - (pairs[b * 2] as number);
    return d !== 0 ? d : (pairs[a * 2 + 1] as number) - (pairs[b * 2 + 1] as number);
  });
  const out = new Uint32Array(n * 2);
  let w = 0;
  for (const i of order) {
    const h = pairs[i * 2] as number;
    const l = pairs[i * 2 + 1] as number;
    if (w > 0 && out[w - 2] === h && out[w - 1] === l) continue;
    out[w++] = h;
    out[w++] = l;
  }
  return out.slice(0, w);
}
