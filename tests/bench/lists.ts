/**
 * `npm run bench:lists`: the list module on a generated 1,000,000-domain list, beside a plain
 * Set of strings walking the same suffixes. Prints medians of several runs.
 */
import { buildBundle, expressionsOf } from '../../blocklists/bundle/build.js';
import { type LoadedBundle, loadBundle } from '../../blocklists/bundle/load.js';
import { generateKeyPair } from '../../blocklists/keys.js';
import { Matcher } from '../../blocklists/matcher.js';
import { parseSource } from '../../blocklists/sources/parse.js';
import { nativeSha256 } from '../../resolver/lists/native-sha256.js';
import { generateDomains, generateQueries } from '../helpers/generated-list.js';

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 1_000_000);
const QUERIES = 500_000;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:lists does)');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** heap+external vs RSS counted apart: RSS alone hides typed arrays that are not yet touched. */
function heapAndRss() {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.external, rss: m.rss };
}

function lookupsPerSecond(lookup: (name: string) => unknown, queries: string[]): number {
  const start = performance.now();
  for (const q of queries) lookup(q);
  return queries.length / ((performance.now() - start) / 1000);
}

function setSuffixWalk(set: Set<string>, name: string): boolean {
  let i = 0;
  for (;;) {
    if (set.has(name.slice(i))) return true;
    const dot = name.indexOf('.', i);
    if (dot < 0) return false;
    i = dot + 1;
  }
}

async function main() {
  console.log(
    `generating ${ENTRIES.toLocaleString('en')} domains and ${QUERIES.toLocaleString('en')} queries (2-6 labels, half hits)`,
  );
  const domains = generateDomains(ENTRIES);
  const queries = generateQueries(domains, QUERIES, 0.5);
  const { secretKey, publicKey } = await generateKeyPair();
  const meta = {
    id: 'bench',
    name: 'bench',
    category: 'abuse',
    sequence: 1,
    created: new Date().toISOString(),
    expires: new Date(Date.now() + 86_400_000).toISOString(),
    licence: '',
  };
  // A publisher starts from a text list: parsing it is part of the build.
  const sourceText = `${domains.join('\n')}\n`;

  const buildTimes: number[] = [];
  let bytes: Uint8Array = new Uint8Array();
  for (let r = 0; r < Math.min(RUNS, 3); r++) {
    const t = performance.now();
    const expressions = expressionsOf(parseSource(sourceText, 'bench.txt').entries);
    bytes = await buildBundle(expressions, { meta, secretKey, sha256: nativeSha256 });
    buildTimes.push(performance.now() - t);
  }

  // Memory first, before timing loops leave garbage behind.
  const before = heapAndRss();
  const bundle: LoadedBundle = await loadBundle(bytes, { trustedKeys: [publicKey] });
  const uncached = new Matcher([bundle], { sha256: nativeSha256, cacheSize: 0 });
  uncached.match('warm.example');
  const after = heapAndRss();

  // The naive peer: a Set of the same names (fresh copies, as a loader would make), walking
  // every suffix.
  const setBefore = heapAndRss();
  const set = new Set<string>(JSON.parse(JSON.stringify(domains)));
  const setAfter = heapAndRss();

  const loadTimes: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    await loadBundle(bytes, { trustedKeys: [publicKey] });
    loadTimes.push(performance.now() - t);
  }

  const uncachedRates: number[] = [];
  const cachedRates: number[] = [];
  const cached = new Matcher([bundle], { sha256: nativeSha256, cacheSize: 100_000 });
  const repeated = queries.slice(0, 50_000);
  for (let r = 0; r < RUNS; r++) {
    uncachedRates.push(lookupsPerSecond((q) => uncached.match(q), queries));
    cachedRates.push(lookupsPerSecond((q) => cached.match(q), repeated));
  }
  const hits = queries.filter((q) => uncached.match(q).blocked).length;

  const setRates: number[] = [];
  for (let r = 0; r < RUNS; r++)
    setRates.push(lookupsPerSecond((q) => setSuffixWalk(set, q), queries));
  const setHits = queries.filter((q) => setSuffixWalk(set, q)).length;
  if (setHits !== hits) throw new Error(`matcher found ${hits} hits, the Set found ${setHits}`);

  const perEntry = (a: number, b: number) => ((b - a) / ENTRIES).toFixed(2);
  const rows: [string, string, string][] = [
    ['parse text + build + sign (median ms)', median(buildTimes).toFixed(0), '-'],
    ['bundle bytes per entry', (bytes.length / ENTRIES).toFixed(2), '-'],
    ['load + verify (median ms)', median(loadTimes).toFixed(1), '-'],
    [
      'heap growth per entry (B)',
      perEntry(before.heap, after.heap),
      perEntry(setBefore.heap, setAfter.heap),
    ],
    [
      'RSS growth per entry (B)',
      perEntry(before.rss, after.rss),
      perEntry(setBefore.rss, setAfter.rss),
    ],
    ['uncached lookups/s (median)', median(uncachedRates).toFixed(0), median(setRates).toFixed(0)],
    ['cached lookups/s (median)', median(cachedRates).toFixed(0), '-'],
  ];
  console.log(`\nhits: ${hits} of ${queries.length} queries\n`);
  console.log(`| figure | kalkan matcher | Set<string> peer |\n|---|---|---|`);
  for (const [name, ours, peer] of rows) console.log(`| ${name} | ${ours} | ${peer} |`);
  console.log(
    `\nratio uncached lookups/s matcher/Set: ${(median(uncachedRates) / median(setRates)).toFixed(2)}`,
  );
}

await main();
