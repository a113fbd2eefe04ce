/**
 * `node --import tsx tests/bench/memory.ts` (issue 12): Kalkan's resident memory as the
 * benchmark's mixes run one after another (repeated blocked and cached names, then 1,000,000
 * distinct blocked names, then 1,000,000 distinct names half forwarded), read from /proc after
 * each, with the name table's hit rate. For choosing `memory.namesSeen` and `cache.maxEntries`
 * and trying V8 flags (`NODE_OPTIONS` reaches the server); `npm run bench` is the comparison.
 * `--entries=N` list size (100,000), `--seconds=N` per mix (5), `--config='yaml lines'` added
 * to the server's config (e.g. `--config='memory: {namesSeen: 65536}'`).
 */
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDomains } from '../helpers/generated-list.js';
import { freePort } from '../helpers/ports.js';
import { load } from './lib/dnsperf.js';
import { kalkanServer, nameTableCounts, prepareKalkan } from './lib/kalkan.js';
import { upstreamUnbound, WIDE_ZONE } from './lib/peers.js';
import { type ServerProcess, startServer } from './lib/server-process.js';

const option = (name: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const ENTRIES = Number(option('entries') ?? 100_000);
const SECONDS = Number(option('seconds') ?? 5);
const EXTRA_CONFIG = option('config');
const WIDE_NAMES = 1_000_000;

const mb = (bytes: number) => (bytes / 1048576).toFixed(1);

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'kalkan-memory-'));
  const started: ServerProcess[] = [];
  try {
    const blocked = generateDomains(ENTRIES);
    const allowed = Array.from({ length: 1000 }, (_, i) => `allowed${i}.bench.test`);
    const pick = (list: string[], i: number) => list[(i * 7919) % list.length] as string;
    const listedWide = (i: number) =>
      `a${Math.floor(i / blocked.length)}.${blocked[i % blocked.length] as string}`;
    const mixes: Record<string, string[]> = {
      blocked: Array.from(
        { length: 100_000 },
        (_, i) => `${i % 3 === 0 ? 'www.' : ''}${pick(blocked, i)} A`,
      ),
      cached: Array.from({ length: 100_000 }, (_, i) => `${pick(allowed, i)} A`),
      blocked_wide: Array.from({ length: WIDE_NAMES }, (_, i) => `${listedWide(i)} A`),
      wide_mix: Array.from({ length: WIDE_NAMES }, (_, i) =>
        i % 2 ? `${listedWide(i)} A` : `u${i}.${WIDE_ZONE} A`,
      ),
    };
    const files: Record<string, string> = {};
    for (const [name, lines] of Object.entries(mixes)) {
      files[name] = join(dir, `${name}.txt`);
      await writeFile(files[name], `${lines.join('\n')}\n`);
    }
    const upstreamPort = await freePort();
    started.push(
      await startServer(
        'upstream',
        await upstreamUnbound(dir, upstreamPort, allowed),
        upstreamPort,
        {
          name: 'allowed1.bench.test',
          rcode: 0,
        },
      ),
    );
    const setup = await prepareKalkan(dir, blocked);
    const port = await freePort();
    const launch = await kalkanServer(setup, port, upstreamPort, 1);
    if (EXTRA_CONFIG) await appendFile(join(dir, `kalkan-${port}.yaml`), `${EXTRA_CONFIG}\n`);
    const kalkan = await startServer('kalkan', launch, port, {
      name: blocked[0] as string,
      rcode: 3,
    });
    started.push(kalkan);
    console.log(
      `list ${ENTRIES}, ${SECONDS} s per mix, NODE_OPTIONS=${process.env.NODE_OPTIONS ?? ''}, config: ${EXTRA_CONFIG ?? '-'}`,
    );
    console.log(`loaded: RSS ${mb(kalkan.rssBytes())} MB, peak ${mb(kalkan.peakRssBytes())} MB`);
    // The status server starts after the first answer.
    for (let i = 0; ; i++) {
      try {
        await nameTableCounts(launch.statusPort);
        break;
      } catch (error) {
        if (i === 100) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    for (const mix of ['cached', 'blocked', 'cached', 'blocked_wide', 'wide_mix', 'blocked']) {
      const before = await nameTableCounts(launch.statusPort);
      const cpuBefore = kalkan.cpuSeconds();
      const result = await load({ port, queryFile: files[mix] as string, seconds: SECONDS });
      const after = await nameTableCounts(launch.statusPort);
      const hits = after.hits - before.hits;
      const rate = hits / (hits + after.misses - before.misses);
      const cpu = ((kalkan.cpuSeconds() - cpuBefore) / result.completed) * 1e6;
      console.log(
        `${mix}: ${result.qps.toFixed(0)} QPS, ${cpu.toFixed(1)} µs CPU/query, hit rate ${rate.toFixed(3)}, RSS ${mb(kalkan.rssBytes())} MB, peak ${mb(kalkan.peakRssBytes())} MB`,
      );
    }
  } finally {
    await Promise.all(started.map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
