/**
 * `npm run bench:resolver`: dnsperf against `kalkan serve` (from build/) holding a generated
 * 1,000,000-entry list, upstream a local Unbound with local-data. Prints QPS, p50/p99 latency and
 * lost queries for blocked names and for cached names, plus RSS and time to the first answer.
 * Everything on loopback, in a temp dir; every process is stopped at the end.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { buildBundle } from '../../blocklists/bundle/build.js';
import { domainExpression } from '../../blocklists/canonical/url.js';
import { encodePublicKey, generateKeyPair } from '../../blocklists/keys.js';
import { nativeSha256 } from '../../resolver/lists/native-sha256.js';
import { generateDomains, seededRandom } from '../helpers/generated-list.js';
import { freePort } from '../helpers/ports.js';
import {
  dig,
  KALKAN,
  rssOf,
  startUnbound,
  statusOf,
  stopChild,
  tempDir,
  waitFor,
} from '../helpers/resolver.js';

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 1_000_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CACHED_NAMES = 1000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** The run with the median QPS (its latencies and losses with it). */
function medianRun(runs: Run[]): Run {
  const sorted = [...runs].sort((a, b) => a.qps - b.qps);
  return sorted[Math.floor(sorted.length / 2)] as Run;
}

interface Run {
  label: string;
  qps: number;
  p50ms: number;
  p99ms: number;
  sent: number;
  lost: number;
  rcodes: Record<string, number>;
}

/**
 * One dnsperf run. QPS and lost queries come from a run at full speed (-v would cost the shared
 * CPU a line per answer); p50/p99 from a second, shorter run with -v at half that rate, so the
 * latency is the server's and not the length of dnsperf's own queue.
 */
async function dnsperf(port: number, file: string, seconds: number, label: string): Promise<Run> {
  const full = await runDnsperf(port, file, seconds, []);
  const paced = await runDnsperf(port, file, Math.max(2, seconds / 2), [
    '-v',
    '-Q',
    String(Math.max(1000, Math.round(full.qps / 2))),
  ]);
  const latencies = paced.latencies.sort((a, b) => a - b);
  const pick = (q: number) => (latencies[Math.floor(q * (latencies.length - 1))] ?? 0) * 1000;
  return {
    label,
    qps: full.qps,
    p50ms: pick(0.5),
    p99ms: pick(0.99),
    sent: full.sent,
    lost: full.lost,
    rcodes: paced.rcodes,
  };
}

async function runDnsperf(port: number, file: string, seconds: number, extra: string[]) {
  const child = spawn(
    'dnsperf',
    ['-s', '127.0.0.1', '-p', String(port), '-d', file, '-l', String(seconds), ...extra],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const latencies: number[] = [];
  const rcodes: Record<string, number> = {};
  let summary = '';
  for await (const line of createInterface({ input: child.stdout })) {
    if (line.startsWith('> ')) {
      const parts = line.split(' ');
      const rcode = parts[1] as string;
      rcodes[rcode] = (rcodes[rcode] ?? 0) + 1;
      latencies.push(Number(parts[parts.length - 1]));
    } else summary += `${line}\n`;
  }
  const num = (re: RegExp) => Number(re.exec(summary)?.[1] ?? Number.NaN);
  return {
    qps: num(/Queries per second:\s+([\d.]+)/),
    sent: num(/Queries sent:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    latencies,
    rcodes,
  };
}

/** A Node UDP echo server: the ceiling no Node DNS server passes on this machine right now. */
const ECHO = `const s=require('node:dgram').createSocket('udp4');s.on('message',(m,r)=>{m[2]|=0x80;s.send(m,r.port,r.address)});s.bind(+process.argv[1],'127.0.0.1',()=>console.log('up'))`;

async function main(): Promise<void> {
  const tmp = await tempDir('kalkan-bench-');
  const children: ChildProcess[] = [];
  let stopUnbound: (() => Promise<void>) | undefined;
  try {
    console.log(`generating ${ENTRIES.toLocaleString('en')} names and building the bundle…`);
    const domains = generateDomains(ENTRIES);
    const { secretKey, publicKey } = await generateKeyPair();
    const now = new Date();
    const bundle = await buildBundle(
      { block: domains.map(domainExpression), allow: [] },
      {
        meta: {
          id: 'bench-1m',
          name: 'bench',
          category: 'abuse',
          sequence: 1,
          created: now.toISOString(),
          expires: new Date(now.getTime() + 86_400_000).toISOString(),
          licence: 'generated',
        },
        secretKey,
        plaintext: false,
        sha256: nativeSha256,
      },
    );
    const listFile = join(tmp.dir, 'bench.klb');
    const keyFile = join(tmp.dir, 'bench.pub');
    await writeFile(listFile, bundle);
    await writeFile(keyFile, encodePublicKey(publicKey));
    console.log(`bundle: ${(bundle.length / 1e6).toFixed(1)} MB`);

    const cached = Array.from({ length: CACHED_NAMES }, (_, i) => `n${i}.cached.example`);
    const unbound = await startUnbound(
      tmp.dir,
      cached.map((n, i) => `${n}. 3600 IN A 192.0.2.${i % 250}`),
      ['cached.example.'],
    );
    stopUnbound = unbound.stop;

    const random = seededRandom(3);
    const blockedFile = join(tmp.dir, 'blocked.txt');
    const cachedFile = join(tmp.dir, 'cached.txt');
    await writeFile(
      blockedFile,
      Array.from(
        { length: 200_000 },
        () => `${domains[Math.floor(random() * domains.length)]} A`,
      ).join('\n'),
    );
    await writeFile(
      cachedFile,
      Array.from({ length: 200_000 }, (_, i) => `${cached[i % CACHED_NAMES]} A`).join('\n'),
    );

    const port = await freePort();
    const configFile = join(tmp.dir, 'kalkan.yaml');
    await writeFile(
      configFile,
      stringify({
        listen: [`127.0.0.1:${port}`],
        upstreams: [`127.0.0.1:${unbound.port}`],
        lists: [{ file: listFile }],
        trust: [keyFile],
        dataDir: join(tmp.dir, 'data'),
        rateLimit: { perSecond: 0 },
        status: null,
        logLevel: 'warn',
      }),
    );
    const started = performance.now();
    const kalkan = spawn(process.execPath, [KALKAN, 'serve', '--config', configFile], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(kalkan);
    const probe = cached[0] as string;
    await waitFor(
      async () => statusOf(await dig(port, probe, 'A', ['+time=1'])) === 'NOERROR',
      60_000,
    );
    const startupMs = performance.now() - started;
    const rssLoaded = await rssOf(kalkan.pid as number);

    await dnsperf(port, cachedFile, 2, 'warm-up'); // fills the cache

    const echoPort = await freePort();
    const echo = spawn(process.execPath, ['-e', ECHO, String(echoPort)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(echo);
    await new Promise((r) => echo.stdout?.once('data', r));

    // Rounds of blocked, cached and echo side by side; the machine is shared, so medians.
    const rounds: { blocked: Run; cached: Run; echo: number }[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      rounds.push({
        blocked: await dnsperf(port, blockedFile, SECONDS, 'blocked'),
        cached: await dnsperf(port, cachedFile, SECONDS, 'cached'),
        echo: (await runDnsperf(echoPort, cachedFile, SECONDS, [])).qps,
      });
    }
    const rssAfter = await rssOf(kalkan.pid as number);
    const blocked = medianRun(rounds.map((r) => r.blocked));
    const hits = medianRun(rounds.map((r) => r.cached));
    const ceiling = median(rounds.map((r) => r.echo));

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
      `start to first answer: ${startupMs.toFixed(0)} ms; RSS with the list: ${mb(rssLoaded)}, after the runs: ${mb(rssAfter)}`,
    );
    console.log('| queries | QPS | p50 ms | p99 ms | sent | lost | answers |');
    console.log('|---|---:|---:|---:|---:|---:|---|');
    for (const r of [blocked, hits]) {
      console.log(
        `| ${r.label} | ${r.qps.toFixed(0)} | ${r.p50ms.toFixed(3)} | ${r.p99ms.toFixed(3)} | ${r.sent} | ${r.lost} | ${Object.entries(
          r.rcodes,
        )
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')} |`,
      );
    }
    console.log(`| Node UDP echo (ceiling) | ${ceiling.toFixed(0)} | | | | | |`);
    console.log(
      `Medians of ${ROUNDS} rounds (each: blocked, cached, echo). QPS and lost at full speed; p50/p99 and answers from a run at half that rate.`,
    );
    console.log(
      `ratios: blocked/echo ${(blocked.qps / ceiling).toFixed(2)}, cached/echo ${(hits.qps / ceiling).toFixed(2)}; all rounds: ${rounds
        .map((r) => `${r.blocked.qps.toFixed(0)}/${r.cached.qps.toFixed(0)}/${r.echo.toFixed(0)}`)
        .join(', ')} (blocked/cached/echo QPS)`,
    );
  } finally {
    await Promise.all(children.map(stopChild));
    await stopUnbound?.();
    await tmp.remove();
  }
}

await main();
