/**
 * `npm run bench:lists`: first the publisher's build through the CLI (`kalkan lists build` on
 * one generated hosts file of 1M, 5M and 10M lines: time and peak RSS of the child, and how they
 * grow; the fastest of BENCH_BUILD_RUNS builds, 2 by default); then the list module on the
 * 1,000,000-entry bundle that build made, beside a plain Set of strings walking the same
 * suffixes. Prints medians of several runs.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LoadedBundle, loadBundle } from '../../blocklists/bundle/load.js';
import { decodePublicKey } from '../../blocklists/keys.js';
import { Matcher } from '../../blocklists/matcher.js';
import { nativeSha256 } from '../../resolver/lists/native-sha256.js';
import { generateQueries, seededRandom } from '../helpers/generated-list.js';
import { KALKAN, runKalkan } from '../helpers/kalkan-process.js';

const MILLION = 1_000_000;
/** Lines of each generated source, smallest first; the smallest one is also the matcher's list. */
const SCALES = (process.env.BENCH_LIST_LINES ?? '1000000,5000000,10000000').split(',').map(Number);
const ENTRIES = SCALES[0] ?? MILLION;
const QUERIES = 500_000;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** Builds of each size: the fastest time and the largest peak RSS are kept (noise only slows). */
const BUILD_RUNS = Number(process.env.BENCH_BUILD_RUNS ?? 2);
const GIB = 2 ** 30;

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

const TLDS = ['test', 'example', 'invalid'];

/**
 * The names of a generated list, in file order: a random label, the line number (so every name
 * is new) and a reserved TLD; one in five under a further random label, as in real lists.
 */
function* generatedNames(count: number): Generator<string> {
  const random = seededRandom(7);
  const label = (min: number, max: number) => {
    let out = '';
    const length = min + Math.floor(random() * (max - min + 1));
    for (let i = 0; i < length; i++) out += String.fromCharCode(97 + Math.floor(random() * 26));
    return out;
  };
  for (let i = 0; i < count; i++) {
    const base = `${label(3, 12)}${i.toString(36)}.${TLDS[i % TLDS.length]}`;
    yield random() < 0.8 ? base : `${label(2, 6)}.${base}`;
  }
}

async function writeHostsFile(file: string, lines: number): Promise<void> {
  const out = createWriteStream(file);
  out.write('# generated hosts file: reserved names only\n'.repeat(100));
  let batch = '';
  let inBatch = 0;
  for (const name of generatedNames(lines)) {
    batch += `0.0.0.0 ${name}\n`;
    if (++inBatch === 10_000) {
      if (!out.write(batch)) await once(out, 'drain');
      batch = '';
      inBatch = 0;
    }
  }
  out.end(batch);
  await once(out, 'finish');
}

/** Loaded into the child: writes its own peak RSS (getrusage maxrss, KiB) to a file at exit. */
const REPORT_MAX_RSS =
  'data:text/javascript,import{writeFileSync}from"node:fs";process.on("exit",()=>' +
  'writeFileSync(process.env.KALKAN_BENCH_RSS_FILE,String(process.resourceUsage().maxRSS)))';

interface CliBuild {
  lines: number;
  seconds: number;
  peakRssBytes: number;
  stdout: string;
}

/** `kalkan lists build` on one file, as a publisher runs it, timed from spawn to exit. */
async function cliBuild(dir: string, source: string, lines: number, out: string) {
  const rssFile = join(dir, 'rss');
  const start = performance.now();
  const child = spawn(
    process.execPath,
    [
      `--import=${REPORT_MAX_RSS}`,
      KALKAN,
      'lists',
      'build',
      source,
      '--id',
      'bench',
      '--category',
      'abuse',
      '--sequence',
      '1',
      '--key',
      join(dir, 'keys/publisher.key'),
      '-o',
      out,
    ],
    { env: { ...process.env, KALKAN_BENCH_RSS_FILE: rssFile }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d;
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d;
  });
  const [code] = (await once(child, 'close')) as [number | null];
  const seconds = (performance.now() - start) / 1000;
  if (code !== 0) throw new Error(`kalkan lists build exited ${code}: ${stderr}`);
  if (!stdout.includes(`${lines} block`)) throw new Error(`unexpected count: ${stdout}`);
  const peakRssBytes = Number(await readFile(rssFile, 'utf8')) * 1024;
  return { lines, seconds, peakRssBytes, stdout: stdout.trim() } satisfies CliBuild;
}

/** The CLI builds at every scale; returns the path of the smallest one's bundle. */
async function cliScale(dir: string): Promise<string> {
  const builds: CliBuild[] = [];
  let firstBundle = '';
  for (const lines of SCALES) {
    const source = join(dir, `list-${lines}.hosts.txt`);
    const bundle = join(dir, `list-${lines}.klb`);
    await writeHostsFile(source, lines);
    let build = await cliBuild(dir, source, lines, bundle);
    for (let r = 1; r < BUILD_RUNS; r++) {
      const again = await cliBuild(dir, source, lines, bundle);
      build = {
        ...build,
        seconds: Math.min(build.seconds, again.seconds),
        peakRssBytes: Math.max(build.peakRssBytes, again.peakRssBytes),
      };
    }
    await rm(source);
    if (lines === ENTRIES) firstBundle = bundle;
    else await rm(bundle);
    builds.push(build);
    console.log(
      `built ${lines.toLocaleString('en')} lines: ${build.seconds.toFixed(1)} s, peak RSS ${(build.peakRssBytes / 2 ** 20).toFixed(0)} MiB`,
    );
  }
  const base = builds.find((b) => b.lines === MILLION);
  console.log('\n| lines in one file | build time | peak RSS | time ÷ 1M | RSS ÷ 1M |');
  console.log('|---|---|---|---|---|');
  for (const b of builds) {
    const ratio = (x: number, y: number | undefined) => (y ? (x / y).toFixed(2) : '-');
    console.log(
      `| ${b.lines.toLocaleString('en')} | ${b.seconds.toFixed(1)} s | ${(b.peakRssBytes / 2 ** 20).toFixed(0)} MiB | ${ratio(b.seconds, base?.seconds)} | ${ratio(b.peakRssBytes, base?.peakRssBytes)} |`,
    );
  }
  const five = builds.find((b) => b.lines === 5 * MILLION);
  const ten = builds.find((b) => b.lines === 10 * MILLION);
  if (base && five) {
    const ok = five.seconds <= 5.5 * base.seconds && five.peakRssBytes <= 5.5 * base.peakRssBytes;
    console.log(`target 5M ≤ 5.5 × 1M in time and memory: ${ok ? 'met' : 'NOT met'}`);
  }
  if (ten) {
    console.log(
      `target peak RSS ≤ 2 GiB at 10M: ${ten.peakRssBytes <= 2 * GIB ? 'met' : 'NOT met'}`,
    );
  }
  return firstBundle;
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'kalkan-bench-lists-'));
  try {
    if ((await runKalkan(['lists', 'keygen', '--out', join(dir, 'keys')])).code !== 0) {
      throw new Error('kalkan lists keygen failed');
    }
    const bundlePath = await cliScale(dir);
    await matcherFigures(bundlePath, join(dir, 'keys/publisher.pub'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function matcherFigures(bundlePath: string, publicKeyPath: string) {
  console.log(
    `\nthe ${ENTRIES.toLocaleString('en')}-entry bundle built above, and ${QUERIES.toLocaleString('en')} queries (2-6 labels, half hits)`,
  );
  const domains = [...generatedNames(ENTRIES)];
  const queries = generateQueries(domains, QUERIES, 0.5);
  const publicKey = decodePublicKey(await readFile(publicKeyPath, 'utf8'), publicKeyPath);
  const file = await readFile(bundlePath);
  const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
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
