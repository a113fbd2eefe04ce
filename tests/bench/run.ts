/**
 * `npm run bench` (issues 7, 18): Kalkan beside Unbound, dnsmasq and a node:dgram echo server,
 * same list, same upstream, same dnsperf load, one session; every server a child process
 * started from its CLI, Kalkan's list built from the same text by `kalkan lists build` (timed
 * as part of its start-up). Mixes of repeated names (what the tables and caches are for) and
 * wide mixes of 1,000,000 distinct names (what they cannot hold). `-- --quick` for a short run,
 * `-- --only=unbound,echo` for a subset, `-- --entries=N` for another list size (the quick
 * run's 100,000 otherwise), `-- --baseline=DIR` to add a row `kalkan-before` served by another
 * (built) checkout's CLI. Writes tests/bench/results/latest.json and latest.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDomains } from '../helpers/generated-list.js';
import { freePort } from '../helpers/ports.js';
import { type LatencyResult, type LoadResult, latency, load } from './lib/dnsperf.js';
import { type KalkanSetup, kalkanServer, nameTableCounts, prepareKalkan } from './lib/kalkan.js';
import { dnsmasq, echoServer, filteringUnbound, upstreamUnbound, WIDE_ZONE } from './lib/peers.js';
import { type Launch, type ServerProcess, startServer } from './lib/server-process.js';

const QUICK = process.argv.includes('--quick');
/** `--only kalkan,unbound` runs just those servers (the reload test runs with kalkan). */
const ONLY = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
/**
 * `--baseline=DIR`: an older checkout, built there (`npm ci && npm run build`). Its CLI serves
 * the same bundle (built by this checkout's `kalkan lists build`) with the same config, as the
 * row `kalkan-before`, so one run gives before and after side by side.
 */
const BASELINE = process.argv.find((a) => a.startsWith('--baseline='))?.slice('--baseline='.length);
const BASELINE_CLI = BASELINE && resolve(BASELINE, 'build/resolver/bundle/kalkan.js');
if (BASELINE_CLI && !existsSync(BASELINE_CLI)) {
  throw new Error(`--baseline=${BASELINE}: ${BASELINE_CLI} is missing; run "npm run build" there`);
}
/** `--entries=N` sets the list size (e.g. a quick run with the full list, for memory). */
const ENTRIES = Number(
  process.argv.find((a) => a.startsWith('--entries='))?.slice('--entries='.length) ??
    (QUICK ? 100_000 : 1_000_000),
);
/**
 * Distinct names in each wide mix, quick or not: far more than the fast path's name table
 * (`memory.namesSeen`, 16,384 by default) or any server's answer cache.
 */
const WIDE_NAMES = 1_000_000;
const SECONDS = QUICK ? 3 : 10;
const LATENCY_SECONDS = QUICK ? 2 : 5;
/** Latency is compared at the same offered load for every server. */
const LATENCY_QPS = 20_000;
const NXDOMAIN = 3;
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

/**
 * blocked: 100,000 distinct listed names, repeated; cached: 1,000 allowed names, repeated;
 * mix: half of each; blocked_wide: 1,000,000 distinct listed names (or names under them);
 * wide_mix: 1,000,000 distinct names, half under listed names, half unlisted ones the upstream
 * answers (each one a cache miss, forwarded).
 */
type Workload = 'blocked' | 'cached' | 'mix' | 'blocked_wide' | 'wide_mix';
const WORKLOADS: Workload[] = ['blocked', 'cached', 'mix', 'blocked_wide', 'wide_mix'];
const WIDE: Workload[] = ['blocked_wide', 'wide_mix'];

interface ServerFigures {
  /** Process start to the first filtered answer. */
  startup_ms?: number;
  /** Kalkan only: `kalkan lists build` from the text list (the peers parse their text at start). */
  list_build_ms?: number;
  /** From the text list to the first filtered answer: build (Kalkan) + start. */
  startup_from_text_ms?: number;
  rss_loaded_mb?: number;
  rss_after_mb?: number;
  /** VmHWM: the most resident memory the process (and each worker) ever had. */
  rss_peak_mb?: number;
  /** RssAnon after the load: the resident memory that is the server's own, not its program file's. */
  private_after_mb?: number;
  /** Kalkan, one worker: share of UDP queries the fast path's name table answered from. */
  name_table_hit_rate: Partial<Record<Workload, number>>;
  load: Partial<Record<Workload, LoadResult>>;
  /**
   * Server CPU time per answered query in the full-speed runs: unlike QPS, barely moved by
   * other work on a shared machine, so the fairest comparison of what each server costs.
   */
  cpu_us_per_query: Partial<Record<Workload, number>>;
  latency: Partial<Record<Workload, LatencyResult>>;
  /**
   * Workloads whose answers were not what the mix asks for (blocked names NXDOMAIN, allowed
   * ones NOERROR): that server's figures for them compare nothing and are left out of ratios.
   */
  wrong_answers: Workload[];
}

/** The share of NOERROR answers each mix must get from a filter; the rest NXDOMAIN. */
const NOERROR_SHARE: Record<Workload, number> = {
  blocked: 0,
  cached: 1,
  mix: 0.5,
  blocked_wide: 0,
  wide_mix: 0.5,
};

function answersAsExpected(w: Workload, result: LoadResult): boolean {
  const noerror = result.rcodes.NOERROR ?? 0;
  const nxdomain = result.rcodes.NXDOMAIN ?? 0;
  if (noerror + nxdomain < result.completed * 0.98) return false;
  return Math.abs(noerror / (noerror + nxdomain) - NOERROR_SHARE[w]) <= 0.02;
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

interface QueryFiles {
  /** The file each load run reads. */
  load: Record<Workload, string>;
  /** The latency runs of the wide mixes read the names in reverse: none the load run sent. */
  latency: Record<Workload, string>;
}

async function writeQueries(
  dir: string,
  blocked: string[],
  allowed: string[],
): Promise<QueryFiles> {
  const pick = (list: string[], i: number) => list[(i * 7919) % list.length] as string;
  const blockedLines = Array.from(
    { length: 100_000 },
    (_, i) => `${i % 3 === 0 ? 'www.' : ''}${pick(blocked, i)} A`,
  );
  const cachedLines = Array.from({ length: 100_000 }, (_, i) => `${pick(allowed, i)} A`);
  const mixLines = blockedLines.map((b, i) => (i % 2 ? b : (cachedLines[i] as string)));
  // Distinct names under listed ones (a0.x, a1.x, …): none of them in the repeated mixes.
  const listedWide = (i: number) =>
    `a${Math.floor(i / blocked.length)}.${blocked[i % blocked.length] as string}`;
  const blockedWide = Array.from({ length: WIDE_NAMES }, (_, i) => `${listedWide(i)} A`);
  const wideMix = Array.from({ length: WIDE_NAMES }, (_, i) =>
    i % 2 ? `${listedWide(i)} A` : `u${i}.${WIDE_ZONE} A`,
  );
  const lines: Record<Workload, string[]> = {
    blocked: blockedLines,
    cached: cachedLines,
    mix: mixLines,
    blocked_wide: blockedWide,
    wide_mix: wideMix,
  };
  const files = { load: {}, latency: {} } as QueryFiles;
  for (const w of WORKLOADS) {
    files.load[w] = join(dir, `${w}.txt`);
    await writeFile(files.load[w], `${lines[w].join('\n')}\n`);
    files.latency[w] = files.load[w];
    if (WIDE.includes(w)) {
      files.latency[w] = join(dir, `${w}-reversed.txt`);
      await writeFile(files.latency[w], `${[...lines[w]].reverse().join('\n')}\n`);
    }
  }
  return files;
}

const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

async function measure(
  server: ServerProcess,
  port: number,
  files: QueryFiles,
  workloads: Workload[],
  extra: { listBuildMs?: number; statusPort?: number },
): Promise<ServerFigures> {
  const figures: ServerFigures = {
    startup_ms: Math.round(server.startupMs),
    ...(extra.listBuildMs !== undefined && { list_build_ms: Math.round(extra.listBuildMs) }),
    startup_from_text_ms: Math.round(server.startupMs + (extra.listBuildMs ?? 0)),
    rss_loaded_mb: mb(server.rssBytes()),
    name_table_hit_rate: {},
    wrong_answers: [],
    load: {},
    cpu_us_per_query: {},
    latency: {},
  };
  // Warm every cache with the allowed names before measuring.
  await load({ port, queryFile: files.load.cached, seconds: 2 });
  for (const w of workloads) {
    const cpuBefore = server.cpuSeconds();
    const tableBefore = extra.statusPort ? await nameTableCounts(extra.statusPort) : undefined;
    const result = await load({ port, queryFile: files.load[w], seconds: SECONDS });
    figures.load[w] = result;
    if (server.name !== 'dgram-echo' && !answersAsExpected(w, result)) {
      figures.wrong_answers.push(w);
      console.log(`  WARNING: ${server.name} ${w} answered ${JSON.stringify(result.rcodes)}`);
    }
    figures.cpu_us_per_query[w] =
      Math.round(((server.cpuSeconds() - cpuBefore) / result.completed) * 1e7) / 10;
    if (extra.statusPort && tableBefore) {
      const after = await nameTableCounts(extra.statusPort);
      const hits = after.hits - tableBefore.hits;
      const misses = after.misses - tableBefore.misses;
      figures.name_table_hit_rate[w] = Math.round((hits / (hits + misses)) * 1000) / 1000;
    }
    figures.latency[w] = await latency({
      port,
      queryFile: files.latency[w],
      seconds: LATENCY_SECONDS,
      maxQps: LATENCY_QPS,
    });
    const table = figures.name_table_hit_rate[w];
    console.log(
      `  ${server.name} ${w}: ${figures.load[w]?.qps.toFixed(0)} QPS, ${figures.cpu_us_per_query[w]} µs CPU/query, lost ${figures.load[w]?.lost}, p50 ${figures.latency[w]?.p50Ms.toFixed(3)} ms, p99 ${figures.latency[w]?.p99Ms.toFixed(3)} ms${table === undefined ? '' : `, name-table hit rate ${table}`}`,
    );
  }
  figures.rss_after_mb = mb(server.rssBytes());
  figures.rss_peak_mb = mb(server.peakRssBytes());
  figures.private_after_mb = mb(server.privateBytes());
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
      launch: (port: number) => Promise<Launch & { statusPort?: number }> | Launch,
      workloads = WORKLOADS,
      extra: { listBuildMs?: number; tableHitRate?: boolean } = {},
    ) => {
      if (ONLY && !ONLY.includes(name)) return;
      const port = await freePort();
      console.log(`${name}: starting`);
      const launched: Launch & { statusPort?: number } = await launch(port);
      const server = await startServer(
        name,
        launched,
        port,
        name === 'dgram-echo' ? { name: 'x.test', rcode: 0 } : probe,
      );
      started.push(server);
      servers[name] = await measure(server, port, files, workloads, {
        ...(extra.listBuildMs !== undefined && { listBuildMs: extra.listBuildMs }),
        ...(extra.tableHitRate && launched.statusPort && { statusPort: launched.statusPort }),
      });
      await server.stop();
    };
    console.log(`kalkan lists build from the text list: ${Math.round(kalkan.buildMs)} ms`);
    await run('kalkan', (port) => kalkanServer(kalkan, port, upstreamPort, 1), WORKLOADS, {
      listBuildMs: kalkan.buildMs,
      tableHitRate: true,
    });
    if (BASELINE_CLI) {
      // No list-build time: the old CLI serves the bundle this checkout built (NaN leaves it out).
      await run(
        'kalkan-before',
        (port) => kalkanServer(kalkan, port, upstreamPort, 1, BASELINE_CLI),
        WORKLOADS,
        { listBuildMs: Number.NaN, tableHitRate: true },
      );
    }
    await run(
      'kalkan-2-workers',
      (port) => kalkanServer(kalkan, port, upstreamPort, 2),
      ['blocked', 'cached', 'blocked_wide'],
      { listBuildMs: kalkan.buildMs },
    );
    await run('unbound', (port) => filteringUnbound(dir, port, upstreamPort, blocked));
    await run('dnsmasq', (port) => dnsmasq(dir, port, upstreamPort, blocked));
    await run('dgram-echo', (port) => echoServer(port), ['blocked']);
    const reloadLost =
      !ONLY || ONLY.includes('kalkan')
        ? await kalkan.reloadUnderLoad(upstreamPort, files.load.mix, SECONDS, LATENCY_QPS)
        : Number.NaN;

    const valid = (s: string, w: Workload) => !servers[s]?.wrong_answers.includes(w);
    const qps = (s: string, w: Workload) =>
      valid(s, w) ? (servers[s]?.load[w]?.qps ?? Number.NaN) : Number.NaN;
    const cpu = (s: string, w: Workload) =>
      valid(s, w) ? (servers[s]?.cpu_us_per_query[w] ?? Number.NaN) : Number.NaN;
    const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    const fig = (
      s: string,
      key:
        | 'rss_loaded_mb'
        | 'rss_after_mb'
        | 'rss_peak_mb'
        | 'private_after_mb'
        | 'startup_ms'
        | 'startup_from_text_ms',
    ) => servers[s]?.[key] ?? Number.NaN;
    const p99 = (s: string, w: Workload) =>
      valid(s, w) ? (servers[s]?.latency[w]?.p99Ms ?? Number.NaN) : Number.NaN;
    /**
     * Kalkan server `k` against the peers. `old_*`: the ratios as issue 7 published them
     * (repeated names, memory right after the first answer, start-up from a prebuilt bundle),
     * beside the ones a sceptic would take.
     */
    const versusPeers = (k: string): Record<string, number> => ({
      old_blocked_qps_vs_unbound: ratio(qps(k, 'blocked'), qps('unbound', 'blocked')),
      old_blocked_qps_vs_dnsmasq: ratio(qps(k, 'blocked'), qps('dnsmasq', 'blocked')),
      blocked_wide_qps_vs_unbound: ratio(qps(k, 'blocked_wide'), qps('unbound', 'blocked_wide')),
      blocked_wide_qps_vs_dnsmasq: ratio(qps(k, 'blocked_wide'), qps('dnsmasq', 'blocked_wide')),
      cached_qps_vs_unbound: ratio(qps(k, 'cached'), qps('unbound', 'cached')),
      cached_qps_vs_dnsmasq: ratio(qps(k, 'cached'), qps('dnsmasq', 'cached')),
      wide_mix_qps_vs_unbound: ratio(qps(k, 'wide_mix'), qps('unbound', 'wide_mix')),
      wide_mix_qps_vs_dnsmasq: ratio(qps(k, 'wide_mix'), qps('dnsmasq', 'wide_mix')),
      blocked_qps_vs_dgram_echo: ratio(qps(k, 'blocked'), qps('dgram-echo', 'blocked')),
      blocked_cpu_per_query_vs_unbound: ratio(cpu(k, 'blocked'), cpu('unbound', 'blocked')),
      blocked_wide_cpu_per_query_vs_unbound: ratio(
        cpu(k, 'blocked_wide'),
        cpu('unbound', 'blocked_wide'),
      ),
      blocked_cpu_per_query_vs_dnsmasq: ratio(cpu(k, 'blocked'), cpu('dnsmasq', 'blocked')),
      old_p99_blocked_vs_unbound: ratio(p99(k, 'blocked'), p99('unbound', 'blocked')),
      p99_blocked_wide_vs_unbound: ratio(p99(k, 'blocked_wide'), p99('unbound', 'blocked_wide')),
      p99_wide_mix_vs_unbound: ratio(p99(k, 'wide_mix'), p99('unbound', 'wide_mix')),
      old_rss_loaded_vs_unbound: ratio(fig(k, 'rss_loaded_mb'), fig('unbound', 'rss_loaded_mb')),
      old_rss_loaded_vs_dnsmasq: ratio(fig(k, 'rss_loaded_mb'), fig('dnsmasq', 'rss_loaded_mb')),
      rss_after_load_vs_unbound: ratio(fig(k, 'rss_after_mb'), fig('unbound', 'rss_after_mb')),
      rss_after_load_vs_dnsmasq: ratio(fig(k, 'rss_after_mb'), fig('dnsmasq', 'rss_after_mb')),
      rss_peak_vs_unbound: ratio(fig(k, 'rss_peak_mb'), fig('unbound', 'rss_peak_mb')),
      rss_peak_vs_dnsmasq: ratio(fig(k, 'rss_peak_mb'), fig('dnsmasq', 'rss_peak_mb')),
      private_after_load_vs_dnsmasq: ratio(
        fig(k, 'private_after_mb'),
        fig('dnsmasq', 'private_after_mb'),
      ),
      old_startup_prebuilt_vs_dnsmasq: ratio(fig(k, 'startup_ms'), fig('dnsmasq', 'startup_ms')),
      old_startup_prebuilt_vs_unbound: ratio(fig(k, 'startup_ms'), fig('unbound', 'startup_ms')),
      startup_from_text_vs_dnsmasq: ratio(
        fig(k, 'startup_from_text_ms'),
        fig('dnsmasq', 'startup_from_text_ms'),
      ),
      startup_from_text_vs_unbound: ratio(
        fig(k, 'startup_from_text_ms'),
        fig('unbound', 'startup_from_text_ms'),
      ),
    });
    const ratios: Record<string, number> = {
      ...versusPeers('kalkan'),
      two_workers_blocked_wide_qps_vs_one: ratio(
        qps('kalkan-2-workers', 'blocked_wide'),
        qps('kalkan', 'blocked_wide'),
      ),
      reload_lost_queries: reloadLost,
    };
    const afterVsBefore = (figure: (s: string) => number) =>
      ratio(figure('kalkan'), figure('kalkan-before'));
    const baseline = BASELINE_CLI && {
      ratios_before: versusPeers('kalkan-before'),
      after_vs_before: {
        blocked_qps: afterVsBefore((s) => qps(s, 'blocked')),
        blocked_wide_qps: afterVsBefore((s) => qps(s, 'blocked_wide')),
        cached_qps: afterVsBefore((s) => qps(s, 'cached')),
        wide_mix_qps: afterVsBefore((s) => qps(s, 'wide_mix')),
        blocked_cpu_per_query: afterVsBefore((s) => cpu(s, 'blocked')),
        blocked_wide_cpu_per_query: afterVsBefore((s) => cpu(s, 'blocked_wide')),
        cached_cpu_per_query: afterVsBefore((s) => cpu(s, 'cached')),
        wide_mix_cpu_per_query: afterVsBefore((s) => cpu(s, 'wide_mix')),
        p99_blocked: afterVsBefore((s) => p99(s, 'blocked')),
        p99_blocked_wide: afterVsBefore((s) => p99(s, 'blocked_wide')),
        p99_cached: afterVsBefore((s) => p99(s, 'cached')),
        p99_wide_mix: afterVsBefore((s) => p99(s, 'wide_mix')),
        rss_loaded: afterVsBefore((s) => fig(s, 'rss_loaded_mb')),
        rss_after_load: afterVsBefore((s) => fig(s, 'rss_after_mb')),
        rss_peak: afterVsBefore((s) => fig(s, 'rss_peak_mb')),
      },
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
        ...(BASELINE && {
          kalkan_before: version('git', ['-C', BASELINE, 'log', '-1', '--format=%h %s']),
        }),
      },
      list_entries: ENTRIES,
      wide_distinct_names: WIDE_NAMES,
      load_seconds: SECONDS,
      latency_offered_qps: LATENCY_QPS,
      servers,
      ratios,
      ...baseline,
    };
    await mkdir(RESULTS, { recursive: true });
    await writeFile(join(RESULTS, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
    const table = markdown(servers, {
      ratio: ratios,
      ...(baseline && {
        'ratio, kalkan-before in place of kalkan': baseline.ratios_before,
        'after / before (kalkan / kalkan-before)': baseline.after_vs_before,
      }),
    });
    await writeFile(join(RESULTS, 'latest.md'), table);
    console.log(`\n${table}`);
  } finally {
    await Promise.all(started.map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
  }
}

/** The servers' figures, then one two-column table per group of ratios. */
function markdown(
  servers: Record<string, ServerFigures>,
  ratioGroups: Record<string, Record<string, number>>,
): string {
  const cell = (v: number | undefined, digits = 0) =>
    v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits);
  const pair = (a: number | undefined, b: number | undefined, digits = 0) =>
    `${cell(a, digits)} / ${cell(b, digits)}`;
  const rows = Object.entries(servers).map(([name, f]) =>
    [
      name,
      pair(f.load.blocked?.qps, f.load.blocked_wide?.qps),
      pair(f.load.cached?.qps, f.load.wide_mix?.qps),
      cell(f.load.mix?.qps),
      pair(f.cpu_us_per_query.blocked, f.cpu_us_per_query.blocked_wide, 1),
      pair(f.latency.blocked?.p99Ms, f.latency.blocked_wide?.p99Ms, 3),
      pair(f.latency.cached?.p99Ms, f.latency.wide_mix?.p99Ms, 3),
      pair(f.name_table_hit_rate.blocked, f.name_table_hit_rate.blocked_wide, 3),
      String(Object.values(f.load).reduce((n, r) => n + (r?.lost ?? 0), 0)),
      f.wrong_answers.join(', ') || '–',
      `${cell(f.rss_loaded_mb, 1)} / ${cell(f.rss_after_mb, 1)} / ${cell(f.rss_peak_mb, 1)}`,
      cell(f.private_after_mb, 1),
      `${cell(f.startup_ms)} / ${cell(f.startup_from_text_ms)}`,
    ].join(' | '),
  );
  return [
    '| server | blocked QPS repeated / wide | cached QPS / wide-mix QPS | mix QPS | CPU µs/query blocked repeated / wide | blocked p99 ms repeated / wide | cached / wide-mix p99 ms | name-table hit rate blocked repeated / wide | lost | wrong answers (left out of ratios) | RSS MB loaded / after load / peak | own (RssAnon) MB after load | start ms: prebuilt / from text |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r} |`),
    ...Object.entries(ratioGroups).flatMap(([group, ratios]) => [
      '',
      `| ${group} | value |`,
      '|---|---|',
      ...Object.entries(ratios).map(([k, v]) => `| ${k} | ${v} |`),
    ]),
    '',
  ].join('\n');
}

await main();
