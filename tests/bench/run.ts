/**
 * `npm run bench` (issue 7): Kalkan beside Unbound, dnsmasq and a Node UDP echo server, same
 * list, same upstream, same dnsperf load, one session. `-- --quick` for a short run.
 * `-- --only=unbound,echo` runs a subset. Writes tests/bench/results/latest.json and latest.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDomains } from '../helpers/generated-list.js';
import { freePort } from '../helpers/ports.js';
import { type LatencyResult, type LoadResult, latency, load } from './lib/dnsperf.js';
import { type KalkanSetup, kalkanServer, prepareKalkan } from './lib/kalkan.js';
import { dnsmasq, echoServer, filteringUnbound, upstreamUnbound } from './lib/peers.js';
import { type Launch, type ServerProcess, startServer } from './lib/server-process.js';

const QUICK = process.argv.includes('--quick');
/** `--only kalkan,unbound` runs just those servers (the reload test runs with kalkan). */
const ONLY = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const ENTRIES = QUICK ? 100_000 : 1_000_000;
const SECONDS = QUICK ? 3 : 10;
const LATENCY_SECONDS = QUICK ? 2 : 5;
/** Latency is compared at the same offered load for every server. */
const LATENCY_QPS = 20_000;
const NXDOMAIN = 3;
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

type Workload = 'blocked' | 'cached' | 'mix';
const WORKLOADS: Workload[] = ['blocked', 'cached', 'mix'];

interface ServerFigures {
  startup_ms?: number;
  rss_loaded_mb?: number;
  rss_after_mb?: number;
  load: Partial<Record<Workload, LoadResult>>;
  /**
   * Server CPU time per answered query in the full-speed runs: unlike QPS, barely moved by
   * other work on a shared machine, so the fairest comparison of what each server costs.
   */
  cpu_us_per_query: Partial<Record<Workload, number>>;
  latency: Partial<Record<Workload, LatencyResult>>;
}

function version(command: string, args: string[]): string {
  try {
    return (
      execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
        .split('\n')[0]
        ?.trim() ?? ''
    );
  } catch (error) {
    return ((error as { stdout?: string }).stdout ?? '').split('\n')[0]?.trim() ?? 'unknown';
  }
}

async function writeQueries(dir: string, blocked: string[], allowed: string[]) {
  const pick = (list: string[], i: number) => list[(i * 7919) % list.length] as string;
  const blockedLines = Array.from(
    { length: 100_000 },
    (_, i) => `${i % 3 === 0 ? 'www.' : ''}${pick(blocked, i)} A`,
  );
  const cachedLines = Array.from({ length: 100_000 }, (_, i) => `${pick(allowed, i)} A`);
  const mixLines = blockedLines.map((b, i) => (i % 2 ? b : (cachedLines[i] as string)));
  const files = {
    blocked: join(dir, 'blocked.txt'),
    cached: join(dir, 'cached.txt'),
    mix: join(dir, 'mix.txt'),
  };
  await writeFile(files.blocked, `${blockedLines.join('\n')}\n`);
  await writeFile(files.cached, `${cachedLines.join('\n')}\n`);
  await writeFile(files.mix, `${mixLines.join('\n')}\n`);
  return files;
}

const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

async function measure(
  server: ServerProcess,
  port: number,
  files: Record<Workload, string>,
  workloads: Workload[],
): Promise<ServerFigures> {
  const figures: ServerFigures = {
    startup_ms: Math.round(server.startupMs),
    rss_loaded_mb: mb(server.rssBytes()),
    load: {},
    cpu_us_per_query: {},
    latency: {},
  };
  // Warm every cache with the allowed names before measuring.
  await load({ port, queryFile: files.cached, seconds: 2 });
  for (const w of workloads) {
    const cpuBefore = server.cpuSeconds();
    const result = await load({ port, queryFile: files[w], seconds: SECONDS });
    figures.load[w] = result;
    figures.cpu_us_per_query[w] =
      Math.round(((server.cpuSeconds() - cpuBefore) / result.completed) * 1e7) / 10;
    figures.latency[w] = await latency({
      port,
      queryFile: files[w],
      seconds: LATENCY_SECONDS,
      maxQps: LATENCY_QPS,
    });
    console.log(
      `  ${server.name} ${w}: ${figures.load[w]?.qps.toFixed(0)} QPS, ${figures.cpu_us_per_query[w]} µs CPU/query, lost ${figures.load[w]?.lost}, p50 ${figures.latency[w]?.p50Ms.toFixed(3)} ms, p99 ${figures.latency[w]?.p99Ms.toFixed(3)} ms`,
    );
  }
  figures.rss_after_mb = mb(server.rssBytes());
  return figures;
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'kalkan-bench-'));
  const started: ServerProcess[] = [];
  try {
    console.log(
      `list: ${ENTRIES.toLocaleString('en')} names; ${SECONDS} s per load run${QUICK ? ' (quick)' : ''}`,
    );
    const blocked = generateDomains(ENTRIES);
    const allowed = Array.from({ length: 1000 }, (_, i) => `allowed${i}.bench.test`);
    const files = await writeQueries(dir, blocked, allowed);
    const upstreamPort = await freePort();
    const upstream = await startServer(
      'upstream',
      await upstreamUnbound(dir, upstreamPort, allowed),
      upstreamPort,
      {
        name: 'allowed1.bench.test',
        rcode: 0,
      },
    );
    started.push(upstream);
    const kalkan: KalkanSetup = await prepareKalkan(dir, blocked);
    const probe = { name: blocked[0] as string, rcode: NXDOMAIN };

    const servers: Record<string, ServerFigures> = {};
    const run = async (
      name: string,
      launch: (port: number) => Promise<Launch> | Launch,
      workloads = WORKLOADS,
    ) => {
      if (ONLY && !ONLY.includes(name)) return;
      const port = await freePort();
      console.log(`${name}: starting`);
      const server = await startServer(
        name,
        await launch(port),
        port,
        name === 'echo' ? { name: 'x.test', rcode: 0 } : probe,
      );
      started.push(server);
      servers[name] = await measure(server, port, files, workloads);
      await server.stop();
    };
    await run('kalkan', (port) => kalkanServer(kalkan, port, upstreamPort, 1));
    await run('kalkan-2-workers', (port) => kalkanServer(kalkan, port, upstreamPort, 2), [
      'blocked',
      'cached',
    ]);
    await run('unbound', (port) => filteringUnbound(dir, port, upstreamPort, blocked));
    await run('dnsmasq', (port) => dnsmasq(dir, port, upstreamPort, blocked));
    await run('echo', (port) => echoServer(port), ['blocked']);
    const reloadLost =
      !ONLY || ONLY.includes('kalkan')
        ? await kalkan.reloadUnderLoad(upstreamPort, files.mix, SECONDS, LATENCY_QPS)
        : Number.NaN;

    const qps = (s: string, w: Workload) => servers[s]?.load[w]?.qps ?? Number.NaN;
    const cpu = (s: string, w: Workload) => servers[s]?.cpu_us_per_query[w] ?? Number.NaN;
    const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    const ratios = {
      blocked_qps_vs_unbound: ratio(qps('kalkan', 'blocked'), qps('unbound', 'blocked')),
      blocked_qps_vs_dnsmasq: ratio(qps('kalkan', 'blocked'), qps('dnsmasq', 'blocked')),
      blocked_qps_vs_echo: ratio(qps('kalkan', 'blocked'), qps('echo', 'blocked')),
      cached_qps_vs_unbound: ratio(qps('kalkan', 'cached'), qps('unbound', 'cached')),
      cached_qps_vs_dnsmasq: ratio(qps('kalkan', 'cached'), qps('dnsmasq', 'cached')),
      cached_qps_vs_echo: ratio(qps('kalkan', 'cached'), qps('echo', 'blocked')),
      blocked_cpu_per_query_vs_echo: ratio(cpu('kalkan', 'blocked'), cpu('echo', 'blocked')),
      cached_cpu_per_query_vs_echo: ratio(cpu('kalkan', 'cached'), cpu('echo', 'blocked')),
      blocked_cpu_per_query_vs_unbound: ratio(cpu('kalkan', 'blocked'), cpu('unbound', 'blocked')),
      blocked_cpu_per_query_vs_dnsmasq: ratio(cpu('kalkan', 'blocked'), cpu('dnsmasq', 'blocked')),
      p99_blocked_vs_unbound: ratio(
        servers.kalkan?.latency.blocked?.p99Ms ?? 0,
        servers.unbound?.latency.blocked?.p99Ms ?? 0,
      ),
      rss_vs_unbound: ratio(
        servers.kalkan?.rss_loaded_mb ?? 0,
        servers.unbound?.rss_loaded_mb ?? 0,
      ),
      rss_vs_dnsmasq: ratio(
        servers.kalkan?.rss_loaded_mb ?? 0,
        servers.dnsmasq?.rss_loaded_mb ?? 0,
      ),
      startup_vs_dnsmasq: ratio(servers.kalkan?.startup_ms ?? 0, servers.dnsmasq?.startup_ms ?? 0),
      startup_vs_unbound: ratio(servers.kalkan?.startup_ms ?? 0, servers.unbound?.startup_ms ?? 0),
      two_workers_blocked_qps_vs_one: ratio(
        qps('kalkan-2-workers', 'blocked'),
        qps('kalkan', 'blocked'),
      ),
      reload_lost_queries: reloadLost,
    };
    const result = {
      date: new Date().toISOString(),
      quick: QUICK,
      machine: {
        cpus: cpus().length,
        cpu: cpus()[0]?.model,
        memory_gb: Math.round(totalmem() / 2 ** 30),
      },
      versions: {
        node: process.version,
        unbound: version('unbound', ['-V']),
        dnsmasq: version('dnsmasq', ['--version']),
        dnsperf: version('dnsperf', ['-h']).replace(/.*Version/s, 'dnsperf'),
      },
      list_entries: ENTRIES,
      load_seconds: SECONDS,
      latency_offered_qps: LATENCY_QPS,
      servers,
      ratios,
    };
    await mkdir(RESULTS, { recursive: true });
    await writeFile(join(RESULTS, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
    const table = markdown(servers, ratios);
    await writeFile(join(RESULTS, 'latest.md'), table);
    console.log(`\n${table}`);
  } finally {
    await Promise.all(started.map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
  }
}

function markdown(servers: Record<string, ServerFigures>, ratios: Record<string, number>): string {
  const cell = (v: number | undefined, digits = 0) =>
    v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits);
  const rows = Object.entries(servers).map(([name, f]) =>
    [
      name,
      cell(f.load.blocked?.qps),
      cell(f.load.cached?.qps),
      cell(f.load.mix?.qps),
      `${cell(f.cpu_us_per_query.blocked, 1)} / ${cell(f.cpu_us_per_query.cached, 1)}`,
      `${cell(f.latency.blocked?.p50Ms, 3)} / ${cell(f.latency.blocked?.p99Ms, 3)}`,
      `${cell(f.latency.cached?.p50Ms, 3)} / ${cell(f.latency.cached?.p99Ms, 3)}`,
      String(Object.values(f.load).reduce((n, r) => n + (r?.lost ?? 0), 0)),
      cell(f.rss_loaded_mb, 1),
      cell(f.rss_after_mb, 1),
      cell(f.startup_ms),
    ].join(' | '),
  );
  return [
    '| server | blocked QPS | cached QPS | mix QPS | CPU µs/query blocked / cached | blocked p50/p99 ms | cached p50/p99 ms | lost | RSS loaded MB | RSS after MB | start to first answer ms |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r} |`),
    '',
    '| ratio | value |',
    '|---|---|',
    ...Object.entries(ratios).map(([k, v]) => `| ${k} | ${v} |`),
    '',
  ].join('\n');
}

await main();
