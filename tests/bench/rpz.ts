/**
 * `npm run bench:rpz`: the RPZ primary (`kalkan rpz serve` from build/, a child process) with a
 * generated 1,000,000-entry plaintext list (reserved names only) built from its text by
 * `kalkan lists build`. Its start-up and memory (VmRSS, VmHWM from /proc); AXFR time and size,
 * as `dig` receives it; IXFR time for a change of 1,000 names (1,000 removed, 1,000 added); and
 * the time from a new bundle to Unbound and BIND both serving it, after NOTIFY and IXFR, with
 * the transfers counted from the primary's log. Medians of several runs where a run can repeat.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateDomains } from '../helpers/generated-list.js';
import { KALKAN, type LongRunning, startKalkan } from '../helpers/kalkan-process.js';
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
import { buildListFromText } from './lib/kalkan.js';
import { rssOf } from './lib/server-process.js';

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
  let primary: LongRunning | undefined;
  try {
    console.log(`generating ${ENTRIES.toLocaleString('en')} reserved names`);
    const names = generateDomains(ENTRIES + CHANGE, 11);
    await run(process.execPath, [KALKAN, 'lists', 'keygen', '--out', dir]);
    const listFile = join(dir, 'list.klb');
    const writeVersion = async (sequence: number, domains: string[]) => {
      const file = join(dir, `list-${sequence}.klb`);
      const ms = await buildListFromText(dir, domains, sequence, file, {
        id: 'bench-rpz',
        plaintext: true,
      });
      await copyFile(file, listFile);
      return ms;
    };
    const buildMs = await writeVersion(1, names.slice(0, ENTRIES));

    const unboundPort = await freePort();
    const namedPort = await freePort();
    const port = await freePort();
    let t = performance.now();
    primary = startKalkan([
      'rpz',
      'serve',
      '--listen',
      `127.0.0.1:${port}`,
      '--zone',
      ZONE,
      '--list',
      listFile,
      '--trust',
      join(dir, 'publisher.pub'),
      '--tsig',
      `${KEY_NAME}:hmac-sha256:${SECRET}`,
      // Unbound 1.17 cannot sign; BIND does, and signed requests are always checked.
      '--allow-unsigned',
      '127.0.0.1/32',
      '--notify',
      `127.0.0.1:${unboundPort}`,
      '--notify',
      `127.0.0.1:${namedPort}`,
    ]);
    await primary.waitFor(/rpz: serving on/, 600_000);
    const startMs = performance.now() - t;
    const pid = primary.child.pid as number;
    const rssStartMb = rssOf(pid) / 2 ** 20;
    const logged = (pattern: RegExp) =>
      (primary?.output().match(new RegExp(pattern, 'gm')) ?? []).length;
    const transfers = () => ({
      ixfr: logged(/^rpz: IXFR serial/),
      axfr: logged(/^rpz: AXFR serial/),
    });

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

    // The change: the first 1,000 names leave, 1,000 new ones arrive (the file is replaced:
    // the primary sees it and reloads).
    const before = transfers();
    await writeVersion(2, names.slice(CHANGE, ENTRIES + CHANGE));
    const added = names[ENTRIES] as string;
    t = performance.now();
    await primary.waitFor(/serial 1 -> 2: .*$/m, 120_000);
    const reloadMs = performance.now() - t;
    const reloadLine = /serial 1 -> 2: (.*)$/m.exec(primary.output())?.[1] ?? '';
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
      waitFor(async () => transfers().ixfr - before.ixfr >= 2, 120_000).then(since),
      waitFor(async () => (await unboundZoneSerial(unboundDir, ZONE)) === 2, 120_000).then(since),
      waitFor(
        async () => (await dig(named.port, ZONE, 'SOA')).answers[0]?.split(' ')[2] === '2',
        120_000,
      ).then(since),
      untilServed(unbound),
      untilServed(named),
    ]);
    const after = transfers();
    const rssAfterMb = rssOf(pid) / 2 ** 20;
    const peakMb = rssOf(pid, 'VmHWM') / 2 ** 20;

    const ixfr = [];
    for (let r = 0; r < RUNS; r++) ixfr.push(await digTransfer(port, 'IXFR=1'));
    const ixfrLast = ixfr.at(-1) as Awaited<ReturnType<typeof digTransfer>>;

    const rows: [string, string][] = [
      ['entries', ENTRIES.toLocaleString('en')],
      ['kalkan lists build from the text list (ms)', buildMs.toFixed(0)],
      [
        'primary start, process spawn -> serving: load + verify + build zone (ms)',
        startMs.toFixed(0),
      ],
      [
        'primary RSS (MiB): serving / after the transfers / peak (VmHWM)',
        `${rssStartMb.toFixed(0)} / ${rssAfterMb.toFixed(0)} / ${peakMb.toFixed(0)}`,
      ],
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
        `new file -> reloaded by the primary: watch + verify + build zone + diff (${reloadLine}) (ms)`,
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
        "transfers for the change (from the primary's log): IXFR / AXFR (or IXFR answered by AXFR)",
        `${after.ixfr - before.ixfr} / ${after.axfr - before.axfr}`,
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
    console.error(primary?.output().split('\n').slice(-15).join('\n'));
    throw error;
  } finally {
    for (const r of running.reverse()) await r.stop();
    await primary?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
