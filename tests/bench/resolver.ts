/**
 * `npm run bench:resolver`: `kalkan serve` alone (from build/) with a generated 1,000,000-entry
 * list, upstream a local Unbound with local-data, beside a node:dgram echo server (a reference
 * for Node's plain UDP I/O, not a ceiling: Kalkan uses its batched addon).
 * Rounds of dnsperf (blocked names, cached names, the echo) and their medians: QPS and lost at
 * full speed, p50/p99 at half that rate; RSS and the time to the first answer. The servers,
 * dnsperf and the list are the side-by-side harness's (tests/bench/lib/); `npm run bench` adds
 * Unbound and dnsmasq. Everything on loopback, in a temp dir; every process is stopped at the end.
 */
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { generateDomains, seededRandom } from '../helpers/generated-list.js';
import { freePort } from '../helpers/ports.js';
import { tempDir } from '../helpers/resolver.js';
import { type LoadResult, latency, load } from './lib/dnsperf.js';
import { kalkanServer, prepareKalkan } from './lib/kalkan.js';
import { echoServer, upstreamUnbound } from './lib/peers.js';
import { type ServerProcess, startServer } from './lib/server-process.js';

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 1_000_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CACHED_NAMES = 1000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const NXDOMAIN = 3;

interface Run {
  label: string;
  load: LoadResult;
  p50ms: number;
  p99ms: number;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/** The run with the median QPS (its latencies and losses with it). */
const medianRun = (runs: Run[]) =>
  [...runs].sort((a, b) => a.load.qps - b.load.qps)[Math.floor(runs.length / 2)] as Run;

/** QPS and lost at full speed; p50/p99 at half that rate, so latency is not dnsperf's queue. */
async function measure(port: number, queryFile: string, label: string): Promise<Run> {
  const full = await load({ port, queryFile, seconds: SECONDS });
  const paced = await latency({
    port,
    queryFile,
    seconds: Math.max(2, SECONDS / 2),
    maxQps: Math.max(1000, Math.round(full.qps / 2)),
  });
  return { label, load: full, p50ms: paced.p50Ms, p99ms: paced.p99Ms };
}

async function main(): Promise<void> {
  const tmp = await tempDir('kalkan-bench-');
  const started: ServerProcess[] = [];
  try {
    console.log(`generating ${ENTRIES.toLocaleString('en')} names and building the bundle…`);
    const domains = generateDomains(ENTRIES);
    const cached = Array.from({ length: CACHED_NAMES }, (_, i) => `n${i}.cached.bench.test`);
    const kalkan = await prepareKalkan(tmp.dir, domains);

    const random = seededRandom(3);
    const blockedFile = join(tmp.dir, 'blocked.txt');
    const cachedFile = join(tmp.dir, 'cached.txt');
    const lines = (n: number, line: (i: number) => string) =>
      `${Array.from({ length: n }, (_, i) => line(i)).join('\n')}\n`;
    await writeFile(
      blockedFile,
      lines(200_000, () => `${domains[Math.floor(random() * domains.length)]} A`),
    );
    await writeFile(
      cachedFile,
      lines(200_000, (i) => `${cached[i % CACHED_NAMES]} A`),
    );

    const upstreamPort = await freePort();
    const upstream = await upstreamUnbound(tmp.dir, upstreamPort, cached);
    started.push(
      await startServer('upstream', upstream, upstreamPort, {
        name: cached[0] as string,
        rcode: 0,
      }),
    );
    const port = await freePort();
    const server = await startServer(
      'kalkan',
      await kalkanServer(kalkan, port, upstreamPort, 1),
      port,
      { name: kalkan.firstBlocked, rcode: NXDOMAIN },
    );
    started.push(server);
    const rssLoaded = server.rssBytes();
    await load({ port, queryFile: cachedFile, seconds: 2 }); // fills the cache

    const echoPort = await freePort();
    started.push(
      await startServer('echo', echoServer(echoPort), echoPort, { name: 'x.test', rcode: 0 }),
    );

    // Rounds of blocked, cached and echo side by side; the machine is shared, so medians.
    const rounds: { blocked: Run; cached: Run; echo: number }[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      rounds.push({
        blocked: await measure(port, blockedFile, 'blocked'),
        cached: await measure(port, cachedFile, 'cached'),
        echo: (await load({ port: echoPort, queryFile: cachedFile, seconds: SECONDS })).qps,
      });
    }
    const rssAfter = server.rssBytes();
    const blocked = medianRun(rounds.map((r) => r.blocked));
    const hits = medianRun(rounds.map((r) => r.cached));
    const dgramEcho = median(rounds.map((r) => r.echo));

    const mb = (b: number) => `${(b / 1048576).toFixed(0)} MB`;
    console.log(
      `\nkalkan serve, ${ENTRIES.toLocaleString('en')}-entry list, dnsperf ${SECONDS} s per run, loopback`,
    );
    console.log(
      `machine: ${cpus().length} cores, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} (shared with other work: quote ratios)`,
    );
    console.log(
      `start to first answer: ${server.startupMs.toFixed(0)} ms; RSS with the list: ${mb(rssLoaded)}, after the runs: ${mb(rssAfter)}`,
    );
    console.log('| queries | QPS | p50 ms | p99 ms | sent | lost | answers |');
    console.log('|---|---:|---:|---:|---:|---:|---|');
    for (const r of [blocked, hits]) {
      const answers = Object.entries(r.load.rcodes)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      console.log(
        `| ${r.label} | ${r.load.qps.toFixed(0)} | ${r.p50ms.toFixed(3)} | ${r.p99ms.toFixed(3)} | ${r.load.sent} | ${r.load.lost} | ${answers} |`,
      );
    }
    console.log(`| node:dgram echo (reference) | ${dgramEcho.toFixed(0)} | | | | | |`);
    console.log(
      `Medians of ${ROUNDS} rounds (each: blocked, cached, echo). QPS and lost at full speed; p50/p99 from a run at half that rate.`,
    );
    console.log(
      `ratios: blocked/dgram-echo ${(blocked.load.qps / dgramEcho).toFixed(2)}, cached/dgram-echo ${(hits.load.qps / dgramEcho).toFixed(2)}; all rounds: ${rounds
        .map(
          (r) =>
            `${r.blocked.load.qps.toFixed(0)}/${r.cached.load.qps.toFixed(0)}/${r.echo.toFixed(0)}`,
        )
        .join(', ')} (blocked/cached/echo QPS)`,
    );
  } finally {
    await Promise.all(started.map((s) => s.stop()));
    await tmp.remove();
  }
}

await main();
