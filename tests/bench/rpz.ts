/**
 * `npm run bench:rpz`: the RPZ primary with a generated 1,000,000-entry plaintext list
 * (reserved names only). AXFR time and size, as `dig` receives it; IXFR time for a change of
 * 1,000 names (1,000 removed, 1,000 added); and the time from a new bundle to Unbound and BIND
 * both serving it, after NOTIFY and IXFR. Medians of several runs where a run can repeat.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildBundle } from '../../blocklists/bundle/build.js';
import { generateKeyPair } from '../../blocklists/keys.js';
import { nativeSha256 } from '../../resolver/lists/native-sha256.js';
import { startRpzPrimary } from '../../resolver/rpz/server.js';
import { parseTsigKey } from '../../resolver/rpz/tsig.js';
import { generateDomains } from '../helpers/generated-list.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/resolver.js';
import {
  dig,
  type Running,
  startNamed,
  startUnbound,
  startUpstream,
  unboundZoneSerial,
} from '../helpers/rpz-secondaries.js';

const run = promisify(execFile);
const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 1_000_000);
const CHANGE = 1_000;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ZONE = 'rpz.kalkan.test';
const KEY_NAME = 'kalkan-xfr';
const SECRET = randomBytes(32).toString('base64');

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function digTransfer(port: number, type: string) {
  const start = performance.now();
  const { stdout } = await run(
    'dig',
    [
      '@127.0.0.1',
      '-p',
      String(port),
      '-y',
      `hmac-sha256:${KEY_NAME}:${SECRET}`,
      '+noall',
      '+stats',
      ZONE,
      type,
    ],
    { maxBuffer: 1 << 26 },
  );
  const ms = performance.now() - start;
  const size = /XFR size: (\d+) records \(messages (\d+), bytes (\d+)\)/.exec(stdout);
  if (!size) throw new Error(`dig ${type} failed:\n${stdout}`);
  return { ms, records: Number(size[1]), messages: Number(size[2]), bytes: Number(size[3]) };
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'kalkan-bench-rpz-'));
  const running: Running[] = [];
  let closePrimary: (() => Promise<void>) | undefined;
  try {
    console.log(`generating ${ENTRIES.toLocaleString('en')} reserved names`);
    const names = generateDomains(ENTRIES + CHANGE, 11);
    const { secretKey, publicKey } = await generateKeyPair();
    const listFile = join(dir, 'list.klb');
    const writeVersion = async (sequence: number, domains: string[]) => {
      const bytes = await buildBundle(
        { block: domains.map((d) => `${d}/`), allow: [] },
        {
          meta: {
            id: 'bench-rpz',
            name: 'bench',
            category: 'abuse',
            sequence,
            created: new Date().toISOString(),
            expires: new Date(Date.now() + 86_400_000).toISOString(),
            licence: 'bench',
          },
          secretKey,
          plaintext: true,
          sha256: nativeSha256,
        },
      );
      await writeFile(listFile, bytes);
    };
    await writeVersion(1, names.slice(0, ENTRIES));

    const unboundPort = await freePort();
    const namedPort = await freePort();
    const rssBefore = process.memoryUsage().rss;
    let t = performance.now();
    const primary = await startRpzPrimary({
      listen: { host: '127.0.0.1', port: await freePort() },
      zone: ZONE,
      listFile,
      trustedKeys: [publicKey],
      tsigKeys: [parseTsigKey(`${KEY_NAME}:hmac-sha256:${SECRET}`)],
      // Unbound 1.17 cannot sign; BIND does, and signed requests are always checked.
      allowUnsigned: ['127.0.0.1/32'],
      notify: [
        { host: '127.0.0.1', port: unboundPort },
        { host: '127.0.0.1', port: namedPort },
      ],
      log: (line) => {
        console.log(`  ${(performance.now() / 1000).toFixed(2)} primary: ${line}`);
      },
    });
    closePrimary = primary.close;
    const startMs = performance.now() - t;
    const rssMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    const port = primary.address.port;

    const axfr = [];
    for (let r = 0; r < RUNS; r++) axfr.push(await digTransfer(port, 'AXFR'));
    const axfrLast = axfr.at(-1) as Awaited<ReturnType<typeof digTransfer>>;

    console.log('starting Unbound and BIND as secondaries (each pulls the whole zone once)');
    const upstream = await startUpstream();
    running.push(upstream);
    t = performance.now();
    const unboundDir = await mkdtemp(join(dir, 'unbound-'));
    const unbound = await startUnbound({
      dir: unboundDir,
      zone: ZONE,
      primaryPort: port,
      upstreamPort: upstream.port,
      port: unboundPort,
    });
    running.push(unbound);
    const named = await startNamed({
      dir: await mkdtemp(join(dir, 'named-')),
      zone: ZONE,
      primaryPort: port,
      upstreamPort: upstream.port,
      port: namedPort,
      tsig: { name: KEY_NAME, secret: SECRET },
    });
    running.push(named);
    const first = names[0] as string;
    const blocks = async (server: Running, name: string) =>
      (await dig(server.port, name)).status === 'NXDOMAIN';
    const [unboundFirstMs, namedFirstMs] = await Promise.all([
      waitFor(() => blocks(unbound, first), 600_000).then(() => performance.now() - t),
      waitFor(() => blocks(named, first), 600_000).then(() => performance.now() - t),
    ]);

    // The change: the first 1,000 names leave, 1,000 new ones arrive.
    const before = primary.counters();
    await writeVersion(2, names.slice(CHANGE, ENTRIES + CHANGE));
    const added = names[ENTRIES] as string;
    t = performance.now();
    const reload = await primary.reload();
    const reloadMs = performance.now() - t;
    const untilServed = async (server: Running) => {
      await waitFor(
        async () => (await blocks(server, added)) && !(await blocks(server, first)),
        120_000,
      );
      return performance.now() - t;
    };
    // Where the time goes: the primary's part ends when both IXFRs are sent; then each
    // secondary holds the new serial; then its policy answers change.
    const since = () => performance.now() - t;
    const [ixfrsMs, unboundSerialMs, namedSerialMs, unboundMs, namedMs] = await Promise.all([
      waitFor(async () => primary.counters().ixfr - before.ixfr >= 2, 120_000).then(since),
      waitFor(async () => (await unboundZoneSerial(unboundDir, ZONE)) === 2, 120_000).then(since),
      waitFor(
        async () => (await dig(named.port, ZONE, 'SOA')).answers[0]?.split(' ')[2] === '2',
        120_000,
      ).then(since),
      untilServed(unbound),
      untilServed(named),
    ]);
    const after = primary.counters();

    const ixfr = [];
    for (let r = 0; r < RUNS; r++) ixfr.push(await digTransfer(port, 'IXFR=1'));
    const ixfrLast = ixfr.at(-1) as Awaited<ReturnType<typeof digTransfer>>;

    const rows: [string, string][] = [
      ['entries', ENTRIES.toLocaleString('en')],
      ['primary start: load + verify + build zone (ms)', startMs.toFixed(0)],
      ['primary RSS growth with the zone (MiB)', rssMb.toFixed(0)],
      [`AXFR via dig, median of ${RUNS} (ms)`, median(axfr.map((a) => a.ms)).toFixed(0)],
      [
        'AXFR size',
        `${axfrLast.records.toLocaleString('en')} records, ${axfrLast.messages} messages, ${(axfrLast.bytes / 2 ** 20).toFixed(1)} MiB (${(axfrLast.bytes / ENTRIES).toFixed(1)} B/entry)`,
      ],
      [
        'first full load, start -> serving: Unbound, BIND (ms)',
        `${unboundFirstMs.toFixed(0)}, ${namedFirstMs.toFixed(0)}`,
      ],
      [
        `reload on the primary: verify + build zone + diff (${reload.changed ? `${reload.removed} removed, ${reload.added} added records` : 'no change'}) (ms)`,
        reloadMs.toFixed(0),
      ],
      ['new bundle -> both IXFRs sent by the primary (ms)', ixfrsMs.toFixed(0)],
      [
        'new bundle -> new serial held: Unbound, BIND (ms)',
        `${unboundSerialMs.toFixed(0)}, ${namedSerialMs.toFixed(0)}`,
      ],
      ['new bundle -> Unbound serving it (ms)', unboundMs.toFixed(0)],
      ['new bundle -> BIND serving it (ms)', namedMs.toFixed(0)],
      ['new bundle -> both serving it (ms)', Math.max(unboundMs, namedMs).toFixed(0)],
      [
        'transfers for the change: IXFR / AXFR / IXFR answered by AXFR',
        `${after.ixfr - before.ixfr} / ${after.axfr - before.axfr} / ${after.ixfrAsAxfr - before.ixfrAsAxfr}`,
      ],
      [
        `IXFR of the change via dig, median of ${RUNS} (ms)`,
        median(ixfr.map((a) => a.ms)).toFixed(0),
      ],
      [
        'IXFR size',
        `${ixfrLast.records.toLocaleString('en')} records, ${ixfrLast.messages} messages, ${(ixfrLast.bytes / 1024).toFixed(1)} KiB`,
      ],
    ];
    console.log('\n| figure | value |\n|---|---|');
    for (const [name, value] of rows) console.log(`| ${name} | ${value} |`);
  } catch (error) {
    for (const r of running) console.error(r.output().split('\n').slice(-15).join('\n'));
    throw error;
  } finally {
    for (const r of running.reverse()) await r.stop();
    await closePrimary?.();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
