/**
 * Generated lists for tests and benchmarks: random names under reserved TLDs only, from a
 * seeded generator so every run sees the same names.
 */
const TLDS = ['test', 'example', 'invalid'];

export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function label(random: () => number, min = 3, max = 12): string {
  const length = min + Math.floor(random() * (max - min + 1));
  let out = '';
  for (let i = 0; i < length; i++) out += String.fromCharCode(97 + Math.floor(random() * 26));
  return out;
}

/** `count` distinct names of 2 to 3 labels (mostly 2, as real lists are). */
export function generateDomains(count: number, seed = 1): string[] {
  const random = seededRandom(seed);
  const names = new Set<string>();
  while (names.size < count) {
    const tld = TLDS[Math.floor(random() * TLDS.length)] as string;
    const base = `${label(random)}${Math.floor(random() * 1e6)}.${tld}`;
    names.add(random() < 0.8 ? base : `${label(random, 2, 6)}.${base}`);
  }
  return [...names];
}

/** Queries of 2 to 6 labels: `hitRatio` of them under listed names, the rest unlisted. */
export function generateQueries(
  listed: string[],
  count: number,
  hitRatio: number,
  seed = 2,
): string[] {
  const random = seededRandom(seed);
  const queries: string[] = [];
  for (let i = 0; i < count; i++) {
    let base: string;
    if (random() < hitRatio) base = listed[Math.floor(random() * listed.length)] as string;
    else base = `${label(random)}-unlisted${i}.${TLDS[i % TLDS.length]}`;
    let name = base;
    const extra = Math.floor(random() * 5); // up to 6 labels in all
    for (let j = 0; j < extra && name.split('.').length < 6; j++)
      name = `${label(random, 1, 8)}.${name}`;
    queries.push(name);
  }
  return queries;
}
