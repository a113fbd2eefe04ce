/**
 * Kalkan under benchmark, on the user's path: the list built from its text by `kalkan lists
 * build` (timed: it counts in Kalkan's start-up, as parsing the text counts in every peer's),
 * the server started from the build, and the reload test (lists that differ swapped while
 * dnsperf runs, lost queries counted).
 */
import { execFile } from 'node:child_process';
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KALKAN } from '../../helpers/kalkan-process.js';
import { freePort } from '../../helpers/ports.js';
import { load } from './dnsperf.js';
import { firstAnswer, type Launch, startServer } from './server-process.js';

const run = promisify(execFile);
const RELOADS = 5;
/** Names each reload's list drops and adds: every swap changes the list. */
const CHANGED_PER_RELOAD = 1_000;

export interface KalkanSetup {
  dir: string;
  listFile: string;
  trustFile: string;
  firstBlocked: string;
  /** `kalkan lists build` from the text list to the signed bundle, in milliseconds. */
  buildMs: number;
  /** Lost plus SERVFAIL answers while the list is swapped under a steady load of `qps`. */
  reloadUnderLoad(
    upstreamPort: number,
    queryFile: string,
    seconds: number,
    qps: number,
  ): Promise<number>;
}

/**
 * `kalkan lists build` of a text list, signed with DIR/publisher.key (`kalkan lists keygen
 * --out DIR`); the milliseconds it took.
 */
export async function buildListFromText(
  dir: string,
  names: string[],
  sequence: number,
  out: string,
  options: { id?: string; plaintext?: boolean } = {},
): Promise<number> {
  const source = join(dir, `${options.id ?? 'bench'}-${sequence}.txt`);
  await writeFile(source, `${names.join('\n')}\n`);
  const started = performance.now();
  await run(
    process.execPath,
    [
      KALKAN,
      'lists',
      'build',
      source,
      '--id',
      options.id ?? 'bench',
      '--category',
      'abuse',
      '--sequence',
      String(sequence),
      '--key',
      join(dir, 'publisher.key'),
      ...(options.plaintext ? ['--plaintext'] : []),
      '-o',
      out,
    ],
    { maxBuffer: 1 << 24 },
  );
  return performance.now() - started;
}

export async function prepareKalkan(dir: string, blocked: string[]): Promise<KalkanSetup> {
  await run(process.execPath, [KALKAN, 'lists', 'keygen', '--out', dir]);
  const listFile = join(dir, 'bench.klb');
  const buildMs = await buildListFromText(dir, blocked, 1, listFile);
  const setup: KalkanSetup = {
    dir,
    listFile,
    trustFile: join(dir, 'publisher.pub'),
    firstBlocked: blocked[0] as string,
    buildMs,
    async reloadUnderLoad(upstreamPort, queryFile, seconds, qps) {
      // Sequences 2, 3, …: each drops a slice of the first list and adds names of its own.
      const nextBundles: { file: string; added: string }[] = [];
      for (let s = 2; s <= RELOADS + 1; s++) {
        const added = Array.from(
          { length: CHANGED_PER_RELOAD },
          (_, i) => `r${s}n${i}.reload.test`,
        );
        const names = [
          ...blocked.slice(0, (s - 2) * CHANGED_PER_RELOAD),
          ...blocked.slice((s - 1) * CHANGED_PER_RELOAD),
          ...added,
        ];
        const file = join(dir, `bench-${s}.klb`);
        await buildListFromText(dir, names, s, file);
        nextBundles.push({ file, added: added[0] as string });
      }
      const port = await freePort();
      const server = await startServer(
        'kalkan-reload',
        await kalkanServer(setup, port, upstreamPort, 1),
        port,
        { name: setup.firstBlocked, rcode: 3 },
      );
      try {
        // A steady load below capacity, so a lost query means the reload lost it, not overload.
        const running = load({ port, queryFile, seconds, maxQps: qps });
        for (const next of nextBundles) {
          await new Promise((r) => setTimeout(r, (seconds * 1000) / (RELOADS + 1)));
          await copyFile(next.file, listFile);
          server.child.kill('SIGHUP');
        }
        const result = await running;
        const failed = result.rcodes.SERVFAIL ?? 0;
        // The last list is in force: its own name is blocked.
        await firstAnswer(port, nextBundles.at(-1)?.added as string, 3, 10_000);
        console.log(
          `  reload under load: ${RELOADS} swaps of lists that differ by ${CHANGED_PER_RELOAD} names, ${result.lost} lost, ${failed} SERVFAIL of ${result.sent}`,
        );
        return result.lost + failed;
      } finally {
        await server.stop();
      }
    },
  };
  return setup;
}

/**
 * `cli`: the built CLI to start; another checkout's for the `--baseline` row. `encrypted`: the
 * caller adds DoT/DoH listeners (the installed command's V8 flags depend on it).
 */
export async function kalkanServer(
  setup: KalkanSetup,
  port: number,
  upstreamPort: number,
  workers: number,
  cli = KALKAN,
  encrypted = false,
): Promise<Launch & { statusPort: number }> {
  const config = join(setup.dir, `kalkan-${port}.yaml`);
  await writeFile(config, benchConfig(workers, join(setup.dir, `data-${port}`)));
  const statusPort = await freePort();
  return {
    statusPort,
    command: process.execPath,
    args: [
      ...installedV8Flags(encrypted),
      cli,
      'serve',
      '--config',
      config,
      '--listen',
      `127.0.0.1:${port}`,
      '--upstream',
      `127.0.0.1:${upstreamPort}`,
      '--list',
      setup.listFile,
      '--trust',
      setup.trustFile,
      '--status',
      `127.0.0.1:${statusPort}`,
    ],
  };
}

/** The fast path's name-table counters from Kalkan's /metrics. */
export async function nameTableCounts(
  statusPort: number,
): Promise<{ hits: number; misses: number }> {
  const text = await (await fetch(`http://127.0.0.1:${statusPort}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return {
    hits: read('kalkan_name_table_hits_total'),
    misses: read('kalkan_name_table_misses_total'),
  };
}

/**
 * The V8 flags the installed `kalkan` command (resolver/deploy/kalkan) starts Node with by
 * default: the resolver is measured as deployed. An encrypted DNS service (a TLS certificate
 * configured) keeps V8's own young generation there. `KALKAN_V8_FLAGS` replaces them, as there.
 */
export function installedV8Flags(encrypted: boolean): string[] {
  const flags = encrypted
    ? '--heap-growing-percent=20'
    : '--optimize-for-size --heap-growing-percent=20';
  return (process.env.KALKAN_V8_FLAGS ?? flags).split(' ').filter(Boolean);
}

/** `-- --udp-io=dgram` measures Kalkan on node:dgram (before/after the batched transport). */
const UDP_IO =
  process.argv.find((a) => a.startsWith('--udp-io='))?.slice('--udp-io='.length) ?? 'auto';

/** dnsperf sends everything from one address: the per-client rate limit is off for the run. */
function benchConfig(workers: number, dataDir: string): string {
  return [
    '# benchmark config: rate limit off, logs quiet',
    `workers: ${workers}`,
    `udpIo: ${UDP_IO}`,
    'rateLimit:',
    '  perSecond: 0',
    'logLevel: warn',
    `dataDir: ${JSON.stringify(dataDir)}`,
    '',
  ].join('\n');
}
